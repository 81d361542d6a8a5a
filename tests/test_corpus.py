"""Sanity checks for the sample knowledge base in corpus/.

Deliberately independent of the project's ingest code: metadata is parsed cheaply here (YAML front
matter, sidecar YAML, HTML <meta name="kb:..."> via regex) so these tests need no model and no index.
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
EVAL = CORPUS / "eval"
DOC_DIRS = ("cases", "guidance")
DOC_SUFFIXES = {".md", ".html", ".htm", ".pdf", ".txt", ".docx"}
REQUIRED_KEYS = ("id", "title", "type", "source", "published", "reviewed", "tags", "basis", "sample")
TAG_VOCABULARY = {
    "tapering", "benzodiazepines", "oud", "buprenorphine", "methadone", "low-back-pain", "neuropathic-pain",
    "fibromyalgia", "osteoarthritis", "headache", "crps", "cancer-survivorship", "older-adults", "pregnancy",
    "mental-health", "cannabis", "sleep", "physiotherapy", "psychological-therapy", "referral", "acute-pain",
    "renal", "hepatic", "naloxone", "urine-drug-testing", "mme", "nsaids", "assessment", "risk-screening",
    "glossary",
}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
META_RE = re.compile(r'<meta\s+name="kb:([a-z]+)"\s+content="([^"]*)"\s*/?>', re.I)


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    m = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert m, f"{path.name}: no YAML front matter"
    return yaml.safe_load(m.group(1))


def _html_meta(path: Path) -> dict:
    import html

    meta = {k.lower(): html.unescape(v) for k, v in META_RE.findall(path.read_text(encoding="utf-8"))}
    if "tags" in meta:
        meta["tags"] = [t.strip() for t in meta["tags"].split(",") if t.strip()]
    if "sample" in meta:
        meta["sample"] = meta["sample"].strip().lower() == "true"
    return meta


def _sidecar(path: Path) -> dict:
    side = path.with_name(path.stem + ".meta.yaml")
    assert side.exists(), f"{path.name}: missing sidecar {side.name}"
    return yaml.safe_load(side.read_text(encoding="utf-8"))


def load_documents() -> dict[Path, dict]:
    docs = {}
    for sub in DOC_DIRS:
        for path in sorted((CORPUS / sub).iterdir()):
            if path.suffix.lower() not in DOC_SUFFIXES:
                continue
            if path.suffix == ".md":
                meta = _front_matter(path)
            elif path.suffix in (".html", ".htm"):
                meta = _html_meta(path)
            else:
                meta = _sidecar(path)
            docs[path] = meta
    return docs


DOCS = load_documents()


def _ids() -> set[str]:
    return {str(m["id"]) for m in DOCS.values()}


def test_document_counts():
    types = [m.get("type") for m in DOCS.values()]
    assert types.count("echo-case") >= 40
    assert types.count("guideline") >= 15


def test_formats_present():
    suffixes = {p.suffix.lower().lstrip(".") for p in DOCS}
    assert {"html", "pdf", "md", "txt", "docx"} <= suffixes


@pytest.mark.parametrize("path", sorted(DOCS), ids=lambda p: p.name)
def test_metadata_complete(path):
    meta = DOCS[path]
    missing = [k for k in REQUIRED_KEYS if k not in meta or meta[k] in (None, "", [])]
    assert not missing, f"{path.name}: missing {missing}"
    assert meta["type"] in ("echo-case", "guideline")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta["id"]), meta["id"]
    for key in ("published", "reviewed"):
        assert DATE_RE.match(str(meta[key])), f"{path.name}: {key}={meta[key]!r}"
    assert str(meta["published"]) <= str(meta["reviewed"])
    assert meta["sample"] is True
    assert isinstance(meta["tags"], list)
    assert set(meta["tags"]) <= TAG_VOCABULARY, set(meta["tags"]) - TAG_VOCABULARY
    expected_dir = "cases" if meta["type"] == "echo-case" else "guidance"
    assert path.parent.name == expected_dir


def test_ids_unique():
    ids = [m["id"] for m in DOCS.values()]
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes


def test_stale_documents_exist():
    stale = [m for m in DOCS.values() if str(m["reviewed"]) < "2021-11-27"]
    assert len(stale) >= 6


def test_pdf_docx_embedded_metadata():
    docx = pytest.importorskip("docx")
    pypdf = pytest.importorskip("pypdf")
    for path, meta in DOCS.items():
        if path.suffix == ".pdf":
            reader = pypdf.PdfReader(str(path))
            assert len(reader.pages) >= 2, path.name
            assert reader.metadata.title == meta["title"], path.name
            assert reader.metadata.get("/Keywords")
            assert "sample content" in reader.pages[0].extract_text().lower()
        elif path.suffix == ".docx":
            d = docx.Document(str(path))
            assert d.core_properties.title == meta["title"]
            assert d.core_properties.keywords
            styles = {p.style.name for p in d.paragraphs}
            assert "Heading 1" in styles, path.name


def test_generated_files_match_their_sources(tmp_path):
    """The committed PDF/DOCX files and sidecars are what tools/corpus_sources/ regenerates, byte for byte."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus_files", ROOT / "tools" / "make_corpus_files.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    docs = tool.load_sources()
    generated = {d for d in DOCS if d.suffix in (".pdf", ".docx")}
    assert {CORPUS / d["folder"] / f"{d['name']}.{d['fmt']}" for d in docs} == generated
    for path in tool.generate(docs, tmp_path):
        committed = CORPUS / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), f"{committed.name}: run tools/make_corpus_files.py"


def _load_questions() -> list[dict]:
    lines = (EVAL / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _load_qrels() -> list[dict]:
    with (EVAL / "qrels.tsv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_questions_well_formed():
    qs = _load_questions()
    assert len(qs) >= 60
    ids = [q["_id"] for q in qs]
    assert len(ids) == len(set(ids))
    assert all(q["text"].strip() for q in qs)


def test_qrels_reference_existing_documents_and_questions():
    qrels = _load_qrels()
    assert qrels and list(qrels[0].keys()) == ["query-id", "corpus-id", "score"]
    doc_ids = _ids()
    q_ids = {q["_id"] for q in _load_questions()}
    for row in qrels:
        assert row["corpus-id"] in doc_ids, row
        assert row["query-id"] in q_ids, row
        assert row["score"] in ("1", "2"), row


def test_every_question_judged():
    judged = {row["query-id"] for row in _load_qrels() if row["score"] in ("1", "2")}
    missing = [q["_id"] for q in _load_questions() if q["_id"] not in judged]
    assert not missing


def test_every_question_has_a_full_answer():
    full = {row["query-id"] for row in _load_qrels() if row["score"] == "2"}
    missing = [q["_id"] for q in _load_questions() if q["_id"] not in full]
    assert not missing
