"""The privacy screen as a gate: flagged files never reach search until a curator releases them."""
from __future__ import annotations

import json
from pathlib import Path

from ingest.sandbox import ParserPool

ROOT = Path(__file__).resolve().parent.parent
PHI = ("Case presentation\n=================\n\nPatient: Jane Tremblay, OHIP 1234567897, seen for low back pain.\n"
       "Call her at 416-555-0199 before the next session.\n")


def _folder(tmp_path: Path, fixture_dir: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "case.txt").write_text(PHI)
    (folder / "taper.md").write_text((fixture_dir / "taper.md").read_text())
    return folder


def test_flagged_file_is_quarantined_not_searchable(kb_factory, tmp_path, fixture_dir):
    kb = kb_factory()
    folder = _folder(tmp_path, fixture_dir)
    report = kb.ingest_paths([folder])
    assert report.quarantined == 1 and report.documents == 1
    held = [f for f in report.files if f.status == "quarantined"][0]
    assert "HEALTH_CARD" in held.reason and "1234567897" not in held.reason
    assert kb.stats()["documents"] == 1
    assert all("Tremblay" not in h.text for h in kb.search("low back pain session", k=10, mode="bm25").hits)
    items = kb.quarantine_list()
    assert len(items) == 1
    dump = json.dumps(items)
    for secret in ("1234567897", "Tremblay", "416-555-0199"):
        assert secret not in dump
    # the same unchanged file is held once, not once per ingest
    kb.ingest_paths([folder])
    assert len(kb.quarantine_list()) == 1


def test_release_redacted_copy(kb_factory, tmp_path, fixture_dir):
    kb = kb_factory()
    folder = _folder(tmp_path, fixture_dir)
    kb.ingest_paths([folder])
    qid = kb.quarantine_list()[0]["qid"]
    kb.release(qid, redact=True)
    assert kb.quarantine_list() == []
    doc = kb.get_document("case")
    assert "[HEALTH_CARD]" in doc.text and "[PHONE]" in doc.text and "1234567897" not in doc.text
    for s in doc.sections:
        assert 0 <= s["start"] <= s["end"] <= len(doc.text)
    # released: a later ingest of the same folder does not hold it again
    again = kb.ingest_paths([folder])
    assert again.quarantined == 0


def test_allowlist_lets_public_numbers_through(kb_factory, tmp_path):
    kb = kb_factory()
    (kb.home).mkdir(parents=True, exist_ok=True)
    kb.settings.allowlist_path.write_text("1-866-531-2600\n")
    p = tmp_path / "helpline.md"
    p.write_text("# Support lines\n\nThe provincial addiction helpline is 1-866-531-2600, open at all hours.\n")
    assert kb.ingest_paths([p]).quarantined == 0


def test_kb_screen_contract_and_exit_codes(tmp_path, fixture_dir):
    folder = _folder(tmp_path, fixture_dir)
    from click.testing import CliRunner

    from kb_cli import cli

    def run(*args):
        return CliRunner().invoke(cli, ["--home", str(tmp_path / "kb"), "screen", *args], catch_exceptions=False)

    res = run("--json", str(folder))
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    by_name = {Path(r["path"]).name: r for r in data}
    assert by_name["taper.md"]["verdict"] == "clean" and by_name["taper.md"]["findings"] == []
    blocked = by_name["case.txt"]
    assert blocked["verdict"] == "blocked"
    kinds = {f["kind"] for f in blocked["findings"]}
    assert {"HEALTH_CARD", "PHONE", "NAME"} <= kinds
    with ParserPool() as pool:
        parsed = pool.read(folder / "case.txt")[0].text  # the same parsed text `kb ingest` screens
    for f in blocked["findings"]:
        assert {"kind", "start", "end", "line"} <= set(f)
        assert parsed[f["start"]:f["end"]]  # offsets index the parsed text
    hc = next(f for f in blocked["findings"] if f["kind"] == "HEALTH_CARD")
    assert parsed[hc["start"]:hc["end"]] == "1234567897"
    assert parsed.split("\n")[hc["line"] - 1].count("1234567897") == 1
    assert "1234567897" not in res.stdout and "1234567897" not in run(str(folder)).stdout
    assert run(str(folder / "taper.md")).exit_code == 0
    (tmp_path / "x.pdf").write_bytes(b"not a pdf")
    assert run(str(tmp_path / "x.pdf")).exit_code == 2
