"""Nothing outside what the operator meant, bounded metadata, and clear errors (issue 16, items 4, 5, 8, 10, 11)."""
from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures import MD, make_kb
from index.errors import KBError, QueryError
from index.types import SearchFilters

ROOT = Path(__file__).resolve().parent.parent


def kb_cmd(home: Path, *args: str, preexec_fn=None, popen: bool = False):
    env = {**os.environ, "KB_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    env.pop("KB_TEST_CRASH_AT", None)
    cmd = [sys.executable, str(ROOT / "kb_cli.py"), *args]
    if popen:
        return subprocess.Popen(cmd, env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=str(ROOT),
                          preexec_fn=preexec_fn)


def kb_in_process(home: Path, *args: str):
    """`kb --home HOME ARGS...` in process (click's CliRunner); an escaping exception fails the test."""
    from click.testing import CliRunner

    from kb_cli import cli

    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def note(doc_id: str, body: str, extra: str = "") -> str:
    return f"---\nid: {doc_id}\ntitle: Note {doc_id}\n{extra}---\n# Note\n\nIllustrative sample. {body}\n"


# ------------------------------------------------------------------------------------------- item 4
def test_links_out_of_the_folder_devices_fifos_and_kb_home_are_never_read(kb_factory, tmp_path):
    kb = kb_factory("kb")
    kb.home.mkdir(parents=True, exist_ok=True)
    (kb.home / "secret_key").write_text("SECRETKEYVALUE0123456789")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "private.md").write_text(note("private-note", "OUTSIDEWORD appears only here."))
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.md").write_text(note("good-note", "Naloxone kits for everyone on opioids."))
    (folder / "key.txt").symlink_to(kb.home / "secret_key")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "private.md").symlink_to(outside / "private.md")
    (folder / "linked-dir").symlink_to(outside, target_is_directory=True)
    os.mkfifo(folder / "pipe.txt")
    report = kb.ingest_paths([folder])
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["good.md"].status == "added"
    for name in ("key.txt", "zero.txt", "private.md", "linked-dir", "pipe.txt"):
        assert by_name[name].status == "skipped", (name, by_name[name])
        assert by_name[name].reason
    assert "outside the folder" in by_name["private.md"].reason
    assert report.skipped == 5 and report.summary_dict()["skipped"] == 5
    assert {d.doc_id for d in kb.list_documents()} == {"good-note"}
    assert not kb.search("OUTSIDEWORD", k=3, mode="bm25").hits
    assert not kb.search("SECRETKEYVALUE0123456789", k=3, mode="bm25").hits


def test_files_under_kb_home_and_fifos_named_directly_are_refused(kb_factory, tmp_path):
    kb = kb_factory("kb")
    kb.ingest_paths([_one(tmp_path, "first", "Opioid taper basics.")])
    inside = kb.home / "notes.md"
    inside.write_text(note("inside-home", "Text kept inside KB_HOME."))
    fifo = tmp_path / "named.txt"
    os.mkfifo(fifo)
    report = kb.ingest_paths([inside, fifo])
    assert [f.status for f in report.files] == ["failed", "failed"]
    assert "KB_HOME" in report.files[0].reason
    assert "not a regular file" in report.files[1].reason
    assert "inside-home" not in {d.doc_id for d in kb.list_documents()}


def _one(tmp_path: Path, doc_id: str, body: str, extra: str = "") -> Path:
    folder = tmp_path / f"src-{doc_id}"
    folder.mkdir()
    (folder / f"{doc_id}.md").write_text(note(doc_id, body, extra))
    return folder


# ------------------------------------------------------------------------------------------- item 5
@pytest.mark.parametrize("bad_id", ["zz/../guide-naloxone", "a/b", "../up", "x\ny", "sp ace"])
def test_document_ids_outside_the_safe_alphabet_are_refused(kb_factory, tmp_path, bad_id):
    kb = kb_factory("kb")
    folder = tmp_path / "ids"
    folder.mkdir()
    (folder / "doc.md").write_text(f"---\nid: {bad_id!r}\ntitle: Obsolete draft\n---\n# Draft\n\nIllustrative.\n"
                                   .replace("'", '"').replace("\n", "\\n", 0))
    (folder / "doc.meta.yaml").write_text(f"id: {json_str(bad_id)}\n")
    report = kb.ingest_paths([folder])
    assert report.failed == 1 and report.files[0].status == "failed"
    assert "id" in report.files[0].reason and "refused" in report.files[0].reason


def json_str(value: str) -> str:
    import json

    return json.dumps(value)


# ------------------------------------------------------------------------------------------- item 8
def test_tag_count_and_length_are_capped_with_a_clear_message(kb_factory, tmp_path):
    kb = kb_factory("kb")
    many = ", ".join(f"t{i}" for i in range(5000))
    report = kb.ingest_paths([_one(tmp_path, "many-tags", "Body.", f"tags: [{many}]\n")])
    assert report.failed == 1 and "5000 tags" in report.files[0].reason and "50" in report.files[0].reason
    report = kb.ingest_paths([_one(tmp_path, "long-tag", "Body.", f"tags: [{'x' * 500}]\n")])
    assert report.failed == 1 and "500 characters" in report.files[0].reason
    report = kb.ingest_paths([_one(tmp_path, "long-title", "Body.", f"title: {'T' * 5000}\n")])
    assert report.failed == 1 and "title" in report.files[0].reason


def test_facet_lists_are_bounded(kb_factory, tmp_path):
    kb = kb_factory("kb")
    folder = tmp_path / "tagged"
    folder.mkdir()
    for d in range(6):
        tags = ", ".join(f"topic-{d}-{i}" for i in range(45))
        (folder / f"d{d}.md").write_text(note(f"tagged-{d}", f"Document {d} about pain care.", f"tags: [{tags}]\n"))
    assert kb.ingest_paths([folder]).failed == 0
    facets = kb.facets()
    assert 0 < len(facets["tags"]) <= 200
    assert facets["tags"] == sorted(facets["tags"])


def test_curator_edit_cannot_exceed_the_tag_cap(built_kb):
    with pytest.raises(KBError, match="at most 50"):
        built_kb.update_metadata("fx-taper", tags=[f"t{i}" for i in range(60)])


# ------------------------------------------------------------------------------------------- item 10
def test_non_utf8_file_name_is_reported_and_the_rest_ingested(kb_factory, tmp_path):
    kb = kb_factory("kb")
    folder = tmp_path / "names"
    folder.mkdir()
    (folder / "good.md").write_text(note("good-note", "Naloxone kits."))
    bad = os.path.join(os.fsencode(folder), b"caf\xe9-\xff.md")
    with open(bad, "wb") as fh:
        fh.write(b"# Caf\xc3\xa9 note\n\nIllustrative sample about buprenorphine.\n")
    report = kb.ingest_paths([folder])
    assert report.failed == 0, report.files
    names = sorted(f.path for f in report.files)
    assert any("\\xe9" in n for n in names), names  # shown readably, never as a traceback
    for f in report.files:
        f.path.encode("utf-8")  # printable as UTF-8
    assert "good-note" in {d.doc_id for d in kb.list_documents()}


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_kill_9_of_ingest_leaves_no_parser_child_running(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        (folder / f"n{i}.md").write_text(note(f"n-{i}", f"Sample text {i} on opioid stewardship."))
    proc = kb_cmd(tmp_path / "kb", "ingest", str(folder), popen=True)
    kids: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        kids = _children(proc.pid)
        if kids:
            time.sleep(0.5)
            kids = _children(proc.pid)
            break
        time.sleep(0.05)
    assert kids, "the ingest never started a parser child"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(k) for k in kids):
        time.sleep(0.1)
    left = [k for k in kids if _alive(k)]
    for k in left:
        os.kill(k, signal.SIGKILL)
    assert not left, "children outlived kill -9 of their parent"


# ------------------------------------------------------------------------------------------- item 11
def test_impossible_dates_are_refused_by_ingest_and_search(kb_factory, tmp_path, built_kb):
    kb = kb_factory("kb")
    report = kb.ingest_paths([_one(tmp_path, "bad-date", "Body.", 'published: "2021-02-30"\n')])
    assert report.failed == 1 and "real date" in report.files[0].reason
    with pytest.raises(QueryError, match="real date"):
        built_kb.search("naloxone", filters=SearchFilters(date_from="2021-13-45"))
    proc = kb_in_process(built_kb.home, "search", "naloxone", "--to", "2021-02-30")
    assert proc.exit_code == 1 and proc.stderr.startswith("error: ") and "real date" in proc.stderr


def test_catalogue_held_exclusively_is_a_quick_busy_error(built_kb_home, tmp_path):
    import shutil

    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    holder = sqlite3.connect(str(home / "catalog.db"), isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        proc = kb_in_process(home, "remove", "fx-taper")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.exit_code == 1, proc.stderr
    assert proc.stderr.startswith("error: ") and "busy" in proc.stderr


def test_disk_full_in_the_catalogue_names_the_real_cause(tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    body = " ".join(f"Sentence {i} about opioid tapering and naloxone." for i in range(6000))
    (folder / "big.md").write_text(note("big-note", body))
    limit = 96 * 1024

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = kb_cmd(tmp_path / "kb", "ingest", str(folder), preexec_fn=small_disk)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "cannot rollback" not in proc.stderr
    assert "full" in proc.stderr, proc.stderr


# ------------------------------------------------------------------------------------------- item 12
def test_terminal_control_characters_in_documents_never_reach_the_terminal(kb_factory, tmp_path):
    kb = kb_factory("kb")
    folder = tmp_path / "ctl"
    folder.mkdir()
    (folder / "evil.md").write_text("# Heading\n\nIllustrative sample about naloxone kits for patients.\n")
    (folder / "evil.meta.yaml").write_text('id: evil-title\ntitle: "Naloxone\\r\\e]0;pwned\\a\\u009b2J"\n'
                                           'source: "Org\\e]8;;http://x\\e\\\\"\n')
    report = kb.ingest_paths([folder])
    assert report.failed == 0, report.files
    for args in (("search", "naloxone kits"), ("list",)):
        proc = kb_in_process(kb.home, *args)
        assert proc.exit_code == 0, proc.stderr
        for ch in ("\r", "\x07", "\x1b]", "\x9b"):
            assert ch not in proc.stdout, (args, repr(proc.stdout))
        assert "\\x1b" in proc.stdout or "\\x0d" in proc.stdout
