"""The knowledge base as the CLI and the web app see it: search, documents, and serialised writes."""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import numpy as np

from ingest.chunking import ChunkParams, chunk_document
from ingest.errors import FileTooLarge, IngestError, UnsupportedFormat
from ingest.metadata import sidecar_path
from ingest.models import Document
from ingest.readers import PARSER_VERSION, supported
from ingest.sandbox import ParserPool, iter_files
from kb_settings import Settings

from . import generation as gens
from .catalog import Catalog
from .embedder import Embedder, get_embedder
from .errors import CorruptIndex, DocumentNotFound, KBEmpty, KBError, KBLocked, QueryError
from .search import MODES, Retriever, diversify, extract_answer, load_hits
from .types import DocumentRecord, FileOutcome, IngestReport, SearchFilters, SearchResult
from .vocabulary import Vocabulary

log = logging.getLogger("kb")
Progress = Callable[[str, int, int], None]
MAX_QUERY_CHARS = 500


def embed_input(title: str, text: str) -> str:
    """What the model sees for a chunk: the document's title (already cut to its token budget), then the chunk.

    Every passage carries its document's subject this way, so a recommendation deep in a case still matches a
    question about that case. Kept in one place so the cache key and the build agree.
    """
    title = title.strip()
    if not title or text.startswith(title):
        return text
    return f"{title}\n{text}"


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class KnowledgeBase:
    """One per process: loads the model and the live generation lazily, and follows new generations."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self.home = Path(self.settings.home)
        self._gen: gens.Generation | None = None
        self._gen_lock = threading.Lock()
        self._vocab: Vocabulary | None = None

    # -- shared pieces ---------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        return get_embedder(self.settings.model, self.settings.torch_threads)

    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocab is None:
            self._vocab = Vocabulary.load(self.settings.vocab or None)
        return self._vocab

    @property
    def chunk_params(self) -> ChunkParams:
        limit = min(self.settings.max_tokens, self.embedder.max_seq_length)
        return ChunkParams(max_tokens=limit, overlap_tokens=self.settings.overlap_tokens)

    def _catalog(self) -> Catalog:
        self.home.mkdir(parents=True, exist_ok=True)
        return Catalog(self.home / "catalog.db")

    # -- reading ---------------------------------------------------------------------------------
    def generation(self) -> gens.Generation:
        """The live generation; a newly published one replaces it, a damaged one is refused."""
        name = gens.read_current(self.home)
        if name is None:
            raise KBEmpty(f"the knowledge base at {self.home} is empty: run `kb ingest PATH` first")
        gen = self._gen
        if gen is not None and gen.name == name:
            return gen
        with self._gen_lock:
            if self._gen is not None and self._gen.name == name:
                return self._gen
            try:
                loaded = gens.Generation.load(self.home / gens.GEN_DIR / name, self.embedder.fingerprint)
            except CorruptIndex as exc:
                if self._gen is None:
                    raise
                log.error("not switching to generation %s: %s; still serving %s", name, exc, self._gen.name)
                return self._gen
            from .vectors import set_threads

            set_threads(1)
            self._gen = loaded
            return loaded

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None, mode: str = "hybrid",
               per_doc: int = 2, answer: bool = True) -> SearchResult:
        """Cited passages for a question, plus an extractive answer built from them."""
        query = (query or "").strip()
        if not query:
            raise QueryError("the question is empty")
        if len(query) > MAX_QUERY_CHARS:
            raise QueryError(f"the question is longer than {MAX_QUERY_CHARS} characters")
        if mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}")
        k = max(1, min(int(k), 100))
        gen = self.generation()
        filters = filters or SearchFilters()
        qvec = None if mode == "bm25" else self.embedder.encode_query(query)
        retriever = Retriever(gen, self.vocabulary)
        cands = retriever.retrieve(query, qvec, max(k * 4, 50), filters, mode)
        cands = diversify(cands, gen, k, per_doc) if per_doc else cands[:k]
        hits = load_hits(gen, cands)
        result = SearchResult(query=query, generation=gen.name, hits=hits, mode=mode)
        if answer:
            result.answer = extract_answer(query, hits, self.vocabulary)
        if self.settings.log_queries:
            log.info("query %r -> %d hits", query, len(hits))
        return result

    def get_document(self, doc_id: str) -> DocumentRecord:
        gen = self.generation()
        row = gen.db.execute(
            "SELECT doc_id, title, doc_type, source, published, reviewed, tags, filename, basis, text, sections, "
            "content_hash, n_chunks FROM docs WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        sections = [{"start": a, "end": b, "heading": " › ".join(h), "page": p} for a, b, h, p in json.loads(row[10])]
        return DocumentRecord(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), row[7], row[8],
                              row[9], row[11], row[12], sections)

    def list_documents(self) -> list[DocumentRecord]:
        try:
            gen = self.generation()
        except KBEmpty:
            return []
        rows = gen.db.execute("SELECT doc_id, title, doc_type, source, published, reviewed, tags, filename, basis, "
                              "content_hash, n_chunks FROM docs ORDER BY doc_id").fetchall()
        return [DocumentRecord(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8], "", r[9], r[10])
                for r in rows]

    def stats(self) -> dict:
        gen = self.generation()
        return {"generation": gen.name, **gen.counts, "updated": gen.manifest.get("created", "")}

    def facets(self) -> dict:
        """Values the filters can take, for the web form."""
        gen = self.generation()
        return {"doc_types": [r[0] for r in gen.db.execute("SELECT DISTINCT doc_type FROM docs ORDER BY 1")],
                "sources": [r[0] for r in gen.db.execute("SELECT DISTINCT source FROM docs WHERE source != '' ORDER BY 1")],
                "tags": [r[0] for r in gen.db.execute("SELECT DISTINCT tag FROM doc_tags ORDER BY 1")]}

    # -- writing ---------------------------------------------------------------------------------
    @contextmanager
    def _writing(self):
        """The write lock: one writer at a time; a second one is refused, never interleaved."""
        self.home.mkdir(parents=True, exist_ok=True)
        fd = os.open(str(self.home / "write.lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise KBLocked(f"another `kb` write (ingest, remove, reindex or rollback) is running on {self.home}; "
                               "wait for it to finish and try again") from None
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            gens.clean_leftovers(self.home)
            catalog = self._catalog()
            try:
                yield catalog
            except sqlite3.OperationalError as exc:
                raise KBError(f"the catalogue in {self.home} could not be written ({exc}); nothing was published, "
                              "the live generation is unchanged") from exc
            finally:
                catalog.close()
        finally:
            os.close(fd)

    def _privacy_rules(self):
        """The curators' allowlist and the site's record-number patterns, read fresh for each write."""
        from ingest.privacy import Allowlist, ScreenConfig

        patterns = Path(self.settings.privacy_patterns) if self.settings.privacy_patterns else None
        return Allowlist.load(self.settings.allowlist_path), ScreenConfig.load(patterns)

    def writer_active(self) -> bool:
        """Whether some process holds the write lock now (a job marked running without it has died)."""
        path = self.home / "write.lock"
        if not path.exists():
            return False
        fd = os.open(str(path), os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)

    def _screen(self, doc: Document):
        """Privacy screen of one document's text; returns finding dicts (masked), empty when clean."""
        from ingest.privacy import screen_text

        allow, config = self._privacy_rules()
        report = screen_text(doc.text, allowlist=allow, config=config)
        out = []
        for f in report.findings:
            page = next((s.page for s in doc.sections if s.start <= f.start < s.end + 2), None)
            out.append({"kind": f.kind, "start": f.start, "end": f.end, "line": f.line, "page": page,
                        "masked": f.masked, "doc_id": doc.meta.doc_id})
        return out

    def _chunk(self, doc: Document):
        return chunk_document(doc, self.embedder.token_spans, self.chunk_params)

    def _store(self, catalog: Catalog, doc: Document, origin: str) -> bool:
        """Chunk and store a document unless an identical one is stored; True when stored."""
        if catalog.content_hash(doc.meta.doc_id) == doc.content_hash:
            return False
        catalog.upsert(doc, self._chunk(doc), origin)
        return True

    def ingest_paths(self, paths: list[Path], overrides: dict | None = None, progress: Progress | None = None,
                     redact: bool = False, screen: bool = True, remember_files: bool = True) -> IngestReport:
        """Read, screen, chunk, embed and publish; unchanged files cost a hash, bad files cost one line.

        remember_files=False is for one-off copies (web uploads in a temporary folder): their paths are not
        recorded, and unchanged content is still recognised by its hash.
        """
        overrides = {k: v for k, v in (overrides or {}).items() if v not in (None, "", (), [])}
        report = IngestReport()
        with self._writing() as catalog:
            files = iter_files([Path(p) for p in paths])
            over_key = json.dumps(overrides, sort_keys=True, default=str)
            with ParserPool(self.settings.parse_timeout, self.settings.parse_memory_mb,
                            self.settings.max_file_mb * 1024 * 1024) as parser:
                for i, path in enumerate(files):
                    if progress:
                        progress("reading", i, len(files))
                    report.files.append(self._ingest_file(catalog, parser, path, overrides, over_key, redact,
                                                          screen, report, remember_files))
            if progress:
                progress("reading", len(files), len(files))
            report.chunks_embedded = self._publish_if_changed(catalog, progress, report)
        return report

    def _ingest_file(self, catalog, parser, path: Path, overrides, over_key, redact, screen,
                     report: IngestReport, remember: bool = True) -> FileOutcome:
        origin = str(path.resolve())
        try:
            if not path.exists():
                raise IngestError(str(path), "no such file or folder")
            if not supported(path):
                raise UnsupportedFormat(str(path), f"unknown format '{path.suffix or '(no suffix)'}'")
            size = path.stat().st_size
            limit = self.settings.max_file_mb * 1024 * 1024
            if size > limit:
                raise FileTooLarge(str(path), f"file is {size / 2**20:.1f} MiB, above the "
                                   f"{self.settings.max_file_mb} MiB limit (KB_MAX_FILE_MB)")
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            side = sidecar_path(path)
            if side.exists():
                h.update(side.read_bytes())
            h.update(over_key.encode())
            h.update(f"{redact}|{PARSER_VERSION}".encode())
            fingerprint = h.hexdigest()
            known = catalog.file_entry(origin) if remember else None
            if known and known[0] == fingerprint and catalog.has_documents(known[1]):
                report.unchanged += len(known[1])
                return FileOutcome(str(path), "unchanged", known[1])
            docs = parser.read(path, {"type": overrides.get("doc_type"), **overrides})
        except (IngestError, OSError) as exc:
            report.failed += 1
            reason = exc.reason if isinstance(exc, IngestError) else str(exc)
            return FileOutcome(str(path), "failed", [], reason)
        findings = [f for d in docs for f in self._screen(d)] if screen else []
        if findings and redact:
            docs = [self._redacted(d) for d in docs]
            findings = [f for d in docs for f in self._screen(d)]
        if findings:
            qid = catalog.quarantine(path.name, origin, findings, docs, fingerprint)
            report.quarantined += 1
            kinds = sorted({f["kind"] for f in findings})
            return FileOutcome(str(path), "quarantined", [d.meta.doc_id for d in docs],
                               f"privacy screen found {len(findings)} possible identifier(s) ({', '.join(kinds)}); "
                               f"held as quarantine #{qid} for review")
        stored = existed = 0
        for doc in docs:
            was_there = catalog.content_hash(doc.meta.doc_id) is not None
            if self._store(catalog, doc, origin):
                stored += 1
                existed += was_there
            else:
                report.unchanged += 1
        report.documents += stored
        new_ids = [d.meta.doc_id for d in docs]
        if known:
            for old in set(known[1]) - set(new_ids):
                catalog.delete(old)
        if remember:
            catalog.set_file(origin, fingerprint, new_ids)
        status = "unchanged" if not stored else ("updated" if existed else "added")
        return FileOutcome(str(path), status, new_ids)

    def _redacted(self, doc: Document) -> Document:
        from ingest.privacy import redact, screen_text

        allow, config = self._privacy_rules()
        report = screen_text(doc.text, allowlist=allow, config=config)
        # Redaction changes lengths: rebuild section spans by mapping each old offset through the edits.
        edits = sorted((f.start, f.end, f"[{f.kind}]") for f in report.findings)
        new_text = redact(doc.text, report)

        def shift(pos: int) -> int:
            delta = 0
            for s, e, rep in edits:
                if e <= pos:
                    delta += len(rep) - (e - s)
                elif s < pos:
                    return s + delta + len(rep)
            return pos + delta

        from ingest.models import Section

        sections = [Section(shift(s.start), shift(s.end), s.heading_path, s.page) for s in doc.sections]
        return Document(doc.meta, new_text, sections)

    def _vectors(self, catalog: Catalog, docs: list[dict], progress: Progress | None) -> tuple[np.ndarray, int]:
        """Vectors for every chunk, from the cache where possible; returns (matrix, number newly embedded)."""
        emb = self.embedder
        titles = self._clipped_titles([d["title"] for d in docs])
        inputs = [embed_input(titles[d["title"]], c["text"]) for d in docs for c in d["chunks"]]
        keys = [_key(t) for t in inputs]
        cached = catalog.cached_vectors(emb.fingerprint, list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(k for k in keys if k not in cached))
        if missing:
            todo = {k: t for k, t in zip(keys, inputs) if k in set(missing)}
            done = 0
            batch = 256
            if progress:
                progress("embedding", 0, len(missing))
            for i in range(0, len(missing), batch):
                part = missing[i:i + batch]
                vecs = emb.encode([todo[k] for k in part])
                catalog.store_vectors(emb.fingerprint, list(zip(part, vecs)))
                cached.update(zip(part, vecs))
                done += len(part)
                if progress:
                    progress("embedding", done, len(missing))
        dim = next(iter(cached.values())).shape[0] if cached else 384
        matrix = np.vstack([cached[k] for k in keys]).astype("float32") if keys else np.zeros((0, dim), "float32")
        return matrix, len(missing)

    def _clipped_titles(self, titles: list[str]) -> dict[str, str]:
        """Each distinct title cut to the chunking's title budget in word pieces, so no input is truncated."""
        budget = self.chunk_params.title_tokens
        distinct = list(dict.fromkeys(titles))
        out = {}
        for title, spans in zip(distinct, self.embedder.token_spans(distinct)):
            out[title] = title if len(spans) <= budget else title[:spans[budget - 1][1]]
        return out

    def _live_manifest(self) -> dict | None:
        name = gens.read_current(self.home)
        if not name:
            return None
        try:
            return gens.read_manifest(self.home / gens.GEN_DIR / name)
        except CorruptIndex:
            return None

    def _build(self, catalog: Catalog, progress: Progress | None) -> tuple[str, int]:
        docs = list(catalog.iter_documents())
        vectors, embedded = self._vectors(catalog, docs, progress)
        emb = self.embedder
        inp = gens.BuildInput(
            docs=docs, vectors=vectors,
            model={"name": emb.name, "path": str(emb.path), "fingerprint": emb.fingerprint,
                   "dimension": int(vectors.shape[1]) if len(vectors) else 384,
                   "max_seq_length": emb.max_seq_length},
            chunking=self.chunk_params.to_dict(), catalog_version=catalog.version,
            hnsw_threshold=self.settings.hnsw_threshold)
        name = gens.build(self.home, inp, progress)
        gens.prune(self.home, self.settings.keep_generations)
        return name, embedded

    def _publish_if_changed(self, catalog: Catalog, progress: Progress | None, report: IngestReport | None = None) -> int:
        stored = catalog.get_state("chunking")
        current = json.dumps(self.chunk_params.to_dict(), sort_keys=True)
        if stored != current:
            if stored:  # chunks stored under other parameters: bring them all in line first
                self._rechunk_all(catalog, progress)
            else:
                catalog.set_state("chunking", current)
        live = self._live_manifest()
        if live is not None and live.get("catalog_version") == catalog.version and live.get("chunking") == self.chunk_params.to_dict():
            if report is not None:
                report.generation = live["generation"]
            return 0
        if live is None and not catalog.doc_ids():
            return 0
        name, embedded = self._build(catalog, progress)
        if report is not None:
            report.generation = name
        return embedded

    def remove(self, doc_id: str) -> str:
        """Delete a document and its vectors; returns the new generation."""
        with self._writing() as catalog:
            if not catalog.delete(doc_id):
                raise DocumentNotFound(f"no document with id {doc_id!r}")
            catalog.db.execute("DELETE FROM files WHERE doc_ids LIKE ?", (f'%"{doc_id}"%',))
            name, _ = self._build(catalog, None)
            return name

    def update_metadata(self, doc_id: str, **fields) -> str:
        with self._writing() as catalog:
            if doc_id not in catalog.doc_ids():
                raise DocumentNotFound(f"no document with id {doc_id!r}")
            if "doc_type" in fields and fields["doc_type"] not in ("echo-case", "guideline", "other"):
                raise KBError("doc type must be one of echo-case, guideline, other")
            catalog.update_meta(doc_id, fields)
            doc = catalog.load_document(doc_id)
            catalog.upsert(doc, self._chunk(doc), "edit")
            name, _ = self._build(catalog, None)
            return name

    def reindex(self, progress: Progress | None = None) -> str:
        """Re-chunk every stored document and publish a fresh generation."""
        with self._writing() as catalog:
            if not catalog.doc_ids():
                raise KBEmpty(f"nothing to reindex: the knowledge base at {self.home} holds no documents")
            self._rechunk_all(catalog, progress)
            name, _ = self._build(catalog, progress)
            return name

    def _rechunk_all(self, catalog: Catalog, progress: Progress | None) -> None:
        """Chunk every stored document again with the current parameters (they are recorded per generation)."""
        ids = catalog.doc_ids()
        for i, doc_id in enumerate(ids):
            catalog.replace_chunks(doc_id, self._chunk(catalog.load_document(doc_id)))
            if progress and (i % 50 == 0 or i == len(ids) - 1):
                progress("chunking", i + 1, len(ids))
        catalog.set_state("chunking", json.dumps(self.chunk_params.to_dict(), sort_keys=True))
        catalog.bump()

    def rollback(self) -> str:
        """Serve the previous generation again, and make the catalogue match it."""
        with self._writing() as catalog:
            live = gens.read_current(self.home)
            older = [g for g in gens.list_generations(self.home) if live is None or g < live]
            if not older:
                raise KBError("there is no earlier generation to roll back to")
            target = older[-1]
            gen = gens.Generation.load(self.home / gens.GEN_DIR / target)
            docs = []
            for row in gen.db.execute("SELECT doc_id, title, doc_type, source, published, reviewed, tags, filename, "
                                      "basis, text, sections, content_hash FROM docs ORDER BY doc_id").fetchall():
                d = dict(zip(("doc_id", "title", "doc_type", "source", "published", "reviewed", "tags", "filename",
                              "basis", "text", "sections", "content_hash"), row))
                d["tags"] = json.loads(d["tags"])
                chunks = [{"ordinal": o, "text": t, "start": s, "end": e, "heading_path": json.loads(h), "page": p}
                          for o, t, s, e, h, p in gen.db.execute(
                              'SELECT ordinal, text, start, "end", heading_path, page FROM chunks WHERE doc_id=? '
                              'ORDER BY ordinal', (d["doc_id"],))]
                docs.append((d, chunks))
            catalog.replace_all(docs)
            gens.publish(self.home, target)
            if live:
                import shutil

                shutil.rmtree(self.home / gens.GEN_DIR / live, ignore_errors=True)
            return target

    def quarantine_list(self) -> list[dict]:
        catalog = self._catalog()
        try:
            return catalog.quarantined()
        finally:
            catalog.close()

    def release(self, qid: int, redact: bool = False) -> IngestReport:
        """Ingest a quarantined file after a curator's review (as is, or redacted)."""
        report = IngestReport()
        with self._writing() as catalog:
            taken = catalog.take_quarantined(int(qid))
            if taken is None:
                raise KBError(f"no quarantined item #{qid}")
            info, docs = taken
            for doc in docs:
                if redact:
                    doc = self._redacted(doc)
                if self._store(catalog, doc, info["origin"]):
                    report.documents += 1
                else:
                    report.unchanged += 1
            catalog.drop_quarantined(int(qid))
            ids = [d.meta.doc_id for d in docs]
            if info.get("fingerprint"):
                # a reviewed file is not held again by the next ingest of the same, unchanged file
                catalog.set_file(info["origin"], info["fingerprint"], ids)
            report.files.append(FileOutcome(info["filename"], "released", ids))
            report.chunks_embedded = self._publish_if_changed(catalog, None, report)
        return report

    def quarantine_preview(self, qid: int) -> list[dict]:
        """The redacted text each held document would be released as, so a curator reads it before releasing."""
        catalog = self._catalog()
        try:
            taken = catalog.take_quarantined(int(qid))
        finally:
            catalog.close()
        if taken is None:
            raise KBError(f"no quarantined item #{qid}")
        return [{"doc_id": d.meta.doc_id, "title": d.meta.title, "text": self._redacted(d).text} for d in taken[1]]

    def drop_quarantined(self, qid: int) -> None:
        with self._writing() as catalog:
            catalog.drop_quarantined(int(qid))
