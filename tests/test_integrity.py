"""Served text is the published text, and only published generations count (issue 16, items 2, 3 and 11).

Bit flips in a live generation, restarts onto a damaged one, kills between changing the catalogue and publishing,
and a damaged or missing CURRENT: each ends with the right text served or a clear message, never a wrong text.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fixtures import make_kb
from index import generation as gens
from index import publishing
from index.errors import CorruptIndex

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _kb_logger_enabled():
    """Another test's logging.config call may have disabled existing loggers; these tests read the kb logger."""
    logging.getLogger("kb").disabled = False


def kb_in_process(home: Path, *args: str):
    """`kb --home HOME ARGS...` in process (click's CliRunner); an escaping exception fails the test."""
    from click.testing import CliRunner

    from kb_cli import cli

    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def kb_run(home: Path, *args: str, crash_at: str | None = None, **env_extra) -> subprocess.CompletedProcess:
    """A real `kb` process: for kills mid-publish and for what a person sees on stderr (log lines included)."""
    env = {**os.environ, "KB_HOME": str(home), "HF_HUB_OFFLINE": "1", **env_extra}
    env.pop("KB_TEST_CRASH_AT", None)
    if crash_at:
        env["KB_TEST_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, str(ROOT / "kb_cli.py"), *args], env=env, capture_output=True, text=True,
                          timeout=300, cwd=str(ROOT))


def flip_text(path: Path, old: bytes, new: bytes) -> None:
    """Change bytes in place (same length), as a bad disk or a careless hand would."""
    data = path.read_bytes()
    assert old in data and len(old) == len(new)
    path.write_bytes(data.replace(old, new))


def in_thread(fn):
    """Run fn in a new thread (a new server thread opens its own database connection) and return its result."""
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", fn()))
    t.start()
    t.join()
    return out["r"]


def two_generations(built_kb_home: Path, tmp_path: Path) -> tuple[Path, str, str]:
    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    first = publishing.read_current(home)
    second = make_kb(home).reindex()
    assert second != first
    return home, first, second


# ------------------------------------------------------------------------------------------- item 2: bit flips
def test_bit_flip_in_live_chunks_db_while_serving_is_never_served(built_kb):
    """A flipped byte on disk after a generation is loaded must not change what a new server thread serves."""
    question = "acetaminophen ceiling per day"
    before = built_kb.search(question, k=3, mode="bm25")
    assert "4 g per day" in before.hits[0].text
    db = built_kb.home / publishing.GEN_DIR / before.generation / "chunks.db"
    flip_text(db, b"4 g per day", b"1 g per day")
    after = in_thread(lambda: built_kb.search(question, k=3, mode="bm25"))
    assert after.generation == before.generation
    assert "4 g per day" in after.hits[0].text and "1 g per day" not in after.hits[0].text
    doc = in_thread(lambda: built_kb.get_document("fx-j2"))
    assert "4 g per day" in doc.text


@pytest.mark.parametrize("damaged", ["chunks.db", "vectors.faiss", "manifest.json"])
def test_restart_on_damaged_live_generation_serves_newest_intact_one(built_kb_home, tmp_path, caplog, damaged):
    home, first, second = two_generations(built_kb_home, tmp_path)
    path = home / publishing.GEN_DIR / second / damaged
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit
    path.write_bytes(bytes(data))
    kb = make_kb(home)
    with caplog.at_level(logging.ERROR, logger="kb"):
        result = kb.search("how fast can I taper opioids", k=3)
        kb.search("naloxone", k=3)
    assert result.generation == first
    assert result.hits[0].doc_id == "fx-taper"
    lines = [r.getMessage() for r in caplog.records if r.name == "kb"]
    assert len(lines) == 1, lines  # said once, not once per request
    assert second in lines[0] and "kb rollback" in lines[0] and "kb reindex" in lines[0]
    if damaged != "manifest.json":
        assert damaged in lines[0]
    # the operator's recovery: roll back to the intact generation, which then serves without complaint
    assert make_kb(home).rollback() == first
    assert make_kb(home).search("naloxone", k=1).generation == first


@pytest.mark.parametrize("flipped", [None, "vectors.faiss", "chunks.db"])
def test_a_generation_whose_manifest_has_only_sha256_still_loads_and_is_verified(built_kb_home, tmp_path, flipped):
    """Generations built before XXH3-128 was added to the manifest are verified with their SHA-256."""
    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    gen_dir = home / publishing.GEN_DIR / publishing.read_current(home)
    m = json.loads((gen_dir / "manifest.json").read_text())
    for entry in m["files"].values():
        del entry["xxh3_128"]
    raw = json.dumps(m, indent=2).encode()
    (gen_dir / "manifest.json").write_bytes(raw)
    (gen_dir / gens.MANIFEST_SUM).write_text(hashlib.sha256(raw).hexdigest() + "\n")
    if flipped:
        path = gen_dir / flipped
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        with pytest.raises(CorruptIndex, match=flipped.replace(".", r"\.")):
            gens.Generation.load(gen_dir, shared_dir=None)
    else:
        gen = gens.Generation.load(gen_dir, shared_dir=None)
        assert gen.db.execute("SELECT count(*) FROM chunks").fetchone()[0] == gen.counts["chunks"]


def test_restart_with_every_generation_damaged_is_a_clear_error(built_kb_home, tmp_path):
    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    live = publishing.read_current(home)
    flip_text(home / publishing.GEN_DIR / live / "chunks.db", b"4 g per day", b"1 g per day")
    proc = kb_in_process(home, "search", "acetaminophen")
    assert proc.exit_code == 1
    assert proc.stderr.startswith("error: ") and "chunks.db" in proc.stderr


# ------------------------------------------------------------------------------------------- item 3
def test_unpublished_generation_never_counts_for_pruning_or_rollback(built_kb_home, tmp_path):
    """kill -9 just before the CURRENT swap leaves a complete generation nobody served; it must not displace the
    real previous generation (KB_KEEP_GENERATIONS=2) nor become the target of `kb rollback`."""
    home, first, second = two_generations(built_kb_home, tmp_path)
    crashed = kb_run(home, "reindex", crash_at="before-swap", KB_KEEP_GENERATIONS="2")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert publishing.read_current(home) == second
    kb = make_kb(home, keep_generations=2)
    third = kb.reindex()
    assert publishing.read_current(home) == third
    assert second in publishing.list_generations(home)
    assert set(publishing.list_generations(home)) == {second, third}
    assert kb.rollback() == second


def test_interrupted_remove_leaves_catalogue_and_generation_in_agreement(built_kb_home, tmp_path):
    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    crashed = kb_run(home, "remove", "fx-taper", crash_at="before-build")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    kb = make_kb(home)
    assert "fx-taper" in {d.doc_id for d in kb.list_documents()}  # still live: nothing was published
    kb.remove("fx-taper")  # and it can be removed (it used to say "no document with id")
    assert "fx-taper" not in {d.doc_id for d in kb.list_documents()}
    assert kb.search("how fast can I taper opioids", k=5).hits[0].doc_id != "fx-taper"


def test_interrupted_batch_ingest_is_not_published_piecemeal_and_rolls_back(built_kb_home, tmp_path):
    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    first = publishing.read_current(home)
    before = {d.doc_id for d in make_kb(home).list_documents()}
    batch = tmp_path / "batch"
    batch.mkdir()
    for i in range(3):
        (batch / f"b{i}.md").write_text(f"---\nid: batch-{i}\ntitle: Batch note {i}\n---\n# Batch note {i}\n\n"
                                        f"Illustrative sample. Step {i} of a three-part clinic checklist.\n")
    crashed = kb_run(home, "ingest", str(batch), crash_at="after-file")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    kb = make_kb(home)
    second = kb.reindex()  # the next writer publishes what was published before, not half a batch
    assert {d.doc_id for d in kb.list_documents()} == before
    report = kb.ingest_paths([batch])  # the batch, run again, goes in whole
    assert report.failed == 0 and report.documents == 3, report.files
    third = publishing.read_current(home)
    assert {d.doc_id for d in kb.list_documents()} == before | {"batch-0", "batch-1", "batch-2"}
    assert make_kb(home).rollback() == second
    assert {d.doc_id for d in make_kb(home).list_documents()} == before
    assert first < second < third


# ------------------------------------------------------------------------------------------- item 11: CURRENT
def test_binary_garbage_in_current_is_survived_and_rollback_repairs_it(built_kb_home, tmp_path):
    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    live = publishing.read_current(home)
    (home / publishing.CURRENT).write_bytes(b"\xff\xfe\x00\x9c garbage \x1b[2J\n")
    proc = kb_run(home, "search", "naloxone", "--json")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0 and json.loads(proc.stdout)["generation"] == live
    assert "CURRENT" in proc.stderr and "kb rollback" in proc.stderr
    fixed = kb_in_process(home, "rollback")
    assert fixed.exit_code == 0, fixed.stderr
    assert publishing.read_current(home) == live


def test_kb_list_with_current_missing_is_an_error(built_kb_home, tmp_path):
    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    (home / publishing.CURRENT).unlink()
    proc = kb_in_process(home, "list")
    assert proc.exit_code == 1, proc.stdout
    assert proc.stderr.startswith("error: ") and "CURRENT" in proc.stderr and "kb rollback" in proc.stderr


def test_damage_to_the_served_generation_on_disk_is_reported_while_serving(built_kb, caplog, monkeypatch):
    import index.reader as kbmod

    monkeypatch.setattr(kbmod, "WATCH_SECONDS", 0.0)
    first = built_kb.search("acetaminophen ceiling per day", k=3, mode="bm25")
    flip_text(built_kb.home / publishing.GEN_DIR / first.generation / "chunks.db", b"4 g per day", b"1 g per day")
    with caplog.at_level(logging.ERROR, logger="kb"):
        again = in_thread(lambda: built_kb.search("acetaminophen ceiling per day", k=3, mode="bm25"))
        built_kb.search("naloxone", k=1)
    assert "4 g per day" in again.hits[0].text
    lines = [r.getMessage() for r in caplog.records if r.name == "kb"]
    assert len(lines) == 1 and "chunks.db" in lines[0] and "kb reindex" in lines[0], lines
