"""Fixtures for the web app tests: a fake KB for plumbing, users, logged-in clients."""
from __future__ import annotations

from pathlib import Path

import pytest

from fake_kb import FakeKB
from webapp_testutil import PASSWORD, login, sample_docs

from kb_settings import Settings
from webapp import create_app
from webapp.users import add_user

@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """Argon2 at production cost makes every login slow; the tests only need the same code path."""
    from argon2 import PasswordHasher

    import webapp.users as users_mod

    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users_mod, "_hasher", fast)
    monkeypatch.setattr(users_mod, "_DUMMY_HASH", fast.hash("dummy"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "kb", secret_key="test-secret")


@pytest.fixture
def fake_kb() -> FakeKB:
    return FakeKB(sample_docs())


def _make(settings: Settings, kb, **config):
    cfg = {"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}
    cfg.update(config)
    return create_app(settings, kb=kb, test_config=cfg)


@pytest.fixture
def make_app(settings: Settings, fake_kb: FakeKB):
    """Factory so a test can choose config (CSRF on, rate limits on, require_login)."""

    def factory(settings_=None, kb=None, **config):
        return _make(settings_ or settings, kb if kb is not None else fake_kb, **config)

    return factory


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def users(settings: Settings) -> dict:
    add_user(settings, "cara", PASSWORD, "curator")
    add_user(settings, "ada", PASSWORD, "admin")
    add_user(settings, "phil", PASSWORD, "physician")
    return {"curator": "cara", "admin": "ada", "physician": "phil"}


@pytest.fixture
def curator(client, users):
    assert login(client, users["curator"]).status_code == 302
    return client


@pytest.fixture
def admin(client, users):
    assert login(client, users["admin"]).status_code == 302
    return client


# ---------------------------------------------------------------- the real knowledge base (model loads once)


def _real_kb_available() -> bool:
    try:
        import index.kb  # noqa: F401
    except Exception:  # noqa: BLE001 - not written yet, or its dependencies are missing
        return False
    return True


@pytest.fixture(scope="session")
def web_kb_home(tmp_path_factory) -> Path:
    """A real KB built once per session from three small Markdown documents; tests copy it to change it."""
    if not _real_kb_available():
        pytest.skip("index.kb (the real KnowledgeBase) is not importable")
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from index.kb import KnowledgeBase
    from webapp_testutil import write_real_docs

    base = tmp_path_factory.mktemp("webkb")
    paths = write_real_docs(base / "docs")
    home = base / "home"
    report = KnowledgeBase(Settings(home=home)).ingest_paths(paths)
    assert report.failed == 0 and report.quarantined == 0, report.files
    return home


@pytest.fixture
def real_settings(web_kb_home: Path, tmp_path: Path) -> Settings:
    """Settings for a private copy of the built KB."""
    import shutil

    home = tmp_path / "realkb"
    shutil.copytree(web_kb_home, home)
    return Settings(home=home, secret_key="real-secret")


@pytest.fixture
def real_app(real_settings: Settings):
    from index.kb import KnowledgeBase

    add_user(real_settings, "cara", PASSWORD, "curator")
    return create_app(real_settings, kb=KnowledgeBase(real_settings),
                      test_config={"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
