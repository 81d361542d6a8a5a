"""The `kb` command as a user runs it, in process (click's CliRunner): real files, exit codes and one-line errors.

Process behaviour (a crash mid-publish, signals, `kb serve`) is tested with real subprocesses elsewhere
(test_crash.py, test_faults.py, webapp/test_serve.py).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from kb_cli import cli


def kb(home: Path, *args: str, env: dict | None = None, input: str | None = None) -> Result:
    """Run `kb --home HOME ARGS...`; an exception that escapes the command fails the test with its traceback."""
    return CliRunner().invoke(cli, ["--home", str(home), *args], env=env, input=input, catch_exceptions=False)


def test_ingest_search_list_json(tmp_path, fixture_dir):
    home = tmp_path / "kb"
    first = kb(home, "ingest", str(fixture_dir), "--json")
    assert first.exit_code == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["documents"] == 7 and summary["chunks_embedded"] > 0 and summary["failed"] == 0
    again = kb(home, "ingest", str(fixture_dir), "--json")
    assert json.loads(again.stdout)["chunks_embedded"] == 0
    res = kb(home, "search", "--json", "how fast can I taper opioids")
    assert res.exit_code == 0, res.stderr
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
    status = kb(home, "status", "--json")
    assert json.loads(status.stdout)["documents"] == 7


def test_bad_file_named_and_exit_nonzero(tmp_path, fixture_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(fixture_dir / "taper.md", folder)
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n%%EOF")
    res = kb(tmp_path / "kb", "ingest", str(folder))
    assert res.exit_code == 1
    assert "corrupt.pdf" in res.stderr
    assert "1 documents added" in res.stdout


def test_search_on_a_missing_kb_is_a_message(tmp_path):
    res = kb(tmp_path / "nothing", "search", "taper")
    assert res.exit_code == 1
    assert res.stderr.startswith("error:") and "kb ingest" in res.stderr and res.stderr.count("\n") == 1
    assert not (tmp_path / "nothing").exists()  # a mistyped KB_HOME is never created


def test_options_override_metadata(tmp_path, fixture_dir):
    home = tmp_path / "kb"
    kb(home, "ingest", str(fixture_dir / "taper.md"), "--type", "other", "--source", "Elsewhere", "--tag", "x")
    listed = json.loads(kb(home, "list", "--json").stdout)
    assert listed[0]["doc_type"] == "other" and listed[0]["source"] == "Elsewhere" and listed[0]["tags"] == ["x"]


def test_remove_reindex_rollback_commands(tmp_path, fixture_dir):
    home = tmp_path / "kb"
    kb(home, "ingest", str(fixture_dir))
    assert kb(home, "remove", "fx-j2").exit_code == 0
    assert "fx-j2" not in kb(home, "list").stdout
    assert kb(home, "reindex").exit_code == 0
    res = kb(home, "rollback")
    assert res.exit_code == 0 and "g000002" in res.stdout
    missing = kb(home, "remove", "no-such-doc")
    assert missing.exit_code == 1 and missing.stderr.startswith("error:") and "no-such-doc" in missing.stderr


def test_a_bad_setting_is_one_error_line_not_a_traceback(tmp_path):
    res = kb(tmp_path / "kb", "status", env={"KB_MAX_TOKENS": "abc"})
    assert res.exit_code == 1
    assert res.stderr == "error: KB_MAX_TOKENS='abc' is not a whole number (default 256)\n"


def test_a_bad_privacy_pattern_is_one_error_line(tmp_path):
    patterns = tmp_path / "mrn.txt"
    patterns.write_text("\\bSMH-(?P<id>\\d{6}\\b\n")
    doc = tmp_path / "note.md"
    doc.write_text("# Note\n\nNothing here.\n")
    res = kb(tmp_path / "kb", "screen", str(doc), env={"KB_PRIVACY_PATTERNS": str(patterns)})
    assert res.exit_code == 1
    assert res.stderr.startswith("error: KB_PRIVACY_PATTERNS=") and "line 1" in res.stderr
    assert res.stderr.count("\n") == 1 and res.stdout == ""


def test_settings_prints_the_values_in_force_and_where_they_came_from(tmp_path):
    res = kb(tmp_path / "kb", "settings", env={"KB_WORKERS": "3", "KB_SECRET_KEY": "do-not-print-me"})
    assert res.exit_code == 0
    rows = {line.split()[0]: line.split()[1:] for line in res.stdout.splitlines()}
    assert rows["KB_WORKERS"] == ["3", "environment"]
    assert rows["KB_HOME"] == [str(tmp_path / "kb"), "option"]
    assert rows["KB_MAX_TOKENS"] == ["256", "default"]
    assert rows["KB_SECRET_KEY"] == ["(set)", "environment"] and "do-not-print-me" not in res.stdout


def test_account_and_token_mistakes_are_error_lines(tmp_path, fixture_dir):
    home = tmp_path / "kb"
    kb(home, "ingest", str(fixture_dir / "taper.md"))
    short = kb(home, "users", "add", "dr.lee", "--role", "admin", "--password", "short")
    assert short.exit_code == 1 and short.stderr == "error: password must be at least 8 characters\n"
    added = kb(home, "users", "add", "dr.lee", "--role", "admin", input="long-enough-pw\nlong-enough-pw\n")
    assert added.exit_code == 0 and "dr.lee" in kb(home, "users", "list").stdout
    unknown = kb(home, "tokens", "revoke", "42")
    assert unknown.exit_code == 1 and unknown.stderr == "error: no API token with id 42\n"
    made = kb(home, "tokens", "add", "emr")
    assert made.exit_code == 0 and made.stdout.splitlines()[-1].startswith("ppt_")
    assert "emr" in kb(home, "tokens", "list").stdout
    gone = kb(home, "users", "remove", "nobody")
    assert gone.exit_code == 1 and gone.stderr == "error: no user named 'nobody'\n"


def test_progress_without_a_terminal_prints_a_line_per_stage_and_a_periodic_count(capsys, monkeypatch):
    """`make run > file` must show progress: no bars, plain lines."""
    from kb_commands.common import Progress

    clock = iter([0.0, 1.0, 12.0, 13.0, 14.0, 15.0])
    monkeypatch.setattr("time.monotonic", lambda: next(clock))
    progress = Progress(True, tty=False, every=10.0)
    progress("embedding", 0, 300)    # t=0: stage line
    progress("embedding", 32, 300)   # t=1: too soon for a count
    progress("embedding", 64, 300)   # t=12: periodic count
    progress("embedding", 300, 300)  # t=13: the stage's end
    progress("database", 5, 10)      # t=14: next stage
    err = capsys.readouterr().out.splitlines()
    assert err == ["Embedding passages ... 0 of 300", "Embedding passages: 64 of 300", "Embedding passages: 300 of 300",
                   "Writing the passage database ... 5 of 10"]
