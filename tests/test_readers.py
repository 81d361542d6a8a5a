"""Each parser on a real file of its format, plus the bad-input cases."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import CorruptDocument, EmptyDocument, EncryptedDocument, IngestError, UnsupportedFormat
from ingest.readers import read_path


def one(path: Path):
    docs = read_path(path)
    assert len(docs) == 1
    return docs[0]


def test_markdown_front_matter_and_headings(fixture_dir):
    doc = one(fixture_dir / "taper.md")
    m = doc.meta
    assert (m.doc_id, m.doc_type, m.source, m.published, m.reviewed) == (
        "fx-taper", "guideline", "Fixture Programme", "2021-05-01", "2018-02-01")
    assert m.tags == ("tapering", "mme") and m.filename == "taper.md"
    assert "---" not in doc.text and "id: fx-taper" not in doc.text
    paths = [s.heading_path for s in doc.sections]
    assert ("Opioid tapering basics", "Taper speed") in paths
    speed = " ".join(doc.text[s.start:s.end] for s in doc.sections if s.heading_path[-1] == "Taper speed")
    assert "10% of the current dose per month" in speed


def test_html_drops_chrome_keeps_headings_and_meta(fixture_dir):
    doc = one(fixture_dir / "udt.html")
    for chrome in ("SCRIPT-TEXT", "NAV-LINK", "FOOTER-TEXT", "SITE-HEADER", "color:red"):
        assert chrome not in doc.text
    assert doc.meta.doc_id == "fx-udt" and doc.meta.tags == ("urine-drug-testing", "oud")
    assert doc.meta.title == "Urine drug testing"
    assert any(s.heading_path == ("Urine drug testing", "Immunoassay limits", "Confirmatory testing")
               for s in doc.sections)
    assert "Morphine | 2-3 days" in doc.text


def test_pdf_pages_outline_and_sidecar(fixture_dir):
    doc = one(fixture_dir / "methadone.pdf")
    assert doc.meta.doc_id == "fx-methadone" and doc.meta.title == "Methadone basics"
    assert doc.meta.published == "2019-06-01"
    qtc = next(s for s in doc.sections if "QTc" in doc.text[s.start:s.end])
    assert qtc.page == 3
    assert qtc.heading_path[-1] == "QTc monitoring"
    assert {s.page for s in doc.sections} == {1, 2, 3}


def test_docx_headings_tables_and_properties(fixture_dir):
    doc = one(fixture_dir / "neuro.docx")
    assert doc.meta.doc_id == "fx-neuro" and doc.meta.title == "Neuropathic pain ladder"
    assert doc.meta.tags == ("neuropathic-pain",)
    second = " ".join(doc.text[s.start:s.end] for s in doc.sections if s.heading_path[-1] == "Second line")
    assert "Tramadol" in second
    assert "Pregabalin | 25 to 75 mg at night" in doc.text


def test_text_setext_headings_and_sidecar(fixture_dir):
    doc = one(fixture_dir / "bup.txt")
    assert doc.meta.doc_id == "fx-bup-home" and doc.meta.doc_type == "echo-case"
    assert doc.meta.title == "Buprenorphine start at home"
    assert any(s.heading_path[-1] == "First day" for s in doc.sections)
    assert "=====" not in doc.text


def test_jsonl_one_document_per_line(fixture_dir):
    docs = read_path(fixture_dir / "small.jsonl")
    assert [d.meta.doc_id for d in docs] == ["fx-j1", "fx-j2"]
    assert docs[1].meta.title == "Acetaminophen ceiling" and docs[1].meta.source == "Fixture Collection"


def test_overrides_win(fixture_dir):
    doc = read_path(fixture_dir / "taper.md", {"type": "other", "source": "Override", "tags": ["x"]})[0]
    assert (doc.meta.doc_type, doc.meta.source, doc.meta.tags) == ("other", "Override", ("x",))


def test_latin1_text_is_decoded(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("Douleur chronique: réduction progressive très lente.".encode("latin-1"))
    assert "réduction" in one(p).text


@pytest.mark.parametrize("name,data,error", [
    ("empty.md", b"", EmptyDocument),
    ("blank.txt", b"   \n\n  ", EmptyDocument),
    ("binary.txt", bytes(range(256)) * 40, CorruptDocument),
    ("corrupt.pdf", b"%PDF-1.4\n garbage without objects", CorruptDocument),
    ("corrupt.docx", b"PK\x03\x04 not really a zip", CorruptDocument),
    ("notes.xyz", b"hello", UnsupportedFormat),
    ("bad.jsonl", b'{"_id": "a", "text": "ok"}\n{broken\n', CorruptDocument),
])
def test_bad_inputs_raise_clear_errors(tmp_path, name, data, error):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(error) as info:
        read_path(p)
    assert name in str(info.value)


def test_encrypted_pdf(tmp_path, fixture_dir):
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for page in PdfReader(fixture_dir / "methadone.pdf").pages:
        w.add_page(page)
    w.encrypt("secret")
    p = tmp_path / "locked.pdf"
    with open(p, "wb") as fh:
        w.write(fh)
    with pytest.raises(EncryptedDocument, match="encrypted"):
        read_path(p)


def test_bad_metadata_is_named(tmp_path):
    p = tmp_path / "x.md"
    p.write_text("---\ntype: novel\n---\n# T\n\nBody text here.\n")
    with pytest.raises(IngestError, match="doc type"):
        read_path(p)
