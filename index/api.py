"""The seam between the knowledge base and its users: what the web app and the CLI may ask of one.

`index.kb.KnowledgeBase` implements it over real generations; tests/webapp/fake_kb.py implements it in memory for
plumbing tests; tests/test_kb_contract.py runs the same assertions against both. Code in webapp/ and kb_cli.py
types its knowledge base as `KnowledgeBaseAPI` and calls nothing else on it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol, runtime_checkable

from .types import DocumentRecord, IngestReport, SearchFilters, SearchResult

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@runtime_checkable
class KnowledgeBaseAPI(Protocol):
    """Reads answer from the live generation; writes are serialised (KBLocked when another is running)."""

    # -- reading ---------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None, mode: str = "hybrid",
               per_doc: int = 2, answer: bool = True, exact: bool = False) -> SearchResult:
        """Cited passages and answer units for a question (QueryError for a bad one, KBEmpty before any ingest)."""
        ...

    def get_document(self, doc_id: str) -> DocumentRecord:
        """A document with its text and blocks (DocumentNotFound when there is none)."""
        ...

    def blocks(self, doc_id: str, start: int, end: int) -> list[dict]:
        """The typed blocks of a document overlapping text[start:end], in order."""
        ...

    def original_file(self, doc_id: str) -> tuple[Path, dict, str]:
        """(stored path, record, download name) of the kept original (DocumentNotFound when none is kept)."""
        ...

    def list_documents(self) -> list[DocumentRecord]:
        """Every document's metadata (no text); empty before any ingest."""
        ...

    def stats(self) -> dict:
        """generation, documents, chunks and when the live generation was made (KBEmpty before any ingest)."""
        ...

    def facets(self) -> dict:
        """The values the search filters offer: doc_types, sources, tags."""
        ...

    def warm_up(self) -> None:
        """Load what the first search would otherwise load (generation, query encoder, spelling dictionary)."""
        ...

    # -- writing ---------------------------------------------------------------------------------
    def ingest_paths(self, paths: list[Path], overrides: dict | None = None, progress: Progress | None = None,
                     redact: bool = False, screen: bool = True, remember_files: bool = True) -> IngestReport:
        """Read, screen and store files, then publish; one outcome per file in the report."""
        ...

    def update_metadata(self, doc_id: str, **fields) -> str:
        """Change a document's metadata; returns the generation that holds the change."""
        ...

    def remove(self, doc_id: str) -> str:
        """Delete a document; returns the generation without it."""
        ...

    def reindex(self, progress: Progress | None = None) -> str:
        """Re-read and re-chunk everything stored, and publish a fresh generation."""
        ...

    def rollback(self) -> str:
        """Serve the previous intact published generation again; returns its name."""
        ...

    def writer_active(self) -> bool:
        """Whether some process holds the write lock now."""
        ...

    # -- quarantine ------------------------------------------------------------------------------
    def quarantine_list(self) -> list[dict]:
        """Files held by the privacy screen: qid, filename, created, reasons (masked findings)."""
        ...

    def quarantine_preview(self, qid: int) -> list[dict]:
        """The redacted text each held document would be released as."""
        ...

    def release(self, qid: int, redact: bool = False) -> IngestReport:
        """Store a held file after review (as is, or redacted) and publish."""
        ...

    def drop_quarantined(self, qid: int) -> None:
        """Discard a held file."""
        ...
