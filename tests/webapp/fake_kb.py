"""An in-memory stand-in for index.kb.KnowledgeBase, for fast plumbing tests of the web app.

It implements index.api.KnowledgeBaseAPI; tests/test_kb_contract.py holds it to the same contract as the real one.
"""
from __future__ import annotations

import re
from pathlib import Path

from index.errors import DocumentNotFound, KBEmpty, KBLocked, QueryError
from index.types import (AnswerSentence, DocumentRecord, FileOutcome, Hit, IngestReport, SearchFilters,
                         SearchResult)

WORD = re.compile(r"[A-Za-z0-9]+")
MRN = re.compile(r"MRN\W*\d*")


def _redact(text: str) -> str:
    return MRN.sub("[REDACTED]", text)


def make_doc(doc_id: str, title: str, text: str, *, doc_type: str = "guideline", source: str = "Test Org",
             published: str = "2022-01-01", reviewed: str = "2023-06-01", tags: list[str] | None = None) -> DocumentRecord:
    return DocumentRecord(doc_id=doc_id, title=title, doc_type=doc_type, source=source, published=published,
                          reviewed=reviewed, tags=list(tags or []), filename=f"{doc_id}.md", basis="", text=text,
                          content_hash="h" + doc_id, n_chunks=1,
                          sections=[{"start": 0, "end": len(text), "heading": title, "page": None}])


class FakeKB:
    """Paragraphs are the chunks; a chunk matches when it shares a word with the query."""

    def __init__(self, docs: list[DocumentRecord] | None = None) -> None:
        self.docs: dict[str, DocumentRecord] = {d.doc_id: d for d in (docs or [])}
        self.gen = 1
        self.quarantine: dict[int, dict] = {}
        self.locked = False
        self.calls: list[tuple] = []
        self.reindex_gate = None  # a threading.Event the test may set to hold re-index

    @property
    def generation(self) -> str:
        return f"g{self.gen:06d}"

    def _publish(self) -> None:
        self.gen += 1

    def _chunks(self, doc: DocumentRecord):
        pos = 0
        for i, para in enumerate(doc.text.split("\n\n")):
            yield i, pos, pos + len(para), para
            pos += len(para) + 2

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None, mode: str = "hybrid",
               per_doc: int = 2, answer: bool = True, exact: bool = False) -> SearchResult:
        self.calls.append(("search", query, k, filters, mode))
        if not query or not query.strip() or len(query) > 500:
            raise QueryError("query is empty or longer than 500 characters")
        if not self.docs:
            raise KBEmpty("nothing indexed")
        words = {w.lower() for w in WORD.findall(query) if len(w) > 2}
        f = filters or SearchFilters()
        hits: list[Hit] = []
        for doc in self.docs.values():
            if f.doc_types and doc.doc_type not in f.doc_types:
                continue
            if f.sources and doc.source not in f.sources:
                continue
            if f.tags and not set(f.tags) & set(doc.tags):
                continue
            if f.date_from and doc.published < f.date_from or f.date_to and doc.published > f.date_to:
                continue
            for i, s, e, para in self._chunks(doc):
                marks = [[m.start(), m.end()] for m in WORD.finditer(para) if m.group().lower() in words]
                if marks:
                    hits.append(Hit(doc_id=doc.doc_id, chunk_id=i, title=doc.title, text=para, score=float(len(marks)),
                                    section=doc.title, page=None, doc_type=doc.doc_type, source=doc.source,
                                    date=doc.published, reviewed=doc.reviewed, tags=list(doc.tags), start=s, end=e,
                                    filename=doc.filename, highlights=marks))
        hits.sort(key=lambda h: -h.score)
        hits = hits[:k]
        units = [AnswerSentence(text=hits[0].text.split(". ")[0], hit=0, citation=1)] if hits and answer else []
        return SearchResult(query=query, generation=self.generation, hits=hits, answer=units, mode=mode,
                            answer_status="answered" if units else "no_direct_answer",
                            confidence=0.9 if units else 0.1)

    def get_document(self, doc_id: str) -> DocumentRecord:
        if doc_id not in self.docs:
            raise DocumentNotFound(doc_id)
        return self.docs[doc_id]

    def list_documents(self) -> list[DocumentRecord]:
        return list(self.docs.values())

    def blocks(self, doc_id: str, start: int, end: int) -> list[dict]:
        """One paragraph block per paragraph overlapping text[start:end]."""
        doc = self.get_document(doc_id)
        return [{"kind": "paragraph", "start": s, "end": e, "level": None, "depth": None, "number": None,
                 "page": None, "heading_path": [], "heading": "", "header": False, "rows": []}
                for _, s, e, _ in self._chunks(doc) if s < end and e > start]

    def original_file(self, doc_id: str) -> tuple[Path, dict, str]:
        self.get_document(doc_id)
        raise DocumentNotFound(f"no original file is kept for document {doc_id!r}")

    def facets(self) -> dict:
        docs = self.docs.values()
        return {"doc_types": sorted({d.doc_type for d in docs}), "sources": sorted({d.source for d in docs if d.source}),
                "tags": sorted({t for d in docs for t in d.tags})}

    def warm_up(self) -> None:
        if not self.docs:
            raise KBEmpty("nothing indexed")

    def stats(self) -> dict:
        if not self.docs:
            raise KBEmpty("nothing indexed")
        return {"generation": self.generation, "documents": len(self.docs),
                "chunks": sum(len(d.text.split("\n\n")) for d in self.docs.values())}

    def ingest_paths(self, paths: list[Path], overrides: dict | None = None, progress=None,
                     redact: bool = False, screen: bool = True, remember_files: bool = True) -> IngestReport:
        self.calls.append(("ingest", [Path(p).name for p in paths], overrides, redact))
        if self.locked:
            raise KBLocked("locked")
        report = IngestReport()
        for p in paths:
            text = Path(p).read_text(errors="replace")
            doc_id = re.sub(r"[^a-z0-9]+", "-", Path(p).stem.lower()).strip("-")
            if "MRN" in text and not redact and screen:
                qid = max(self.quarantine, default=0) + 1
                findings = [{"kind": "mrn", "line": 1, "page": None, "masked": "MRN ****67"}]
                self.quarantine[qid] = {"qid": qid, "filename": Path(p).name, "created": "2024-01-01T00:00:00Z",
                                        "reasons": findings, "text": text, "doc_id": doc_id}
                report.quarantined += 1
                report.files.append(FileOutcome(path=str(p), status="quarantined", doc_ids=[doc_id],
                                                reason=f"possible identifiers; held as quarantine #{qid}",
                                                quarantine_id=qid, findings=findings))
                continue
            o = dict(overrides or {})
            self.docs[doc_id] = make_doc(doc_id, o.get("title", Path(p).stem), text,
                                         doc_type=o.get("doc_type", "other"), source=o.get("source", ""),
                                         published=o.get("published", ""), reviewed=o.get("reviewed", ""),
                                         tags=o.get("tags", []))
            report.documents += 1
            report.files.append(FileOutcome(path=str(p), status="added", doc_ids=[doc_id]))
        self._publish()
        report.generation = self.generation
        return report

    def update_metadata(self, doc_id: str, **fields) -> str:
        self.calls.append(("update", doc_id, fields))
        doc = self.get_document(doc_id)
        for k, v in fields.items():
            setattr(doc, k, v)
        self._publish()
        return self.generation

    def remove(self, doc_id: str) -> str:
        if self.locked:
            raise KBLocked("locked")
        self.get_document(doc_id)
        del self.docs[doc_id]
        self._publish()
        return self.generation

    def rollback(self) -> str:
        if self.locked:
            raise KBLocked("locked")
        self.gen += 1
        return self.generation

    def writer_active(self) -> bool:
        return self.locked

    def reindex(self, progress=None) -> str:
        if self.locked:
            raise KBLocked("locked")
        total = 3
        for i in range(total + 1):
            if progress:
                progress("embedding", i, total)
            if self.reindex_gate is not None:
                self.reindex_gate.wait(5)
        self._publish()
        return self.generation

    def quarantine_list(self) -> list[dict]:
        return [{k: v for k, v in q.items() if k not in ("text", "doc_id")} for q in self.quarantine.values()]

    def release(self, qid: int, redact: bool = False) -> IngestReport:
        qid = int(qid)
        if qid not in self.quarantine:
            from index.errors import KBError
            raise KBError(f"no quarantined item {qid}")
        q = self.quarantine.pop(qid)
        text = _redact(q["text"]) if redact else q["text"]
        self.docs[q["doc_id"]] = make_doc(q["doc_id"], q["doc_id"], text)
        self._publish()
        return IngestReport(documents=1, generation=self.generation,
                            files=[FileOutcome(path=q["filename"], status="released", doc_ids=[q["doc_id"]])])

    def drop_quarantined(self, qid: int) -> None:
        self.quarantine.pop(int(qid), None)

    def quarantine_preview(self, qid: int) -> list[dict]:
        qid = int(qid)
        if qid not in self.quarantine:
            from index.errors import KBError
            raise KBError(f"no quarantined item {qid}")
        q = self.quarantine[qid]
        return [{"doc_id": q["doc_id"], "title": q["doc_id"], "text": _redact(q["text"])}]
