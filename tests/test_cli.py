"""The `kb` command as a user runs it: a real subprocess, real files, exit codes and one-line errors."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def kb(home: Path, *args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "KB_HOME": str(home), **(env or {})}
    return subprocess.run([sys.executable, str(ROOT / "kb_cli.py"), *args], capture_output=True, text=True,
                          env=full_env, cwd=str(ROOT), timeout=timeout)


def test_ingest_search_list_json(tmp_path, fixture_dir):
    home = tmp_path / "kb"
    first = kb(home, "ingest", str(fixture_dir), "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["documents"] == 7 and summary["chunks_embedded"] > 0 and summary["failed"] == 0
    again = kb(home, "ingest", str(fixture_dir), "--json")
    assert json.loads(again.stdout)["chunks_embedded"] == 0
    res = kb(home, "search", "--json", "how fast can I taper opioids")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["query"] == "how fast can I taper opioids" and data["hits"][0]["doc_id"] == "fx-taper"
    assert isinstance(data["answer"], list)
    assert data["answer_status"] in ("answered", "no_direct_answer", "out_of_scope")
    assert 0 <= data["confidence"] <= 1 and data["corrected_query"] == ""
    for a in data["answer"]:
        assert a["text"] == data["hits"][a["hit"]]["text"][a["start"]:a["end"]] and a["citation"] == a["hit"] + 1
    # the CLI prints what the library returns
    from fixtures import make_kb

    lib = make_kb(home).search("how fast can I taper opioids", k=5).to_dict()
    assert {k: data[k] for k in ("answer_status", "confidence", "answer")} == \
        {k: json.loads(json.dumps(lib[k])) for k in ("answer_status", "confidence", "answer")}
    fixed = json.loads(kb(home, "search", "--json", "opiod taper").stdout)
    assert fixed["corrected_query"] == "opioid taper" and fixed["query"] == "opiod taper"
    assert json.loads(kb(home, "search", "--json", "--exact", "opiod taper").stdout)["corrected_query"] == ""
    listed = kb(home, "list")
    assert "fx-methadone" in listed.stdout and "guideline" in listed.stdout
    plain = kb(home, "search", "methadone QTc ECG", "--type", "guideline")
    assert "Methadone basics" in plain.stdout and "p. 3" in plain.stdout


def test_bad_file_named_and_exit_nonzero(tmp_path, fixture_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(fixture_dir / "taper.md", folder)
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n%%EOF")
    res = kb(tmp_path / "kb", "ingest", str(folder))
    assert res.returncode == 1
    assert "corrupt.pdf" in res.stderr and "Traceback" not in res.stderr
    assert "1 documents added" in res.stdout


def test_search_on_empty_kb_is_a_message(tmp_path):
    res = kb(tmp_path / "nothing", "search", "taper")
    assert res.returncode == 1
    assert res.stderr.startswith("error:") and "kb ingest" in res.stderr and "Traceback" not in res.stderr


def test_options_override_metadata(tmp_path, fixture_dir):
    home = tmp_path / "kb"
    kb(home, "ingest", str(fixture_dir / "taper.md"), "--type", "other", "--source", "Elsewhere", "--tag", "x")
    listed = json.loads(kb(home, "list", "--json").stdout)
    assert listed[0]["doc_type"] == "other" and listed[0]["source"] == "Elsewhere" and listed[0]["tags"] == ["x"]


def test_remove_reindex_rollback_commands(tmp_path, fixture_dir):
    home = tmp_path / "kb"
    kb(home, "ingest", str(fixture_dir))
    assert kb(home, "remove", "fx-j2").returncode == 0
    assert "fx-j2" not in kb(home, "list").stdout
    assert kb(home, "reindex").returncode == 0
    res = kb(home, "rollback")
    assert res.returncode == 0 and "g000002" in res.stdout
    missing = kb(home, "remove", "no-such-doc")
    assert missing.returncode == 1 and "no-such-doc" in missing.stderr


def test_progress_without_a_terminal_prints_a_line_per_stage_and_a_periodic_count(capsys, monkeypatch):
    """`make run > file` must show progress: no bars, plain lines."""
    import kb_cli

    clock = iter([0.0, 1.0, 12.0, 13.0, 14.0, 15.0])
    monkeypatch.setattr("time.monotonic", lambda: next(clock))
    progress = kb_cli._Progress(True, tty=False, every=10.0)
    progress("embedding", 0, 300)    # t=0: stage line
    progress("embedding", 32, 300)   # t=1: too soon for a count
    progress("embedding", 64, 300)   # t=12: periodic count
    progress("embedding", 300, 300)  # t=13: the stage's end
    progress("database", 5, 10)      # t=14: next stage
    err = capsys.readouterr().out.splitlines()
    assert err == ["Embedding passages ... 0 of 300", "Embedding passages: 64 of 300", "Embedding passages: 300 of 300",
                   "Writing the passage database ... 5 of 10"]
