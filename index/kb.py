"""The knowledge base as the CLI and the web app see it: search, documents, and serialised writes."""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import stat
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import numpy as np

from ingest.chunking import ChunkParams, chunk_document
from ingest.errors import FileTooLarge, IngestError, UnsupportedFormat
from ingest.metadata import sidecar_path
from ingest.models import Document, Section, sections_from_json
from ingest.readers import PARSER_VERSION, supported
from ingest.sandbox import ParserPool, display_name, refusal, walk
from kb_settings import Settings

from . import generation as gens
from . import originals
from .catalog import Catalog
from .embedder import Embedder, get_embedder, get_query_encoder
from .errors import CorruptIndex, DocumentNotFound, KBEmpty, KBError, KBLocked, ModelMismatch, QueryError
from .search import MODES, Retriever, demote_glossary, diversify, load_hits, table_cells
from .types import AnswerUnit, DocumentRecord, FileOutcome, IngestReport, SearchFilters, SearchResult
from .vocabulary import Vocabulary

log = logging.getLogger("kb")
Progress = Callable[[str, int, int], None]
MAX_QUERY_CHARS = 500
MAX_FACETS = 200  # values a filter list offers at most (the most used ones), so no page grows without bound
WATCH_SECONDS = 30.0  # how often a serving process stats its live generation's files for changes on disk
OUT_OF_SCOPE_HITS = 3  # "nearest, probably not relevant" sources shown with an out-of-scope answer


def embed_input(title: str, text: str) -> str:
    """What the model sees for a chunk: the document's title (already cut to its token budget), then the chunk.

    Every passage carries its document's subject this way, so a recommendation deep in a case still matches a
    question about that case. Kept in one place so the cache key and the build agree.
    """
    title = title.strip()
    if not title or text.startswith(title):
        return text
    return f"{title}\n{text}"


def block_dict(b: Section) -> dict:
    """A positioned block as the API and the web app see it."""
    return {"start": b.start, "end": b.end, "heading": " › ".join(b.heading_path), "page": b.page,
            "kind": b.kind, "level": b.level, "depth": b.depth, "number": b.number,
            "heading_path": list(b.heading_path), "header": b.header, "rows": [list(r) for r in b.rows]}


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class KnowledgeBase:
    """One per process: loads the model and the live generation lazily, and follows new generations."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self.home = Path(self.settings.home)
        self._gen: gens.Generation | None = None
        self._gen_lock = threading.Lock()
        self._refused: tuple | None = None  # (CURRENT, error) already found damaged: not re-read per request
        self._watched = time.monotonic()
        self._vocab: Vocabulary | None = None

    # -- shared pieces ---------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        return get_embedder(self.settings.model, self.settings.torch_threads)

    @property
    def query_encoder(self):
        """What encodes questions: the KB's ONNX export (no torch in the process) when present, else the embedder."""
        return get_query_encoder(self.settings.model, self.home, self.settings.query_encoder,
                                 self.settings.torch_threads)

    def export_encoder(self) -> None:
        """Export the model to ONNX under the KB home once (writers call it; it needs torch)."""
        from .onnx_encoder import export_onnx

        emb = self.embedder
        try:
            cache = self.settings.onnx_cache
            export_onnx(emb.path, emb.fingerprint, self.home,
                        cache=None if cache.strip().lower() in ("", "off") else Path(cache).expanduser())
        except Exception as exc:  # noqa: BLE001 - the generation is published; queries fall back to torch
            log.warning("could not export the model to ONNX under %s (%s: %s); queries will use torch",
                        self.home, exc.__class__.__name__, exc)

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
        try:
            return Catalog(self.home / "catalog.db")
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise KBError(f"the catalogue {self.home / 'catalog.db'} is busy: another process holds it "
                              "(a backup or a sqlite3 shell?); close it and try again") from exc
            raise KBError(f"the catalogue {self.home / 'catalog.db'} cannot be opened ({exc})") from exc

    # -- reading ---------------------------------------------------------------------------------
    def generation(self) -> gens.Generation:
        """The live generation; a newly published one replaces it, a damaged one is refused.

        A damaged live generation is never served: a process already serving an intact one keeps it, and a
        fresh process serves the newest intact published generation instead, saying so once in the log.
        """
        try:
            name = gens.read_current(self.home)
            damage: CorruptIndex | None = None
        except CorruptIndex as exc:
            name, damage = None, exc
        if name is None and damage is None:
            made_live = gens.published(self.home)
            if made_live:
                raise CorruptIndex(f"{self.home / gens.CURRENT} is missing, yet generations up to {made_live[-1]} were "
                                   "published; run `kb rollback` to make the newest intact one live")
            raise KBEmpty(f"the knowledge base at {self.home} is empty: run `kb ingest PATH` first")
        gen = self._gen
        if gen is not None and (gen.name == name or self._refused == (name, str(damage))):
            self._watch(gen)
            return gen
        with self._gen_lock:
            if self._gen is not None and (self._gen.name == name or self._refused == (name, str(damage))):
                return self._gen
            try:
                if damage is not None:
                    raise damage
                loaded = gens.Generation.load(self.home / gens.GEN_DIR / name, self.embedder.fingerprint)
            except ModelMismatch:
                raise
            except CorruptIndex as exc:
                self._refused = (name, str(damage))
                if self._gen is None:
                    self._gen = self._newest_intact(name, exc)
                    return self._gen
                log.error("not switching to generation %s: %s; still serving %s. To recover, run `kb reindex` "
                          "(publishes a new generation) or `kb rollback`", name, exc, self._gen.name)
                return self._gen
            from .vectors import set_threads

            set_threads(1)
            self._gen = loaded
            self._refused = None
            return loaded

    def _watch(self, gen: gens.Generation) -> None:
        """At most every WATCH_SECONDS: has the served generation changed on disk since it was verified?"""
        now = time.monotonic()
        if now - self._watched < WATCH_SECONDS:
            return
        self._watched = now
        problem = gen.damaged_on_disk()
        if problem:
            log.error("%s; still serving its verified copy in memory, but a restart would fall back to an older "
                      "generation: run `kb reindex` (rebuilds from the catalogue) or `kb rollback`", problem)

    def _newest_intact(self, damaged: str | None, exc: CorruptIndex) -> gens.Generation:
        """The newest published generation that still verifies, or the original error when there is none."""
        for name in gens.intact_published(self.home):
            if name == damaged:
                continue
            try:
                gen = gens.Generation.load(self.home / gens.GEN_DIR / name, self.embedder.fingerprint)
            except CorruptIndex:
                continue
            log.error("%s; serving %s, the newest intact published generation, instead. To recover, run "
                      "`kb rollback` (makes the newest intact generation live) or `kb reindex` (rebuilds from the "
                      "catalogue)", exc, name)
            from .vectors import set_threads

            set_threads(1)
            return gen
        raise exc

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None, mode: str = "hybrid",
               per_doc: int = 2, answer: bool = True, exact: bool = False) -> SearchResult:
        """Cited passages for a question, plus verbatim answer units, an answer status and a confidence.

        exact=True searches the words as typed (no misspelling correction).
        """
        query = (query or "").strip()
        if not query:
            raise QueryError("the question is empty")
        if len(query) > MAX_QUERY_CHARS:
            raise QueryError(f"the question is longer than {MAX_QUERY_CHARS} characters")
        if mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}")
        k = max(1, min(int(k), 100))
        from ingest.metadata import valid_date

        for label, value in (("from", (filters.date_from if filters else "")), ("to", (filters.date_to if filters else ""))):
            if value and not valid_date(value):
                raise QueryError(f"'{label}' must be a real date written YYYY-MM-DD, not {value[:40]!r}")
        gen = self.generation()
        filters = filters or SearchFilters()
        searched, corrections = query, []
        if not exact:
            fix = self.speller(gen).correct(query)
            if fix.changes:
                searched, corrections = fix.query, [list(c) for c in fix.changes]
        qvec = None if mode == "bm25" else self.query_encoder.encode_query(self.vocabulary.spelled_out(searched))
        retriever = Retriever(gen, self.vocabulary)
        cands = retriever.retrieve(searched, qvec, max(k * 4, 50), filters, mode)
        shown = diversify(cands, gen, k + 10, per_doc) if per_doc else cands[:k + 10]
        hits = load_hits(gen, shown)
        hits = demote_glossary(hits, searched)[:k]
        result = SearchResult(query=query, generation=gen.name, hits=hits, mode=mode,
                              corrected_query=searched if corrections else "", corrections=corrections)
        if answer:
            self._answer(result, searched, qvec, gen, cands)
        if self.settings.log_queries:
            log.info("query %r -> %d hits", query, len(hits))
        return result

    def _answer(self, result: SearchResult, query: str, qvec, gen: gens.Generation, cands) -> None:
        """The answer stage (index/answer.py) over candidates chosen independently of k; cited hits are added."""
        from .answer import answer_candidates, decide

        if qvec is None:
            qvec = self.query_encoder.encode_query(self.vocabulary.spelled_out(query))
        decision = decide(query, qvec, gen, answer_candidates(cands, gen), [h.chunk_id for h in result.hits],
                          self.vocabulary, self.terms(gen), typed=result.query,
                          corrected=frozenset(a.lower() for a, _ in result.corrections))
        result.answer_status, result.confidence, result.signals = decision.status, decision.confidence, \
            decision.signals
        if decision.status == "out_of_scope":
            result.hits = result.hits[:OUT_OF_SCOPE_HITS]
        index = {h.chunk_id: i for i, h in enumerate(result.hits)}
        missing = [u.chunk_id for u in decision.units if u.chunk_id not in index]
        if missing:  # a quoted passage is always among the sources: it joins the list after the k ranked ones
            from .search import Candidate

            for h in load_hits(gen, [Candidate(cid, 0.0) for cid in dict.fromkeys(missing)]):
                index[h.chunk_id] = len(result.hits)
                result.hits.append(h)
        for h in result.hits:
            h.highlights = sorted([list(x) for x in decision.highlights.get(h.chunk_id, [])])
        for u in decision.units:
            i = index[u.chunk_id]
            text = result.hits[i].text[u.start:u.end]
            table = None
            if u.role == "row" and u.context:
                table = {"header": table_cells(u.context), "row": table_cells(text)}
            result.answer.append(AnswerUnit(text=text, hit=i, start=u.start, end=u.end, citation=i + 1, role=u.role,
                                            context=u.context, table=table, score=u.score))

    def terms(self, gen: gens.Generation) -> dict[str, int]:
        """The generation's term dictionary (word -> occurrences), read once per generation."""
        if "terms" not in gen.cache:
            try:
                gen.cache["terms"] = dict(gen.db.execute("SELECT term, n FROM terms").fetchall())
            except sqlite3.OperationalError:  # a generation built before the term dictionary
                gen.cache["terms"] = {}
        return gen.cache["terms"]

    def speller(self, gen: gens.Generation):
        """The misspelling corrector over this generation's terms, built once per generation."""
        from .spelling import Speller

        if "speller" not in gen.cache:
            with self._gen_lock:
                if "speller" not in gen.cache:
                    gen.cache["speller"] = Speller(self.terms(gen))
        return gen.cache["speller"]

    def get_document(self, doc_id: str) -> DocumentRecord:
        gen = self.generation()
        row = gen.db.execute(
            "SELECT doc_id, title, doc_type, source, published, reviewed, tags, filename, basis, text, sections, "
            "content_hash, n_chunks, original FROM docs WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        sections = [block_dict(b) for b in sections_from_json(row[10])]
        return DocumentRecord(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), row[7], row[8],
                              row[9], row[11], row[12], sections, json.loads(row[13]) if row[13] else None)

    def blocks(self, doc_id: str, start: int, end: int) -> list[dict]:
        """The typed blocks of a document that overlap text[start:end] (a chunk's span), in order."""
        gen = self.generation()
        rows = gen.db.execute(
            'SELECT kind, start, "end", level, depth, number, page, heading_path, header, rows FROM blocks '
            'WHERE doc_id = ? AND start < ? AND "end" > ? ORDER BY start', (doc_id, end, start)).fetchall()
        return [{"kind": k, "start": s, "end": e, "level": lv, "depth": dp, "number": n, "page": p,
                 "heading_path": json.loads(h), "heading": " › ".join(json.loads(h)), "header": bool(hd),
                 "rows": json.loads(r) if r else []} for k, s, e, lv, dp, n, p, h, hd, r in rows]

    def original_file(self, doc_id: str) -> tuple[Path, dict, str]:
        """(stored path, record, download name) of a document's original file; DocumentNotFound when none is kept."""
        rec = self.get_document(doc_id)
        path = originals.locate(self.home, rec.original)
        if path is None:
            raise DocumentNotFound(f"no original file is kept for document {doc_id!r}")
        name = Path(rec.filename or f"{doc_id}{rec.original.get('suffix', '')}").name
        return path, rec.original, name

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
                "sources": sorted(r[0] for r in gen.db.execute(
                    "SELECT source FROM docs WHERE source != '' GROUP BY source ORDER BY COUNT(*) DESC, source LIMIT ?",
                    (MAX_FACETS,))),
                "tags": sorted(r[0] for r in gen.db.execute(
                    "SELECT tag FROM doc_tags GROUP BY tag ORDER BY COUNT(*) DESC, tag LIMIT ?", (MAX_FACETS,)))}

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
                self._reconcile(catalog)
                catalog.set_state("pending", "1")
                yield catalog
                catalog.set_state("pending", "")
            except sqlite3.OperationalError as exc:
                raise KBError(f"the catalogue in {self.home} could not be written ({exc}); nothing was published, "
                              "the live generation is unchanged") from exc
            finally:
                catalog.close()
        finally:
            os.close(fd)

    def _reconcile(self, catalog: Catalog) -> None:
        """After a writer died between changing the catalogue and publishing, put the catalogue back to what
        the live generation holds, so the two agree (its changes were never served; run the command again)."""
        if not catalog.get_state("pending"):
            return
        live = self._live_manifest()
        if live is not None and live.get("catalog_version") == catalog.version:
            return
        try:
            name = gens.read_current(self.home)
            gen = gens.Generation.load(self.home / gens.GEN_DIR / name) if name else None
        except CorruptIndex as exc:
            log.error("an interrupted write left the catalogue ahead of the live generation, which is damaged "
                      "(%s); run `kb rollback`", exc)
            return
        catalog.replace_all(self._documents_of(gen) if gen else [])
        catalog.set_state("pending", "")
        log.warning("an interrupted write left changes that were never published; the catalogue again matches "
                    "the live generation %s (run that command again)", name or "(none)")

    @staticmethod
    def _documents_of(gen: gens.Generation) -> list[tuple[dict, list[dict]]]:
        """Every document of a generation with its chunks, as the catalogue stores them."""
        docs = []
        for row in gen.db.execute("SELECT doc_id, title, doc_type, source, published, reviewed, tags, filename, "
                                  "basis, text, sections, content_hash, original, parser_version FROM docs "
                                  "ORDER BY doc_id").fetchall():
            d = dict(zip(("doc_id", "title", "doc_type", "source", "published", "reviewed", "tags", "filename",
                          "basis", "text", "sections", "content_hash", "original", "parser_version"), row))
            d["tags"] = json.loads(d["tags"])
            d["original"] = json.loads(d["original"]) if d["original"] else None
            chunks = [{"ordinal": o, "text": t, "start": s, "end": e, "heading_path": json.loads(h), "page": p,
                       "kind": k, "index_text": it}
                      for o, t, s, e, h, p, k, it in gen.db.execute(
                          'SELECT ordinal, text, start, "end", heading_path, page, kind, index_text FROM chunks '
                          'WHERE doc_id=? ORDER BY ordinal', (d["doc_id"],))]
            docs.append((d, chunks))
        return docs

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
        """Privacy screen of one document's text and visible metadata (the same as `kb screen`); masked findings."""
        from ingest.screening import screen_document

        allow, config = self._privacy_rules()
        return screen_document(doc, allow, config)

    def _chunk(self, doc: Document):
        return chunk_document(doc, self.embedder.token_spans, self.chunk_params)

    def _store(self, catalog: Catalog, doc: Document, origin: str, original: dict | None = None,
               parser_version: int | None = None) -> bool:
        """Chunk and store a document unless an identical one is stored; True when stored."""
        if catalog.content_hash(doc.meta.doc_id) == doc.content_hash:
            if original is not None and catalog.original(doc.meta.doc_id) != original:
                catalog.set_original(doc.meta.doc_id, original, parser_version)
                catalog.bump()
            return False
        catalog.upsert(doc, self._chunk(doc), origin, original, parser_version)
        return True

    def _keep_original(self, path: Path, docs: list[Document]) -> dict | None:
        """Store the curator's file content-addressed in KB_HOME/originals; None when it cannot be read again."""
        try:
            data = path.read_bytes()
        except OSError:
            return None
        pages = max((s.page for d in docs for s in d.sections if s.page is not None), default=None)
        try:
            return originals.store(self.home, data, path.suffix, pages)
        except OSError as exc:
            raise KBError(f"cannot keep the original of {path.name}: {exc.strerror} (is the disk full?)") from exc

    def ingest_paths(self, paths: list[Path], overrides: dict | None = None, progress: Progress | None = None,
                     redact: bool = False, screen: bool = True, remember_files: bool = True) -> IngestReport:
        """Read, screen, chunk, embed and publish; unchanged files cost a hash, bad files cost one line.

        remember_files=False is for one-off copies (web uploads in a temporary folder): their paths are not
        recorded, and unchanged content is still recognised by its hash.
        """
        overrides = {k: v for k, v in (overrides or {}).items() if v not in (None, "", (), [])}
        report = IngestReport()
        with self._writing() as catalog:
            files, skipped = walk([Path(p) for p in paths], forbidden=self.home)
            for path, why in skipped:
                report.skipped += 1
                report.files.append(FileOutcome(display_name(path), "skipped", [], why))
            over_key = json.dumps(overrides, sort_keys=True, default=str)
            with ParserPool(self.settings.parse_timeout, self.settings.parse_memory_mb,
                            self.settings.max_file_mb * 1024 * 1024) as parser:
                for i, path in enumerate(files):
                    if progress:
                        progress("reading", i, len(files))
                    report.files.append(self._ingest_file(catalog, parser, path, overrides, over_key, redact,
                                                          screen, report, remember_files))
                    gens._crash_point("after-file")
            if progress:
                progress("reading", len(files), len(files))
            report.chunks_embedded = self._publish_if_changed(catalog, progress, report)
        return report

    def _ingest_file(self, catalog, parser, path: Path, overrides, over_key, redact, screen,
                     report: IngestReport, remember: bool = True) -> FileOutcome:
        shown = display_name(path)
        try:
            origin = display_name(path.resolve())
            if not path.exists():
                raise IngestError(shown, "no such file or folder")
            if not supported(path):
                raise UnsupportedFormat(shown, f"unknown format '{display_name(path.suffix) or '(no suffix)'}'")
            why = refusal(path, self.home)
            if why:
                raise IngestError(shown, why)
            size = path.stat().st_size
            limit = self.settings.max_file_mb * 1024 * 1024
            if size > limit:
                raise FileTooLarge(shown, f"file is {size / 2**20:.1f} MiB, above the "
                                   f"{self.settings.max_file_mb} MiB limit (KB_MAX_FILE_MB)")
            h = hashlib.sha256()
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # never blocks on a FIFO swapped in after the check
            with open(fd, "rb") as fh:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise IngestError(shown, "not a regular file (a device, FIFO or socket); never read")
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
                return FileOutcome(shown, "unchanged", known[1])
            docs = parser.read(path, {"type": overrides.get("doc_type"), **overrides})
        except (IngestError, OSError, UnicodeError) as exc:
            report.failed += 1
            reason = exc.reason if isinstance(exc, IngestError) else str(exc)
            return FileOutcome(shown, "failed", [], display_name(reason))
        findings = [f for d in docs for f in self._screen(d)] if screen else []
        # a redacted document's original still holds what was redacted: it is never kept
        original = None if findings else self._keep_original(path, docs)
        if findings and redact:
            docs = [self._redacted(d) for d in docs]
            findings = [f for d in docs for f in self._screen(d)]
        if findings:
            qid = catalog.quarantine(display_name(path.name), origin, findings, docs, fingerprint)
            report.quarantined += 1
            kinds = sorted({f["kind"] for f in findings})
            return FileOutcome(shown, "quarantined", [d.meta.doc_id for d in docs],
                               f"privacy screen found {len(findings)} possible identifier(s) ({', '.join(kinds)}); "
                               f"held as quarantine #{qid} for review")
        stored = existed = 0
        for doc in docs:
            was_there = catalog.content_hash(doc.meta.doc_id) is not None
            if self._store(catalog, doc, origin, original, PARSER_VERSION):
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
        return FileOutcome(shown, status, new_ids)

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

        from dataclasses import replace

        from ingest.screening import redact_metadata

        def moved(sec: Section) -> Section:
            rows = sec.rows
            if sec.kind == "table":  # the cells are redacted too: they are what the table renders
                rows = tuple(tuple(new_text[shift(a):shift(b)] for a, b in cells) for _, _, cells in sec.row_spans())
            return replace(sec, start=shift(sec.start), end=shift(sec.end), rows=rows)

        return redact_metadata(Document(doc.meta, new_text, [moved(sec) for sec in doc.sections]), allow, config)

    def _vectors(self, catalog: Catalog, docs: list[dict], progress: Progress | None) -> tuple[np.ndarray, int]:
        """Vectors for every chunk, from the cache where possible; returns (matrix, number newly embedded)."""
        emb = self.embedder
        titles = self._clipped_titles([d["title"] for d in docs])
        inputs = [embed_input(titles[d["title"]], c.get("index_text") or c["text"]) for d in docs for c in d["chunks"]]
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
        try:
            name = gens.read_current(self.home)
        except CorruptIndex:
            return None
        if not name:
            return None
        try:
            return gens.read_manifest(self.home / gens.GEN_DIR / name)
        except CorruptIndex:
            return None

    def _answer_units(self, catalog: Catalog, docs: list[dict], progress: Progress | None):
        """Answer units of every chunk (in chunk-id order) and their vectors, through the embedding cache."""
        from .units import embed_text, segment, unit_row

        rows, inputs = [], []
        chunk_id = 0
        for d in docs:
            sections = json.loads(d["sections"]) if isinstance(d["sections"], str) else d["sections"]
            for c in d["chunks"]:
                for u in segment(d["text"], d["title"], sections, c["start"], c["end"]):
                    rows.append(unit_row(chunk_id, c["text"], u))
                    inputs.append(embed_text(c["text"][u.start:u.end], u.context))
                chunk_id += 1
        emb = self.embedder
        keys = [_key(t) for t in inputs]
        cached = catalog.cached_vectors(emb.fingerprint, list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(k for k in keys if k not in cached))
        todo = dict(zip(keys, inputs))
        for i in range(0, len(missing), 512):
            part = missing[i:i + 512]
            vecs = emb.encode([todo[k] for k in part], batch_size=64)
            catalog.store_vectors(emb.fingerprint, list(zip(part, vecs)))
            cached.update(zip(part, vecs))
            if progress:
                progress("answer units", min(i + 512, len(missing)), len(missing))
        dim = emb.dimension if not cached else next(iter(cached.values())).shape[0]
        matrix = np.vstack([cached[k] for k in keys]).astype("float32") if keys else np.zeros((0, dim), "float32")
        return rows, matrix

    def _build(self, catalog: Catalog, progress: Progress | None) -> tuple[str, int]:
        from .spelling import count_terms

        docs = list(catalog.iter_documents())
        vectors, embedded = self._vectors(catalog, docs, progress)
        units, unit_vectors = self._answer_units(catalog, docs, progress)
        terms = count_terms((t for d in docs for t in (d["title"], d["text"])),
                            [t for g in self.vocabulary.groups for t in g])
        emb = self.embedder
        inp = gens.BuildInput(
            docs=docs, vectors=vectors,
            model={"name": emb.name, "path": str(emb.path), "fingerprint": emb.fingerprint,
                   "dimension": int(vectors.shape[1]) if len(vectors) else 384,
                   "max_seq_length": emb.max_seq_length},
            chunking=self.chunk_params.to_dict(), catalog_version=catalog.version,
            hnsw_threshold=self.settings.hnsw_threshold, units=units, unit_vectors=unit_vectors, terms=terms)
        gens._crash_point("before-build")
        name = gens.build(self.home, inp, progress)
        gens.prune(self.home, self.settings.keep_generations)
        self.export_encoder()
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
            self.export_encoder()  # a KB built before the ONNX query path gets its export here
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
            from ingest.errors import MetadataError
            from ingest.metadata import check_tags

            try:
                check_tags(list(fields.get("tags") or []), doc_id)
            except MetadataError as exc:
                raise KBError(exc.reason) from exc
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
            self._reparse_stale(catalog, progress)
            self._rechunk_all(catalog, progress)
            name, _ = self._build(catalog, progress)
            return name

    def _reparse_stale(self, catalog: Catalog, progress: Progress | None) -> dict:
        """Read again, with today's parsers, every document an older parser version read.

        The kept original is read (or, for documents stored before originals were kept, the file at its origin
        when it is still there). Metadata stays as stored (curators' edits included); text and structure are
        replaced. A re-read text that the privacy screen flags, or a file that no longer yields the document,
        keeps the stored version. Returns counts: reparsed, kept.
        """
        stale = catalog.stale_documents(PARSER_VERSION)
        counts = {"reparsed": 0, "kept": 0}
        if not stale:
            return counts
        sources: dict[str, tuple[Path, dict | None, str, list[str]]] = {}
        for doc_id, origin, record in stale:
            path = originals.locate(self.home, record)
            if path is None and origin and Path(origin).is_file() and supported(Path(origin)):
                path, record = Path(origin), None
            if path is None:
                counts["kept"] += 1
                continue
            sources.setdefault(str(path), (path, record, origin, []))[3].append(doc_id)
        with ParserPool(self.settings.parse_timeout, self.settings.parse_memory_mb,
                        self.settings.max_file_mb * 1024 * 1024) as parser:
            for n, (path, record, origin, ids) in enumerate(sources.values()):
                if progress:
                    progress("re-reading", n, len(sources))
                try:
                    fresh = parser.read(path, {})
                except (IngestError, OSError):
                    counts["kept"] += len(ids)
                    continue
                by_id = {d.meta.doc_id: d for d in fresh}
                if len(fresh) == 1 and len(ids) == 1:
                    by_id = {ids[0]: fresh[0]}  # a one-document file: its stored name may differ from the id
                if record is None:
                    record = self._keep_original(path, fresh)
                for doc_id in ids:
                    old, new = catalog.load_document(doc_id), by_id.get(doc_id)
                    candidate = Document(old.meta, new.text, new.sections) if (old and new) else None
                    if candidate is None or self._screen(candidate):
                        counts["kept"] += 1
                        continue
                    catalog.upsert(candidate, self._chunk(candidate), origin, record, PARSER_VERSION)
                    counts["reparsed"] += 1
        if progress:
            progress("re-reading", len(sources), len(sources))
        if counts["kept"]:
            log.warning("reindex: %d document(s) kept as stored (no readable original, or the re-read text "
                        "needs privacy review)", counts["kept"])
        return counts

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
        """Serve the previously published generation again (skipping damaged ones), and make the catalogue match."""
        with self._writing() as catalog:
            try:
                live = gens.read_current(self.home)
            except CorruptIndex:
                live = None  # CURRENT is garbage: the newest intact published generation becomes live
            gen = None
            for target in gens.intact_published(self.home, before=live):
                try:
                    gen = gens.Generation.load(self.home / gens.GEN_DIR / target)
                    break
                except CorruptIndex as exc:
                    log.error("skipping %s for rollback: %s", target, exc)
            if gen is None:
                raise KBError("there is no earlier intact published generation to roll back to; run `kb reindex` "
                              "to rebuild from the catalogue")
            catalog.replace_all(self._documents_of(gen))
            gens.publish(self.home, gen.name)
            if live:
                import shutil

                shutil.rmtree(self.home / gens.GEN_DIR / live, ignore_errors=True)
            return gen.name

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
