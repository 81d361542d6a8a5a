"""The knowledge base as the CLI and the web app see it: a facade over the reader, the writer and the pipeline.

index/reader.py serves the live generation (search, documents, stats, facets, warm-up); index/writer.py holds the
write lock, applies the ingest pipeline's decisions (index/pipeline.py) to the catalogue and publishes through
index/publisher.py. `KnowledgeBase` implements `index.api.KnowledgeBaseAPI`, the seam the web app and CLI use.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Callable

from ingest.chunking import ChunkParams
from kb_settings import Settings

from . import generation as gens
from .catalog import Catalog
from .context import KBContext
from .embedder import Embedder
from .publisher import embed_input
from .reader import MAX_FACETS, MAX_QUERY_CHARS, OUT_OF_SCOPE_HITS, Reader, block_dict
from .spelling import Speller
from .types import DocumentRecord, IngestReport, SearchFilters, SearchResult
from .vocabulary import Vocabulary
from .writer import Writer

__all__ = ["KnowledgeBase", "embed_input", "block_dict", "MAX_QUERY_CHARS", "MAX_FACETS", "OUT_OF_SCOPE_HITS"]
Progress = Callable[[str, int, int], None]


class KnowledgeBase:
    """One per process: loads the model and the live generation lazily, and follows new generations."""

    def __init__(self, settings: Settings | None = None):
        self.ctx = KBContext(settings or Settings.from_env())
        self.settings = self.ctx.settings
        self.home = self.ctx.home
        self.reader = Reader(self.ctx)
        self.writer = Writer(self.ctx)

    # -- shared pieces ---------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        return self.ctx.embedder

    @property
    def query_encoder(self):
        """What encodes questions (the ONNX export when present, else the embedder)."""
        return self.ctx.query_encoder

    @property
    def vocabulary(self) -> Vocabulary:
        return self.ctx.vocabulary

    @property
    def chunk_params(self) -> ChunkParams:
        return self.ctx.chunk_params

    def export_encoder(self) -> None:
        """Export the model to ONNX under the KB home once (it needs torch)."""
        self.ctx.export_encoder()

    # -- reading ---------------------------------------------------------------------------------
    def generation(self) -> gens.Generation:
        """The live generation (a damaged one is never served)."""
        return self.reader.generation()

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None, mode: str = "hybrid",
               per_doc: int = 2, answer: bool = True, exact: bool = False, fusion: str = "convex-prf",
               timings: dict[str, float] | None = None) -> SearchResult:
        """Cited passages and answer units for a question: what physicians, `kb eval` and `kb bench` run."""
        return self.reader.search(query, k, filters, mode, per_doc, answer, exact, fusion, timings)

    def terms(self, gen: gens.Generation) -> dict[str, int]:
        """A generation's term dictionary (word -> occurrences)."""
        return self.reader.terms(gen)

    def speller(self, gen: gens.Generation) -> Speller:
        """The misspelling corrector over a generation's terms."""
        return self.reader.speller(gen)

    def get_document(self, doc_id: str) -> DocumentRecord:
        """A document with its text and typed blocks."""
        return self.reader.get_document(doc_id)

    def blocks(self, doc_id: str, start: int, end: int) -> list[dict]:
        """The typed blocks of a document overlapping text[start:end]."""
        return self.reader.blocks(doc_id, start, end)

    def original_file(self, doc_id: str) -> tuple[Path, dict, str]:
        """(stored path, record, download name) of a document's kept original."""
        return self.reader.original_file(doc_id)

    def list_documents(self) -> list[DocumentRecord]:
        """Every live document's metadata."""
        return self.reader.list_documents()

    def stats(self) -> dict:
        """The live generation's name and counts."""
        return self.reader.stats()

    def facets(self) -> dict:
        """Values the filters can take, for the web form."""
        return self.reader.facets()

    def warm_up(self) -> None:
        """Load what the first search would otherwise wait for."""
        self.reader.warm_up()

    # -- writing ---------------------------------------------------------------------------------
    def ingest_paths(self, paths: list[Path], overrides: dict | None = None, progress: Progress | None = None,
                     redact: bool = False, screen: bool = True, remember_files: bool = True) -> IngestReport:
        """Read, screen, chunk, embed and publish (see Writer.ingest_paths)."""
        return self.writer.ingest_paths(paths, overrides, progress, redact, screen, remember_files)

    def update_metadata(self, doc_id: str, **fields) -> str:
        """Change a document's metadata; returns the new generation."""
        return self.writer.update_metadata(doc_id, **fields)

    def remove(self, doc_id: str) -> str:
        """Delete a document and its vectors; returns the new generation."""
        return self.writer.remove(doc_id)

    def reindex(self, progress: Progress | None = None) -> str:
        """Re-read stale documents, re-chunk everything and publish a fresh generation."""
        return self.writer.reindex(progress)

    def rollback(self) -> str:
        """Serve the previously published intact generation again."""
        return self.writer.rollback()

    def writer_active(self) -> bool:
        """Whether some process holds the write lock now."""
        return self.writer.writer_active()

    def lock(self) -> AbstractContextManager[Catalog]:
        """The write lock, yielding the catalogue (tests hold it to prove a second writer is refused)."""
        return self.writer.lock()

    # -- quarantine ------------------------------------------------------------------------------
    def quarantine_list(self) -> list[dict]:
        """Files held by the privacy screen, with their masked findings."""
        return self.writer.quarantine_list()

    def quarantine_preview(self, qid: int) -> list[dict]:
        """The redacted text each held document would be released as."""
        return self.writer.quarantine_preview(qid)

    def release(self, qid: int, redact: bool = False) -> IngestReport:
        """Ingest a quarantined file after a curator's review (as is, or redacted)."""
        return self.writer.release(qid, redact)

    def drop_quarantined(self, qid: int) -> None:
        """Discard a quarantined file."""
        self.writer.drop_quarantined(qid)
