"""Faults a curator can meet, each through the real `kb` command: a subprocess where the process itself is the
point (a file-size limit, a paused writer, log lines on stderr), click's CliRunner in process otherwise.

kill -9 during reindex is covered by tests/test_crash.py. Here: the disk filling up while a new generation is
written, a live index file damaged on disk, and a second writer while one is running.
"""
from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index import generation as gens
from index import publishing

ROOT = Path(__file__).resolve().parent.parent


def kb_run(home: Path, *args: str, preexec_fn=None, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "KB_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    env.pop("KB_TEST_CRASH_AT", None)
    return subprocess.run([sys.executable, str(ROOT / "kb_cli.py"), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=str(ROOT), preexec_fn=preexec_fn)


def kb_in_process(home: Path, *args: str):
    """`kb --home HOME ARGS...` in process; an escaping exception fails the test with its traceback."""
    from click.testing import CliRunner

    from kb_cli import cli

    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def kb_start(home: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "KB_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    env.pop("KB_TEST_CRASH_AT", None)
    return subprocess.Popen([sys.executable, str(ROOT / "kb_cli.py"), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=str(ROOT))


def assert_one_line_error(proc, *needles: str) -> str:
    """Exit 1 and exactly one `error: ...` line on stderr, no traceback (a subprocess or an in-process result)."""
    err = proc.stderr.strip()
    code = proc.returncode if isinstance(proc, subprocess.CompletedProcess) else proc.exit_code
    assert code == 1, (code, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for needle in needles:
        assert needle.lower() in lines[0].lower(), lines[0]
    return lines[0]


def tmp_leftovers(home: Path) -> list[str]:
    root = home / publishing.GEN_DIR
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".tmp-")) if root.exists() else []


# ------------------------------------------------------------------------------------------------ disk full
def _big_generation_kb(home: Path, tmp_path: Path):
    """A KB of one long document: its new generation (vectors + chunks.db with the full text, the chunks and the
    FTS index) is several times larger than what `kb reindex` writes to the catalogue (one transaction re-storing
    that document's chunks), so a file-size limit can sit between the two."""
    from fixtures import make_kb

    src = tmp_path / "long-src"
    src.mkdir()
    sections = []
    for i in range(12):  # about 2x between the two sizes (checked below); every section more is ~0.2 s of embedding
        body = " ".join(f"Paragraph {i} sentence {j} about opioid tapering step {i * 7 + j}, naloxone, buprenorphine "
                        f"induction and monitoring visit {j}." for j in range(12))
        sections.append(f"## Section {i}\n\n{body}\n")
    (src / "long.md").write_text("---\nid: long-guide\ntitle: Long guide\ntype: guideline\n---\n\n# Long guide\n\n"
                                 + "\n".join(sections), encoding="utf-8")
    kb = make_kb(home)
    report = kb.ingest_paths([src])
    assert report.failed == 0, report.files
    return kb


def _limit_between_catalogue_and_generation(home: Path, tmp_path: Path) -> int:
    """Measure, on a copy, how far `kb reindex` writes into catalog.db-wal before building, and how large the new
    generation's files are; return a file-size limit between the two."""
    from fixtures import make_kb

    probe = tmp_path / "probe"
    shutil.copytree(home, probe)
    seen = {}
    real_build = gens.build

    def spy(h, inp, progress=None):
        wal = Path(h) / "catalog.db-wal"
        seen["wal"] = wal.stat().st_size if wal.exists() else 0
        return real_build(h, inp, progress)

    gens.build = spy
    try:
        name = make_kb(probe).reindex()
    finally:
        gens.build = real_build
    gdir = probe / publishing.GEN_DIR / name
    biggest = max((gdir / "vectors.faiss").stat().st_size, (gdir / "chunks.db").stat().st_size)
    catalogue = seen["wal"]  # in WAL mode the catalogue's writes before the build all go to catalog.db-wal
    limit = catalogue + 32 * 1024
    assert limit < biggest, f"fixture too small: catalogue writes {catalogue} B, generation file {biggest} B"
    return limit


def test_disk_full_while_writing_generation_keeps_previous(tmp_path):
    home = tmp_path / "kb"
    kb = _big_generation_kb(home, tmp_path)
    limit = _limit_between_catalogue_and_generation(home, tmp_path)
    before = publishing.read_current(home)
    gens_before = publishing.list_generations(home)

    def small_disk():
        # writes past `limit` bytes of any file fail with EFBIG, as they would on a full disk (ENOSPC)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = kb_run(home, "reindex", preexec_fn=small_disk)
    line = assert_one_line_error(proc)
    # it is the new generation that could not be written (not the catalogue, written before it)
    assert "generation" in line.lower() and "catalog" not in line.lower(), line

    # the previous generation is still the live one, complete, and searchable
    assert publishing.read_current(home) == before
    assert publishing.list_generations(home) == gens_before
    from fixtures import make_kb

    hits = make_kb(home).search("naloxone buprenorphine induction", k=3).hits
    assert hits and hits[0].doc_id == "long-guide"
    search = kb_in_process(home, "search", "opioid tapering step")
    assert search.exit_code == 0, search.stderr

    # the next write (with room) succeeds and leaves nothing half-built behind
    ok = kb_in_process(home, "reindex")
    assert ok.exit_code == 0, ok.stderr
    assert publishing.read_current(home) > before
    assert tmp_leftovers(home) == []
    assert make_kb(home).search("naloxone", k=1).hits[0].doc_id == "long-guide"
    del kb


# ------------------------------------------------------------------------------------------------ corruption
def test_search_on_corrupted_live_vectors_is_a_clear_error(built_kb_home, tmp_path):
    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    live = publishing.read_current(home)
    path = home / publishing.GEN_DIR / live / "vectors.faiss"
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 16):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))

    proc = kb_in_process(home, "search", "how fast can I taper opioids")
    line = assert_one_line_error(proc, "checksum", "vectors.faiss")
    assert live in line
    assert publishing.read_current(home) == live  # nothing was switched or deleted
    assert path.exists()


def test_corrupted_new_generation_server_keeps_serving_previous(built_kb_home, tmp_path):
    """A process already serving generation A keeps serving A when the newly published B fails its checksum."""
    from fixtures import make_kb

    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    kb = make_kb(home)
    first = kb.search("naloxone", k=3).generation
    new = kb_in_process(home, "reindex")
    assert new.exit_code == 0, new.stderr
    latest = publishing.read_current(home)
    assert latest != first
    db = home / publishing.GEN_DIR / latest / "chunks.db"
    data = db.read_bytes()
    # flip the last 100 bytes (zeroing them can be a no-op: SQLite's last page often ends in free, zeroed space)
    db.write_bytes(data[:-100] + bytes(b ^ 0xFF for b in data[-100:]))
    assert kb.search("naloxone", k=3).generation == first
    # a fresh process serves the newest intact published generation, and says once which file is damaged
    proc = kb_run(home, "search", "naloxone", "--json")
    assert proc.returncode == 0, proc.stderr
    import json

    assert json.loads(proc.stdout)["generation"] == first
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "chunks.db" in lines[0] and latest in lines[0] and "kb rollback" in lines[0], lines


# ------------------------------------------------------------------------------------------------ lock
def _wait_until_writing(home: Path, proc: subprocess.Popen, timeout: float = 240) -> None:
    """Until `proc` holds the write lock (it writes its pid into write.lock once it has the lock)."""
    lock = home / "write.lock"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"first writer ended before it could be paused (exit {proc.returncode}): {err[-2000:]}")
        try:
            if lock.read_text().strip() == str(proc.pid):
                return
        except OSError:
            pass
        time.sleep(0.005)
    proc.kill()
    pytest.fail("first writer never took the write lock")


@pytest.mark.parametrize("second", ["reindex", "ingest"])
def test_second_writer_refused_while_first_runs(built_kb_home, fixture_dir, tmp_path, second):
    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    (home / "write.lock").write_text("")
    before = publishing.read_current(home)
    first = kb_start(home, "reindex")
    paused = False
    try:
        _wait_until_writing(home, first)
        # freeze the first writer while it holds the lock, so the second surely overlaps it
        os.kill(first.pid, signal.SIGSTOP)
        paused = True
        args = ["reindex"] if second == "reindex" else ["ingest", str(fixture_dir)]
        proc = kb_in_process(home, *args)
        line = assert_one_line_error(proc, "another")
        assert "running" in line and "write" in line, line
        os.kill(first.pid, signal.SIGCONT)
        paused = False
        out, err = first.communicate(timeout=300)
    finally:
        if paused:
            os.kill(first.pid, signal.SIGCONT)
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err
    assert publishing.read_current(home) > before
    assert tmp_leftovers(home) == []
