"""The knowledge base end to end on the real model, SQLite and FAISS: ingest, search, update, generations."""
from __future__ import annotations

import json
import shutil

import pytest

from index import generation as gens
from index import publishing
from index.errors import CorruptIndex, DocumentNotFound, KBEmpty, KBLocked, ModelMismatch
from index.types import SearchFilters


def test_ingest_counts_and_search_fields(built_kb):
    stats = built_kb.stats()
    assert stats["documents"] == 7 and stats["chunks"] >= 7
    res = built_kb.search("how fast can I taper opioids", k=3).to_dict()
    assert res["hits"], res
    top = res["hits"][0]
    assert top["doc_id"] == "fx-taper"
    for key in ("doc_id", "chunk_id", "title", "text", "score", "section", "page", "doc_type", "source", "date",
                "highlights"):
        assert key in top
    assert top["source"] == "Fixture Programme" and top["date"] == "2021-05-01"
    doc = built_kb.get_document("fx-taper")
    assert doc.text[top["start"]:top["end"]] == top["text"]


def test_second_ingest_embeds_nothing(built_kb, fixture_dir):
    before = built_kb.stats()["generation"]
    report = built_kb.ingest_paths([fixture_dir])
    assert report.summary_dict() == {"documents": 0, "chunks_embedded": 0, "unchanged": 7, "failed": 0,
                                     "quarantined": 0, "skipped": 0}
    assert built_kb.stats()["generation"] == before  # nothing changed: nothing published


def test_changed_file_replaces_its_chunks(built_kb, fixture_dir, tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(fixture_dir, folder)
    built_kb.ingest_paths([folder])  # same content, new paths
    md = folder / "taper.md"
    md.write_text(md.read_text().replace("Offer take-home naloxone", "Always offer a zebra-striped naloxone kit"))
    report = built_kb.ingest_paths([folder])
    assert report.documents == 1 and 0 < report.chunks_embedded <= 2
    hits = built_kb.search("zebra-striped naloxone", k=3, mode="bm25").hits
    assert hits and hits[0].doc_id == "fx-taper"
    texts = [c.text for c in built_kb.generation().reader.chunks(doc_id="fx-taper")]
    assert not any("Offer take-home naloxone" in t for t in texts)


def test_remove_deletes_document_and_vectors(built_kb):
    n = built_kb.stats()["chunks"]
    gone = len(built_kb.generation().reader.chunks(doc_id="fx-udt"))
    assert gone
    built_kb.remove("fx-udt")
    assert built_kb.stats()["chunks"] == n - gone
    assert built_kb.generation().vectors.size == n - gone
    assert all(h.doc_id != "fx-udt" for h in built_kb.search("urine drug testing immunoassay", k=10).hits)
    with pytest.raises(DocumentNotFound):
        built_kb.get_document("fx-udt")
    with pytest.raises(DocumentNotFound):
        built_kb.remove("fx-udt")


def test_reindex_and_rollback(built_kb):
    first = built_kb.stats()["generation"]
    built_kb.remove("fx-j1")
    second = built_kb.stats()["generation"]
    third = built_kb.reindex()
    assert first < second < third
    assert built_kb.stats()["documents"] == 6
    assert built_kb.rollback() == second
    assert built_kb.rollback() == first
    assert built_kb.stats()["documents"] == 7
    assert built_kb.get_document("fx-j1").title == "Gabapentinoids"
    # the catalogue follows the rollback: a reindex keeps the restored document
    built_kb.reindex()
    assert built_kb.stats()["documents"] == 7


def test_manifest_describes_the_generation(built_kb):
    gen = built_kb.generation()
    m = json.loads((gen.dir / "manifest.json").read_text())
    assert m["format_version"] == gens.FORMAT_VERSION
    assert m["model"]["dimension"] == 384 and m["model"]["name"] == "all-MiniLM-L6-v2"
    assert m["chunking"]["max_tokens"] == 256
    assert m["counts"]["chunks"] == gen.vectors.size
    # every file: SHA-256 (for sha256sum) and XXH3-128 (what loading verifies, index/checksum.py)
    assert all(len(e["sha256"]) == 64 and len(e["xxh3_128"]) == 32 for e in m["files"].values())


def test_filters_apply_inside_retrieval(built_kb):
    f = SearchFilters(doc_types=("guideline",))
    hits = built_kb.search("buprenorphine", k=10, filters=f, per_doc=0).hits
    assert hits and all(h.doc_type == "guideline" for h in hits)
    # a filtered query still fills k when k passages match the filter
    n_guideline = len(built_kb.generation().reader.chunk_ids(f))
    assert len(built_kb.search("zzz unrelated words", k=n_guideline, filters=f, per_doc=0,
                            answer=False).hits) == n_guideline
    tagged = built_kb.search("pain", k=10, filters=SearchFilters(tags=("oud",)), per_doc=0).hits
    assert {h.doc_id for h in tagged} <= {"fx-udt", "fx-bup-home"} and tagged
    dated = built_kb.search("pain", k=10, filters=SearchFilters(date_from="2021-01-01", date_to="2022-12-31")).hits
    assert {h.doc_id for h in dated} == {"fx-taper"}
    src = built_kb.search("pain", k=10, filters=SearchFilters(sources=("Fixture Lab Service",))).hits
    assert {h.doc_id for h in src} == {"fx-udt"}


def test_empty_kb_is_a_clear_error(kb_factory):
    kb = kb_factory()
    with pytest.raises(KBEmpty, match="kb ingest"):
        kb.search("anything")


def test_corrupt_vectors_detected_by_checksum(built_kb):
    gen_dir = built_kb.generation().dir
    data = bytearray((gen_dir / "vectors.faiss").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (gen_dir / "vectors.faiss").write_bytes(bytes(data))
    fresh = type(built_kb)(built_kb.settings)
    with pytest.raises(CorruptIndex, match="checksum"):
        fresh.search("taper")


def test_corrupt_new_generation_keeps_serving_the_old(built_kb):
    old = built_kb.stats()["generation"]
    built_kb.reindex()
    new = publishing.read_current(built_kb.home)
    assert new != old
    # the server already had the old generation loaded; damage the new one, then roll CURRENT to it again
    publishing.publish(built_kb.home, old)
    built_kb.search("taper")
    db = built_kb.home / publishing.GEN_DIR / new / "chunks.db"
    db.write_bytes(db.read_bytes()[:-10] + b"0123456789")
    publishing.publish(built_kb.home, new)
    assert built_kb.search("taper").generation == old


def test_model_mismatch_is_refused(built_kb):
    gen_dir = built_kb.generation().dir
    m = json.loads((gen_dir / "manifest.json").read_text())
    m["model"]["fingerprint"] = "another-model"
    (gen_dir / "manifest.json").write_text(json.dumps(m))
    import hashlib  # a generation really built by another model carries its own manifest checksum

    (gen_dir / "manifest.sha256").write_text(hashlib.sha256((gen_dir / "manifest.json").read_bytes()).hexdigest())
    fresh = type(built_kb)(built_kb.settings)
    with pytest.raises(ModelMismatch, match="KB_MODEL"):
        fresh.search("taper")


def test_second_writer_is_refused(built_kb):
    with built_kb.lock():
        with pytest.raises(KBLocked, match="another"):
            built_kb.remove("fx-j1")


def test_good_and_bad_files_together(kb_factory, fixture_dir, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(fixture_dir / "taper.md", folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nothing here")
    (folder / "empty.txt").write_text("")
    kb = kb_factory()
    report = kb.ingest_paths([folder])
    assert report.documents == 1 and report.failed == 2
    failed = {f.path.rsplit("/", 1)[-1]: f.reason for f in report.files if f.status == "failed"}
    assert set(failed) == {"broken.pdf", "empty.txt"}
    assert "empty" in failed["empty.txt"]
    # nothing already in the KB is lost by a later failing file
    (folder / "broken2.docx").write_bytes(b"junk")
    kb.ingest_paths([folder / "broken2.docx"])
    assert kb.stats()["documents"] == 1


def test_model_inputs_fit_the_model(built_kb):
    """Title plus chunk, as embedded, never exceeds the model's 256 word pieces: nothing is truncated."""
    from index.kb import embed_input

    emb = built_kb.embedder
    docs = built_kb.list_documents()
    titles = built_kb.writer.publisher.clipped_titles([d.title for d in docs])
    reader = built_kb.generation().reader
    rows = reader.with_docs(c.chunk_id for c in reader.chunks())
    assert rows
    for text, title in ((c.text, d.title) for c, d in rows):
        assert emb.count_tokens(embed_input(titles[title], text)) <= 256
    long_title = "Opioid " * 100
    assert emb.count_tokens(built_kb.writer.publisher.clipped_titles([long_title])[long_title]) <= 32 + 2


def test_catalogue_records_its_schema_version_and_undoes_a_failed_transaction(tmp_path):
    from index.catalog import SCHEMA_VERSION, Catalog
    from index.errors import KBError

    catalog = Catalog.open(tmp_path)
    assert catalog.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    catalog.set_state("version", "7")
    with pytest.raises(RuntimeError):
        with catalog.transaction():
            catalog.bump()
            assert catalog.version == 8
            raise RuntimeError("fails half way")
    assert catalog.version == 7 and not catalog.db.in_transaction
    catalog.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")  # a catalogue from a newer release
    catalog.close()
    with pytest.raises(KBError, match="newer"):
        Catalog.open(tmp_path)


def test_search_reports_its_stages_and_the_first_results_do_not_depend_on_k(built_kb):
    stages: dict[str, float] = {}
    ten = built_kb.search("how fast can I taper opioids", k=10, timings=stages)
    assert {"encode_query", "dense", "keyword", "fuse_and_feedback", "diversify", "load_hits",
            "answer_stage"} <= set(stages) and all(v >= 0 for v in stages.values())
    more = built_kb.search("how fast can I taper opioids", k=60, answer=False)
    assert [h.chunk_id for h in more.hits[:3]] == [h.chunk_id for h in ten.hits[:3]]
