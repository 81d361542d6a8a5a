"""Shared fixtures: the real packaged model (loaded once per session) and knowledge bases in tmp_path."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from fixtures import make_kb, write_all  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def session_shared_db_dir(tmp_path_factory):
    """Shared copies of chunks.db go to a temporary directory, never /dev/shm: in this process (the default
    directory) and in every `kb` subprocess (KB_SHARED_DB_DIR)."""
    import index.shared_db as shared_db

    path = tmp_path_factory.mktemp("shm")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(shared_db, "DEFAULT_DIR", path)
        mp.setenv("KB_SHARED_DB_DIR", str(path))
        yield path


@pytest.fixture
def shared_db_dir(tmp_path, monkeypatch):
    """A test's own shared directory for copies of chunks.db (empty at the start)."""
    import index.shared_db as shared_db

    path = tmp_path / "shm"
    path.mkdir()
    monkeypatch.setattr(shared_db, "DEFAULT_DIR", path)
    monkeypatch.setenv("KB_SHARED_DB_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def embedder():
    from index.embedder import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory) -> Path:
    return write_all(tmp_path_factory.mktemp("fixture-docs"))


@pytest.fixture
def kb_factory(tmp_path):
    """A fresh knowledge base in tmp_path (the model is shared process-wide)."""
    def factory(name: str = "kb", **overrides):
        return make_kb(tmp_path / name, **overrides)
    return factory


@pytest.fixture(scope="session")
def built_kb_home(tmp_path_factory, fixture_dir, embedder) -> Path:
    """A KB holding every fixture document; tests copy it rather than change it."""
    home = tmp_path_factory.mktemp("built") / "kb"
    kb = make_kb(home)
    report = kb.ingest_paths([fixture_dir])
    assert report.failed == 0, report.files
    return home


@pytest.fixture
def built_kb(built_kb_home, tmp_path):
    """A private copy of the built KB, safe to change."""
    home = tmp_path / "kb-copy"
    shutil.copytree(built_kb_home, home)
    return make_kb(home)
