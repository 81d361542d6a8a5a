"""Chunks never exceed the model's input and always point back at their exact source text."""
from __future__ import annotations

from ingest.chunking import ChunkParams, chunk_document
from ingest.models import Block, Document, DocumentMeta
from ingest.readers import read_path
from ingest.sentences import sentence_spans


def _doc(blocks):
    return Document.from_blocks(DocumentMeta("d", "T"), blocks)


def test_sentence_spans_keep_abbreviations_and_decimals():
    text = "Give 2.5 mg e.g. at night. Dr. review in 2 weeks! Then stop.\nNext line"
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == ["Give 2.5 mg e.g. at night.", "Dr. review in 2 weeks!", "Then stop.", "Next line"]


def test_token_bound_and_locators_on_long_text(embedder):
    sentence = "Reduce the oxycodone dose by ten percent of the original amount every four weeks while monitoring. "
    blocks = [Block("Intro\n" + sentence * 3, ("Intro",)),
              Block("Long section\n" + sentence * 60, ("Intro", "Long section"), 2),
              Block("x" * 4000, ("Intro", "Unbroken"), 3)]  # one giant 'word' must still be cut
    doc = _doc(blocks)
    params = ChunkParams(max_tokens=256, overlap_tokens=32)
    chunks = chunk_document(doc, embedder.token_spans, params)
    assert len(chunks) > 5
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text
        assert embedder.count_tokens(c.text) <= 256, (c.ordinal, embedder.count_tokens(c.text))
    assert {c.page for c in chunks if c.heading_path[-1] == "Long section"} == {2}
    assert any(c.heading_path == ("Intro", "Unbroken") for c in chunks)
    # consecutive chunks of one section overlap
    long = [c for c in chunks if c.heading_path[-1] == "Long section"]
    assert any(b.start < a.end for a, b in zip(long, long[1:]))
    # every character of the document is covered by some chunk (apart from blank separators)
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(doc.text) if not ch.isspace())


def test_small_sections_join_the_next(embedder):
    doc = _doc([Block("Title only", ("Title only",)),
                Block("Section\nA real paragraph with enough words to stand alone as a passage for search.",
                      ("Title only", "Section"))])
    chunks = chunk_document(doc, embedder.token_spans, ChunkParams(min_section_tokens=24))
    assert len(chunks) == 1 and chunks[0].text.startswith("Title only")
    assert chunks[0].heading_path == ("Title only", "Section")


def test_fixture_pdf_chunks_keep_pages(fixture_dir, embedder):
    doc = read_path(fixture_dir / "methadone.pdf")[0]
    chunks = chunk_document(doc, embedder.token_spans, ChunkParams())
    assert any(c.page == 3 and "QTc" in c.text for c in chunks)
