"""One contract, two implementations: the real KnowledgeBase and the web tests' FakeKB answer alike.

Every assertion here runs against both, so a plumbing test that passes on the fake says something about the
real knowledge base (index/api.py is the seam the web app and the CLI use).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from index.api import KnowledgeBaseAPI
from index.errors import DocumentNotFound, KBEmpty, KBError, QueryError
from index.types import SearchFilters

TAPER = ("# Slow opioid tapering\n\nReduce the opioid dose by five to ten percent every two to four weeks.\n\n"
         "Offer naloxone to every patient on a long-term opioid.\n")
SLEEP = "# Sleep hygiene\n\nKeep a regular wake time and avoid screens before bed.\n"
HELD = "# Clinic note\n\nSeen in clinic. MRN 00123467. The taper was slowed.\n"


@pytest.fixture(params=["real", "fake"])
def kb(request, tmp_path) -> KnowledgeBaseAPI:
    if request.param == "fake":
        from fake_kb import FakeKB  # tests/webapp is on pytest's pythonpath

        return FakeKB()
    request.getfixturevalue("embedder")  # the packaged model, loaded once per session
    from fixtures import make_kb

    return make_kb(tmp_path / "kb")


def _files(tmp_path: Path, **docs: str) -> list[Path]:
    out = []
    for name, text in docs.items():
        path = tmp_path / f"{name}.md"
        path.write_text(text)
        out.append(path)
    return out


def test_implements_the_protocol(kb):
    assert isinstance(kb, KnowledgeBaseAPI)


def test_an_empty_knowledge_base_says_so(kb):
    with pytest.raises(KBEmpty):
        kb.search("opioid taper")
    with pytest.raises(KBEmpty):
        kb.stats()
    assert kb.list_documents() == []
    assert kb.writer_active() is False


def test_ingest_search_read_edit_remove(kb, tmp_path):
    report = kb.ingest_paths(_files(tmp_path, taper=TAPER, sleep=SLEEP))
    assert report.documents == 2 and report.failed == 0 and report.quarantined == 0
    assert {f.status for f in report.files} == {"added"} and all(f.doc_ids for f in report.files)
    assert report.generation == kb.stats()["generation"]
    assert kb.stats()["documents"] == 2
    kb.warm_up()

    result = kb.search("naloxone opioid", k=1, answer=False)
    assert len(result.hits) == 1 and "naloxone" in result.hits[0].text.lower()
    assert result.generation == report.generation
    assert kb.search("naloxone opioid", k=3, answer=False).answer == []
    assert kb.search("naloxone opioid", k=3).hits[0].doc_id == result.hits[0].doc_id
    with pytest.raises(QueryError):
        kb.search("   ")
    with pytest.raises(QueryError):
        kb.search("x" * 501)
    assert kb.search("naloxone", filters=SearchFilters(doc_types=("no-such-type",))).hits == []

    hit = result.hits[0]
    doc = kb.get_document(hit.doc_id)
    assert doc.text[hit.start:hit.end] == hit.text
    blocks = kb.blocks(hit.doc_id, hit.start, hit.end)
    assert all(b["start"] < hit.end and b["end"] > hit.start for b in blocks)
    assert {d.doc_id for d in kb.list_documents()} == {f.doc_ids[0] for f in report.files}
    facets = kb.facets()
    assert set(facets) >= {"doc_types", "sources", "tags"} and doc.doc_type in facets["doc_types"]
    with pytest.raises(DocumentNotFound):
        kb.get_document("no-such-document")

    edited = kb.update_metadata(hit.doc_id, source="Contract Test Org")
    assert isinstance(edited, str) and kb.get_document(hit.doc_id).source == "Contract Test Org"
    removed = kb.remove(hit.doc_id)
    assert removed == kb.stats()["generation"] != report.generation
    with pytest.raises(DocumentNotFound):
        kb.get_document(hit.doc_id)
    with pytest.raises(DocumentNotFound):
        kb.remove(hit.doc_id)


def test_a_quarantined_file_carries_its_id_and_findings(kb, tmp_path):
    report = kb.ingest_paths(_files(tmp_path, note=HELD))
    assert report.quarantined == 1 and report.documents == 0
    (outcome,) = report.files
    assert outcome.status == "quarantined" and isinstance(outcome.quarantine_id, int)
    assert outcome.findings and all("kind" in f and "masked" in f for f in outcome.findings)
    assert "00123467" not in repr(outcome.findings)  # masked, never the identifier itself
    held = {q["qid"]: q for q in kb.quarantine_list()}
    assert set(held) == {outcome.quarantine_id}
    assert [f["kind"] for f in held[outcome.quarantine_id]["reasons"]] == [f["kind"] for f in outcome.findings]
    preview = kb.quarantine_preview(outcome.quarantine_id)
    assert preview and all("00123467" not in p["text"] for p in preview)

    released = kb.release(outcome.quarantine_id, redact=True)
    assert released.documents == 1 and released.files[0].status == "released"
    assert kb.quarantine_list() == []
    with pytest.raises(KBError):
        kb.release(outcome.quarantine_id)
    assert "00123467" not in kb.get_document(released.files[0].doc_ids[0]).text


def test_a_discarded_file_is_gone(kb, tmp_path):
    (outcome,) = kb.ingest_paths(_files(tmp_path, note=HELD)).files
    kb.drop_quarantined(outcome.quarantine_id)
    assert kb.quarantine_list() == []
    with pytest.raises(KBError):
        kb.quarantine_preview(outcome.quarantine_id)
