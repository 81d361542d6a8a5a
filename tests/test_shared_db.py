"""One verified copy of chunks.db per host, shared by every serving process (issue #15 items 3 and 4).

Real generations (the session's built KB, copied), real SQLite, real subprocesses; every shared directory is a
temporary one (`shared_db_dir` fixture), never /dev/shm.
"""
from __future__ import annotations

import fcntl
import gc
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fixtures import make_kb
from index import generation as gens
from index import publishing
from index import shared_db
from index.errors import CorruptIndex

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ["how fast can I taper opioids", "acetaminophen ceiling per day", "naloxone"]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="shared copies need Linux")


@pytest.fixture(autouse=True)
def _kb_logger_enabled():
    """Another test's logging.config call may have disabled existing loggers; these tests read the kb logger."""
    logging.getLogger("kb").disabled = False


@pytest.fixture
def home(built_kb_home, tmp_path) -> Path:
    path = tmp_path / "kb"
    shutil.copytree(built_kb_home, path)
    return path


def live_dir(home: Path) -> Path:
    return home / publishing.GEN_DIR / publishing.read_current(home)


def copies(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def answers(kb) -> list:
    out = []
    for q in QUESTIONS:
        r = kb.search(q, k=5)
        out.append((r.generation, [(h.chunk_id, h.doc_id, h.text) for h in r.hits], [a.text for a in r.answer],
                    r.answer_status))
    return out


def test_search_through_the_shared_copy_gives_the_same_results_as_a_private_one(home, shared_db_dir):
    shared = make_kb(home)
    got = answers(shared)
    gen = shared.generation()
    assert gen.served_path is not None and gen.served_path.parent == shared_db_dir
    sha = gen.manifest["files"]["chunks.db"]["sha256"]
    fast = gen.manifest["files"]["chunks.db"]["xxh3_128"]  # the checksum verified at load names the copy
    assert copies(shared_db_dir) == [gen.served_path.name] and fast in gen.served_path.name
    assert hashlib.sha256(gen.served_path.read_bytes()).hexdigest() == sha
    assert gen.served_path.stat().st_mode & 0o777 == 0o444
    private = make_kb(home, shared_db_dir="off")
    assert private.generation().served_path is None
    assert answers(private) == got
    assert str(gen.served_path) in Path("/proc/self/maps").read_text()  # read through the map


CHILD = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    from index import generation as gens
    gen = gens.Generation.load(Path(sys.argv[1]), shared_dir=Path(sys.argv[2]))
    text = gen.db.execute("SELECT text FROM chunks ORDER BY chunk_id LIMIT 1").fetchone()[0]
    st = os.stat(gen.served_path)
    print(json.dumps({"path": str(gen.served_path), "ino": st.st_ino, "mtime": st.st_mtime_ns, "text": text}))
    sys.stdout.flush()
    sys.stdin.readline()  # hold the copy until the test says
""")


def test_a_second_process_verifies_the_first_ones_copy_instead_of_copying(home, shared_db_dir):
    import json

    gen_dir = live_dir(home)
    first = gens.Generation.load(gen_dir, shared_dir=shared_db_dir)
    st = os.stat(first.served_path)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(gen_dir), str(shared_db_dir)], cwd=str(ROOT),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        seen = json.loads(child.stdout.readline())
        # the same file, untouched: the child hashed it, it did not write another
        assert (seen["path"], seen["ino"], seen["mtime"]) == (str(first.served_path), st.st_ino, st.st_mtime_ns)
        expected = first.db.execute("SELECT text FROM chunks ORDER BY chunk_id LIMIT 1").fetchone()[0]
        assert seen["text"] == expected
        assert copies(shared_db_dir) == [first.served_path.name]
        path = first.served_path
        first.release()  # the child still holds it: the file stays
        assert path.exists()
    finally:
        child.communicate("\n", timeout=60)
    assert child.returncode == 0
    # the child was the last holder: it removed the copy on its way out
    assert copies(shared_db_dir) == []


def test_a_damaged_shared_copy_is_replaced_from_the_verified_file(home, shared_db_dir, caplog):
    gen_dir = live_dir(home)
    first = gens.Generation.load(gen_dir, shared_dir=shared_db_dir)
    good = first.db.execute("SELECT text FROM chunks ORDER BY chunk_id LIMIT 1").fetchone()[0]
    path = first.served_path
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    at = data.index(good[:40].encode())
    data[at] ^= 0x20  # flip a letter's case inside served text
    with open(path, "r+b") as fh:  # in place: the first process maps this very file
        fh.write(data)
    os.chmod(path, 0o444)
    with caplog.at_level(logging.ERROR, logger="kb"):
        second = gens.Generation.load(gen_dir, shared_dir=shared_db_dir)
    assert any("does not match its checksum" in r.getMessage() for r in caplog.records)
    assert second.served_path == path and os.stat(path).st_ino != os.fstat(first._memory._fd).st_ino
    assert hashlib.sha256(path.read_bytes()).hexdigest() == first.manifest["files"]["chunks.db"]["sha256"]
    text = second.db.execute("SELECT text FROM chunks ORDER BY chunk_id LIMIT 1").fetchone()[0]
    assert text == good
    # the process that mapped the damaged copy is told by its watcher
    assert "served copy" in (first.damaged_on_disk() or "")


def test_a_bit_flip_on_disk_after_loading_never_reaches_the_shared_copy(home, shared_db_dir):
    kb = make_kb(home)
    question = "acetaminophen ceiling per day"
    before = kb.search(question, k=3, mode="bm25")
    assert "4 g per day" in before.hits[0].text and kb.generation().served_path is not None
    db = home / publishing.GEN_DIR / before.generation / "chunks.db"
    data = db.read_bytes()
    db.write_bytes(data.replace(b"4 g per day", b"1 g per day"))
    import threading

    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", kb.search(question, k=3, mode="bm25")))
    t.start()
    t.join()
    assert "4 g per day" in out["r"].hits[0].text and "1 g per day" not in out["r"].hits[0].text


def test_a_damaged_file_on_disk_is_refused_and_leaves_no_copy(home, shared_db_dir):
    gen_dir = live_dir(home)
    db = gen_dir / "chunks.db"
    data = bytearray(db.read_bytes())
    data[len(data) // 2] ^= 0x01
    db.write_bytes(bytes(data))
    with pytest.raises(CorruptIndex, match="chunks.db does not match its checksum"):
        gens.Generation.load(gen_dir, shared_dir=shared_db_dir)
    assert copies(shared_db_dir) == []


def test_without_a_usable_directory_each_process_keeps_its_own_copy(home, tmp_path, caplog, monkeypatch):
    gen_dir = live_dir(home)
    shared_db._logged.clear()
    with caplog.at_level(logging.WARNING, logger="kb"):
        missing = gens.Generation.load(gen_dir, shared_dir=tmp_path / "absent")
        again = gens.Generation.load(gen_dir, shared_dir=tmp_path / "absent")
    assert missing.served_path is None and again.served_path is None
    notes = [r.getMessage() for r in caplog.records if "not shared" in r.getMessage()]
    assert len(notes) == 1 and "absent" in notes[0]  # said once
    small = tmp_path / "small"
    small.mkdir()
    monkeypatch.setattr(shared_db, "_free_bytes", lambda _d: 1 << 20)
    assert gens.Generation.load(gen_dir, shared_dir=small).served_path is None
    assert copies(small) == []
    assert gens.Generation.load(gen_dir, shared_dir=None).served_path is None
    text = missing.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    assert text == missing.counts["chunks"]


def test_copies_of_retired_generations_are_removed(home, shared_db_dir):
    kb = make_kb(home, keep_generations=1)
    kb.search("naloxone", k=1)
    old = kb.generation().served_path
    assert copies(shared_db_dir) == [old.name]
    kb.reindex(); gc.collect()  # noqa: E702
    kb.search("naloxone", k=1)  # switches to the new generation; the old one is dropped
    gc.collect()
    new = kb.generation().served_path
    assert new != old and copies(shared_db_dir) == [new.name]


def test_a_sweep_removes_copies_no_process_holds_and_keeps_held_ones(home, shared_db_dir):
    held = gens.Generation.load(live_dir(home), shared_dir=shared_db_dir)
    orphan = shared_db_dir / f"practice-partner-{'a' * 32}-{'b' * 12}.db"  # what a killed worker leaves
    orphan.write_bytes(b"x")
    os.chmod(orphan, 0o444)
    half = shared_db_dir / f".practice-partner-{'c' * 32}-{'d' * 12}.123.tmp"
    half.write_bytes(b"y")
    other = shared_db_dir / "not-ours.db"
    other.write_bytes(b"z")
    busy = shared_db_dir / f"practice-partner-{'e' * 32}-{'f' * 12}.db"
    busy.write_bytes(b"w")
    fd = os.open(busy, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)  # as another serving process would
    try:
        assert shared_db.sweep(shared_db_dir) == 2
        assert copies(shared_db_dir) == sorted([held.served_path.name, "not-ours.db", busy.name])
    finally:
        os.close(fd)
    assert shared_db.sweep(shared_db_dir) == 1 and not busy.exists()
