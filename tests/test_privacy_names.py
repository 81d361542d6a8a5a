"""Names, visible metadata and Unicode variants in the privacy screen; `kb screen` and `kb ingest` agree."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.models import Document, DocumentMeta, Section
from ingest.privacy import Allowlist, ScreenConfig, screen_text
from ingest.privacy.normalize import fold_for_screen
from ingest.sandbox import ParserPool
from ingest.screening import screen_document, screen_files

ROOT = Path(__file__).resolve().parent.parent


def _kb(home: Path, *args: str):
    """`kb --home HOME ARGS...` in process (click's CliRunner)."""
    from click.testing import CliRunner

    from kb_cli import cli

    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def names_in(text: str) -> list[str]:
    return [text[f.start:f.end] for f in screen_text(text).findings if f.kind == "NAME"]


def has_name(text: str, name: str) -> bool:
    return any(name in n or n in name for n in names_in(text))


# ----------------------------------------------------------------------------- context rules
@pytest.mark.parametrize(
    "text,name",
    [
        ("Patient: Wojciech Kowalczyk, 54, low back pain.", "Wojciech Kowalczyk"),
        ("PATIENT: NATASZA PARAFINIUK — referral for taper.", "NATASZA PARAFINIUK"),
        ("Name: Thi Thu Nguyen\nReason: neck pain.", "Thi Thu Nguyen"),
        ("Pt: Aroha Tane-Whiu (61F) on long-term opioids.", "Aroha Tane-Whiu"),
        ("Patiente : Ginette Ouellet-Boisvert, 71 ans.", "Ginette Ouellet-Boisvert"),
        ("Patient: TREMBLAY, Marie-Claude. Chart reviewed.", "TREMBLAY, Marie-Claude"),
        ("Her partner Ximena attended the visit.", "Ximena"),
        ("His daughter, Oluwaseun Adeyemi, manages the blister packs.", "Oluwaseun Adeyemi"),
        ("The patient's mother, Renata Szymańska, is the substitute decision-maker.", "Renata Szymańska"),
        ("Sa fille Josée l'accompagne à chaque rendez-vous.", "Josée"),
        ("Son conjoint Jean-Guy est présent.", "Jean-Guy"),
        ("Dear Farida,\nThank you for presenting this case.", "Farida"),
        ("Regards,\nPriya Raghunathan, RN", "Priya Raghunathan"),
        ("Cordialement,\nGaëtan Lévesque", "Gaëtan Lévesque"),
        ("Send the taper calendar c/o Tomasz Wiśniewski at the pharmacy.", "Tomasz Wiśniewski"),
        ("She was seen with Santino Giammusso at the last visit.", "Santino Giammusso"),
        ("Case presented by Chidi Okonkwo, nurse practitioner.", "Chidi Okonkwo"),
        ("Next of kin: Hamid Rahimi (son).", "Hamid Rahimi"),
        ("Taalib Ubaadah is a 58-year-old with fibromyalgia.", "Taalib Ubaadah"),
        ("M. Gagnon rapporte une douleur la nuit.", "Gagnon"),
        ("Mrs. O'Neil reports worsening pain.", "O'Neil"),
        ("Seen today: Hendrik van der Berg reports poor sleep.", "Hendrik van der Berg"),
        ("Mr. MacDonald and Ms McAllister attended.", "MacDonald"),
    ],
)
def test_context_rules_find_the_name(text, name):
    assert has_name(text, name), names_in(text)


def test_name_wrapped_across_lines_in_a_paragraph_is_found_after_parsing(tmp_path):
    p = tmp_path / "note.txt"
    p.write_text("Case summary\n============\n\nThe patient came with her partner Marie-Claude\nTremblay, who drives her.\n")
    with ParserPool() as pool:
        doc = pool.read(p)[0]
    assert any(f["kind"] == "NAME" and "Tremblay" in doc.text[f["start"]:f["end"]]
               for f in screen_document(doc, None, None))


# ----------------------------------------------------------------------------- the statistical layer
def test_model_finds_a_name_the_rules_cannot_place():
    text = "Follow-up was arranged. Afterwards Ngozi Eze-Okafor phoned the clinic about the dose."
    rules_only = ScreenConfig(mrn_patterns=(), use_model=False)
    assert has_name(text, "Ngozi Eze-Okafor")
    assert isinstance(screen_text(text, config=rules_only).findings, list)


def test_model_loads_offline_without_network():
    """The packaged model loads with the Hugging Face offline variables set and every socket refused."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network disabled in this test')\n"
        "socket.socket.connect = refuse\nsocket.create_connection = refuse\nsocket.getaddrinfo = refuse\n"
        "import sys\nsys.path.insert(0, %r)\n"
        "import ingest.privacy\nassert 'spacy' not in sys.modules, 'the model must not load at import'\n"
        "from ingest.privacy import ner\n"
        "info = ner.model_info()\nassert info['license'] == 'MIT' and 'ner' in info['pipes'], info\n"
        "spans = ner.person_spans(['Yesterday Wojciech Kowalczyk called the clinic.'])[0]\n"
        "assert spans, 'no PERSON found'\nprint('ok')\n" % str(ROOT)
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]


# ----------------------------------------------------------------------------- precision on clinical text
@pytest.mark.parametrize(
    "text",
    [
        "Parkinson disease and Crohn's disease were excluded; Tinel sign and Phalen test were negative.",
        "Spurling test negative. Apley scratch test limited. Review the Beers Criteria before prescribing.",
        "Switch Percocet to Tylenol #3; stop Lyrica; continue Suboxone 16 mg.",
        "Hoffmann sign, Lhermitte sign and the Patrick (FABER) test were normal.",
        "Barrett esophagus and Hashimoto thyroiditis are in the history; Dupuytren contracture noted.",
        "Referral options in Thunder Bay and Sault Ste. Marie: Health Sciences North and St. Michael's Hospital.",
        "Michael Garron Hospital, William Osler Health System and Women's College Hospital run group CBT.",
        "Busse JW, Craigie S, Juurlink DN, et al. CMAJ. 2017;189:E659.",
        "As Lawson and Rose (2018) showed, tapering is feasible; see Berg et al. (2021).",
        "The nurse practitioner, the hub pharmacist and the social worker reviewed the plan.",
        "Referral options in Hamilton, Ontario and Markham, Alberta: Davis Group and Harris PLC.",
        "Grace period. Will reassess. Mark the chart. Hope and Joy are words.",
        "Key Points\n\nNeuropathic pain arises from a lesion of the somatosensory system.",
    ],
)
def test_clinical_text_is_not_a_name(text):
    assert names_in(text) == []


# ----------------------------------------------------------------------------- Unicode variants
@pytest.mark.parametrize(
    "variant",
    [
        "OHIP 1234\u00a0567\u00a0897",      # non-breaking spaces
        "OHIP 1234\u2009567\u2009897",      # thin spaces
        "OHIP 1234\u2011567\u2011897",      # non-breaking hyphens
        "OHIP 1234\u2013567\u2013897",      # en dashes
        "OHIP \uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff17",  # full-width digits
    ],
)
def test_health_card_written_with_unicode_spaces_dashes_or_digits(variant):
    r = screen_text(f"Seen today. {variant}, version AB.")
    assert any(f.kind == "HEALTH_CARD" for f in r.findings), r.findings
    assert all("567" not in f.masked for f in r.findings)


def test_phone_with_unicode_dash_and_offsets_into_the_original():
    text = "Call 416\u2011555\u20110199 before the visit."
    f = next(f for f in screen_text(text).findings if f.kind == "PHONE")
    assert text[f.start:f.end] == "416\u2011555\u20110199"


def test_folding_keeps_every_offset():
    s = "a\u00a0b\u2013c\uff11\u202fd\u2019e"
    assert len(fold_for_screen(s)) == len(s) and fold_for_screen(s) == "a b-c1 d'e"


# ----------------------------------------------------------------------------- metadata and file names
def _doc(**meta) -> Document:
    text = "Taper by 10% every two weeks and review at each visit.\n"
    fields = {"doc_id": "taper-note", "title": "Taper note", **meta}
    return Document(DocumentMeta(**fields), text, [Section(0, len(text), ("Plan",), 1)])


@pytest.mark.parametrize(
    "meta,field,kind",
    [
        ({"title": "Follow-up for Jane Tremblay"}, "title", "NAME"),
        ({"tags": ("opioids", "ohip 1234567897")}, "tags", "HEALTH_CARD"),
        ({"source": "Call 416-555-0199"}, "source", "PHONE"),
        ({"basis": "Case of Mrs. Kowalczyk"}, "basis", "NAME"),
        ({"filename": "Marie-Claude_Tremblay_notes.docx"}, "filename", "NAME"),
        ({"filename": "jane_smith_consult.pdf"}, "filename", "NAME"),
        ({"filename": "case_1234567897.txt"}, "filename", "HEALTH_CARD"),
    ],
)
def test_identifiers_in_metadata_block_the_document(meta, field, kind):
    findings = screen_document(_doc(**meta), None, None)
    assert any(f["field"] == field and f["kind"] == kind for f in findings if "field" in f), findings
    assert "1234567897" not in json.dumps(findings) and "Tremblay" not in json.dumps(findings)


def test_heading_not_in_the_text_is_screened():
    text = "Taper slowly.\n"
    doc = Document(DocumentMeta(doc_id="d", title="Plan"), text, [Section(0, len(text), ("Visit with Jane Tremblay",), None)])
    assert any(f.get("field") == "heading" for f in screen_document(doc, None, None))


def test_clean_metadata_passes():
    assert screen_document(_doc(tags=("opioids", "tapering"), source="Ontario Health", filename="taper-note.md"), None, None) == []


def test_allowlist_applies_to_metadata():
    allow = Allowlist(["416-555-0199"])
    assert screen_document(_doc(source="Helpline 416-555-0199"), allow, None) == []


# ----------------------------------------------------------------------------- kb screen and kb ingest agree
def _files(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "wrapped.txt").write_text(
        "Case summary\n============\n\nThe patient attends with her daughter Marie-Claude\nGagnon-Tremblay, who drives.\n"
        "Taper by 10% every two weeks.\n")
    (folder / "Jean_Tremblay_notes.md").write_text("# Notes\n\nTaper by 10% every two weeks; review sleep.\n")
    (folder / "clean.md").write_text("# Taper\n\nTaper by 10% every two weeks; Tinel sign negative; continue Lyrica.\n")
    (folder / "meta.md").write_text("---\ntitle: Visit for OHIP 1234567897\ntags: [opioids]\n---\n\nTaper slowly.\n")
    return folder


def test_kb_screen_and_ingest_agree(kb_factory, tmp_path):
    folder = _files(tmp_path)
    with ParserPool() as pool:
        screened = {Path(r["path"]).name: r for r in screen_files([folder], pool, Allowlist(), ScreenConfig.load(None))}
    kb = kb_factory()
    report = kb.ingest_paths([folder])
    held = {Path(f.path).name for f in report.files if f.status == "quarantined"}
    assert held == {n for n, r in screened.items() if r["verdict"] == "blocked"}
    assert held == {"wrapped.txt", "Jean_Tremblay_notes.md", "meta.md"}
    # same findings: kinds, offsets and fields
    quarantined = {Path(q["origin"]).name: q["reasons"] for q in kb.quarantine_list()}
    for name in held:
        key = lambda f: (f["kind"], f["start"], f["end"], f.get("field"))  # noqa: E731
        assert sorted(map(key, quarantined[name])) == sorted(map(key, screened[name]["findings"])), name
    assert kb.stats()["documents"] == 1


def test_kb_screen_cli_reports_metadata_findings(tmp_path):
    folder = _files(tmp_path)
    res = _kb(tmp_path / "kb", "screen", "--json", str(folder))
    assert res.exit_code == 1, res.stderr
    data = {Path(r["path"]).name: r for r in json.loads(res.stdout)}
    assert data["clean.md"]["verdict"] == "clean"
    assert any(f.get("field") == "filename" for f in data["Jean_Tremblay_notes.md"]["findings"])
    assert any(f.get("field") == "title" and f["kind"] == "HEALTH_CARD" for f in data["meta.md"]["findings"])
    findings = json.dumps([r["findings"] for r in data.values()])  # paths are the curator's own; findings are masked
    assert "1234567897" not in findings and "Tremblay" not in findings


def test_kb_screen_and_quarantine_list_print_metadata_findings(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "Jean_Tremblay_notes.md").write_text("# Notes\n\nTaper by 10% every two weeks.\n")
    res = _kb(tmp_path / "kb", "screen", str(folder))
    assert res.exit_code == 1 and "in the filename" in res.stdout, res.stdout + res.stderr
