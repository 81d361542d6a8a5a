"""Writing the knowledge base: one writer at a time (a lock file), decisions applied to the catalogue, and a
new generation published (or the previous one served again on rollback).

Every operation that changes the catalogue lives here, past ~300 lines on purpose: each runs under the same lock
and ends in the same publish-or-reconcile step, and keeping them side by side keeps that discipline visible.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from ingest.models import Document
from ingest.readers import PARSER_VERSION, supported
from ingest.sandbox import ParserPool, display_name, walk

from . import generation as gens
from . import publishing
from . import originals, shared_db
from .catalog import Catalog
from .context import KBContext
from .errors import CorruptIndex, DocumentNotFound, KBEmpty, KBError, KBLocked
from .pipeline import FAILED, QUARANTINE, UNCHANGED, Decision, IngestPipeline
from .publisher import Publisher
from .types import FileOutcome, IngestReport

log = logging.getLogger("kb")
Progress = Callable[[str, int, int], None]


class Writer:
    """Every change to the catalogue and every publication goes through here, under the write lock."""

    def __init__(self, ctx: KBContext):
        self.ctx = ctx
        self.pipeline = IngestPipeline(ctx)
        self.publisher = Publisher(ctx)

    @contextmanager
    def lock(self):
        """The write lock: one writer at a time; a second one is refused, never interleaved."""
        self.ctx.home.mkdir(parents=True, exist_ok=True)
        fd = os.open(str(self.ctx.home / "write.lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise KBLocked("another `kb` write (ingest, remove, reindex or rollback) is running on "
                               f"{self.ctx.home}; "
                               "wait for it to finish and try again") from None
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            publishing.clean_leftovers(self.ctx.home)
            catalog = Catalog.open(self.ctx.home)
            try:
                self._reconcile(catalog)
                catalog.set_state("pending", "1")
                yield catalog
                catalog.set_state("pending", "")
            except sqlite3.OperationalError as exc:
                raise KBError(f"the catalogue in {self.ctx.home} could not be written ({exc}); nothing was published, "
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
            name = publishing.read_current(self.ctx.home)
            gen = (gens.Generation.load(self.ctx.home / publishing.GEN_DIR / name, shared_dir=self._shared())
                   if name else None)
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
        for d in gen.reader.documents(full=True):
            row = {"doc_id": d.doc_id, "title": d.title, "doc_type": d.doc_type, "source": d.source,
                   "published": d.published, "reviewed": d.reviewed, "tags": d.tags, "filename": d.filename,
                   "basis": d.basis, "text": d.text, "sections": d.sections, "content_hash": d.content_hash,
                   "original": d.original, "parser_version": d.parser_version}
            chunks = [{"ordinal": c.ordinal, "text": c.text, "start": c.start, "end": c.end,
                       "heading_path": c.heading_path, "page": c.page, "kind": c.kind, "index_text": c.index_text}
                      for c in gen.reader.chunks(doc_id=d.doc_id)]
            docs.append((row, chunks))
        return docs

    def _shared(self):
        """Where a generation loaded to be read whole (rollback, repair) keeps its copy of chunks.db."""
        return shared_db.shared_dir(self.ctx.settings.shared_db_dir)

    def writer_active(self) -> bool:
        """Whether some process holds the write lock now (a job marked running without it has died)."""
        path = self.ctx.home / "write.lock"
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

    def _live_manifest(self) -> dict | None:
        try:
            name = publishing.read_current(self.ctx.home)
        except CorruptIndex:
            return None
        if not name:
            return None
        try:
            return gens.read_manifest(self.ctx.home / publishing.GEN_DIR / name)
        except CorruptIndex:
            return None

    def _publish_if_changed(self, catalog: Catalog, progress: Progress | None,
                            report: IngestReport | None = None) -> int:
        """Publish a generation when the catalogue or the chunking changed since the live one; returns chunks embedded."""
        stored = catalog.get_state("chunking")
        current = json.dumps(self.ctx.chunk_params.to_dict(), sort_keys=True)
        if stored != current:
            if stored:  # chunks stored under other parameters: bring them all in line first
                self._rechunk_all(catalog, progress)
            else:
                catalog.set_state("chunking", current)
        live = self._live_manifest()
        if live is not None and live.get("catalog_version") == catalog.version \
                and live.get("chunking") == self.ctx.chunk_params.to_dict():
            if report is not None:
                report.generation = live["generation"]
            self.ctx.export_encoder()  # a KB built before the ONNX query path gets its export here
            return 0
        if live is None and not catalog.doc_ids():
            return 0
        name, embedded = self.publisher.build(catalog, progress)
        if report is not None:
            report.generation = name
        return embedded

    def _store(self, catalog: Catalog, doc: Document, origin: str, original: dict | None = None,
               parser_version: int | None = None) -> bool:
        """Chunk and store a document unless an identical one is stored; True when stored."""
        if catalog.content_hash(doc.meta.doc_id) == doc.content_hash:
            if original is not None and catalog.original(doc.meta.doc_id) != original:
                catalog.set_original(doc.meta.doc_id, original, parser_version)
                catalog.bump()
            return False
        catalog.upsert(doc, self.pipeline.chunk(doc), origin, original, parser_version)
        return True

    def _rechunk_all(self, catalog: Catalog, progress: Progress | None) -> None:
        """Chunk every stored document again with the current parameters (they are recorded per generation)."""
        ids = catalog.doc_ids()
        for i, doc_id in enumerate(ids):
            catalog.replace_chunks(doc_id, self.pipeline.chunk(catalog.load_document(doc_id)))
            if progress and (i % 50 == 0 or i == len(ids) - 1):
                progress("chunking", i + 1, len(ids))
        catalog.set_state("chunking", json.dumps(self.ctx.chunk_params.to_dict(), sort_keys=True))
        catalog.bump()

    def remove(self, doc_id: str) -> str:
        """Delete a document and its vectors; returns the new generation."""
        with self.lock() as catalog:
            if not catalog.delete(doc_id):
                raise DocumentNotFound(f"no document with id {doc_id!r}")
            catalog.forget_files_of(doc_id)
            name, _ = self.publisher.build(catalog, None)
            return name

    def update_metadata(self, doc_id: str, **fields) -> str:
        with self.lock() as catalog:
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
            catalog.upsert(doc, self.pipeline.chunk(doc), "edit")
            name, _ = self.publisher.build(catalog, None)
            return name

    def reindex(self, progress: Progress | None = None) -> str:
        """Re-chunk every stored document and publish a fresh generation."""
        with self.lock() as catalog:
            if not catalog.doc_ids():
                raise KBEmpty(f"nothing to reindex: the knowledge base at {self.ctx.home} holds no documents")
            self._reparse_stale(catalog, progress)
            self._rechunk_all(catalog, progress)
            name, _ = self.publisher.build(catalog, progress)
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
            path = originals.locate(self.ctx.home, record)
            if path is None and origin and Path(origin).is_file() and supported(Path(origin)):
                path, record = Path(origin), None
            if path is None:
                counts["kept"] += 1
                continue
            sources.setdefault(str(path), (path, record, origin, []))[3].append(doc_id)
        with ParserPool(self.ctx.settings.parse_timeout, self.ctx.settings.parse_memory_mb,
                        self.ctx.settings.max_file_mb * 1024 * 1024) as parser:
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
                    record = self.pipeline.keep_original(path, fresh)
                for doc_id in ids:
                    old, new = catalog.load_document(doc_id), by_id.get(doc_id)
                    candidate = Document(old.meta, new.text, new.sections) if (old and new) else None
                    if candidate is None or self.pipeline.screen(candidate):
                        counts["kept"] += 1
                        continue
                    catalog.upsert(candidate, self.pipeline.chunk(candidate), origin, record, PARSER_VERSION)
                    counts["reparsed"] += 1
        if progress:
            progress("re-reading", len(sources), len(sources))
        if counts["kept"]:
            log.warning("reindex: %d document(s) kept as stored (no readable original, or the re-read text "
                        "needs privacy review)", counts["kept"])
        return counts

    def rollback(self) -> str:
        """Serve the previously published generation again (skipping damaged ones), and make the catalogue match."""
        with self.lock() as catalog:
            try:
                live = publishing.read_current(self.ctx.home)
            except CorruptIndex:
                live = None  # CURRENT is garbage: the newest intact published generation becomes live
            gen = None
            for target in publishing.intact_published(self.ctx.home, before=live):
                try:
                    gen = gens.Generation.load(self.ctx.home / publishing.GEN_DIR / target, shared_dir=self._shared())
                    break
                except CorruptIndex as exc:
                    log.error("skipping %s for rollback: %s", target, exc)
            if gen is None:
                raise KBError("there is no earlier intact published generation to roll back to; run `kb reindex` "
                              "to rebuild from the catalogue")
            catalog.replace_all(self._documents_of(gen))
            publishing.publish(self.ctx.home, gen.name)
            if live:
                import shutil

                shutil.rmtree(self.ctx.home / publishing.GEN_DIR / live, ignore_errors=True)
            return gen.name

    def quarantine_list(self) -> list[dict]:
        catalog = Catalog.open(self.ctx.home)
        try:
            return catalog.quarantined()
        finally:
            catalog.close()

    def release(self, qid: int, redact: bool = False) -> IngestReport:
        """Ingest a quarantined file after a curator's review (as is, or redacted)."""
        report = IngestReport()
        with self.lock() as catalog:
            taken = catalog.take_quarantined(int(qid))
            if taken is None:
                raise KBError(f"no quarantined item #{qid}")
            info, docs = taken
            for doc in docs:
                if redact:
                    doc = self.pipeline.redacted(doc)
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
        catalog = Catalog.open(self.ctx.home)
        try:
            taken = catalog.take_quarantined(int(qid))
        finally:
            catalog.close()
        if taken is None:
            raise KBError(f"no quarantined item #{qid}")
        return [{"doc_id": d.meta.doc_id, "title": d.meta.title, "text": self.pipeline.redacted(d).text}
                for d in taken[1]]

    def drop_quarantined(self, qid: int) -> None:
        with self.lock() as catalog:
            catalog.drop_quarantined(int(qid))

    def ingest_paths(self, paths: list[Path], overrides: dict | None = None, progress: Progress | None = None,
                     redact: bool = False, screen: bool = True, remember_files: bool = True) -> IngestReport:
        """Read, screen, chunk, embed and publish; unchanged files cost a hash, bad files cost one line.

        remember_files=False is for one-off copies (web uploads in a temporary folder): their paths are not
        recorded, and unchanged content is still recognised by its hash.
        """
        overrides = {k: v for k, v in (overrides or {}).items() if v not in (None, "", (), [])}
        report = IngestReport()
        with self.lock() as catalog:
            files, skipped = walk([Path(p) for p in paths], forbidden=self.ctx.home)
            for path, why in skipped:
                report.skipped += 1
                report.files.append(FileOutcome(display_name(path), "skipped", [], why))
            settings = self.ctx.settings
            with ParserPool(settings.parse_timeout, settings.parse_memory_mb,
                            settings.max_file_mb * 1024 * 1024) as parser:
                for i, path in enumerate(files):
                    if progress:
                        progress("reading", i, len(files))
                    decision = self.pipeline.decide(catalog, parser, path, overrides, redact, screen, remember_files)
                    self._apply(catalog, decision, report, remember_files)
                    publishing.crash_point("after-file")
            if progress:
                progress("reading", len(files), len(files))
            report.chunks_embedded = self._publish_if_changed(catalog, progress, report)
        return report

    def _apply(self, catalog: Catalog, d: Decision, report: IngestReport, remember: bool) -> None:
        """Carry out one file's decision on the catalogue and record its outcome in the report."""
        if d.kind == FAILED:
            report.failed += 1
            report.files.append(FileOutcome(d.shown, "failed", [], d.reason))
            return
        if d.kind == UNCHANGED:
            report.unchanged += len(d.doc_ids)
            report.files.append(FileOutcome(d.shown, "unchanged", d.doc_ids))
            return
        if d.kind == QUARANTINE:
            qid = catalog.quarantine(display_name(d.path.name), d.origin, d.findings, d.docs, d.fingerprint)
            report.quarantined += 1
            kinds = sorted({f["kind"] for f in d.findings})
            report.files.append(FileOutcome(
                d.shown, "quarantined", d.doc_ids,
                f"privacy screen found {len(d.findings)} possible identifier(s) ({', '.join(kinds)}); "
                f"held as quarantine #{qid} for review", quarantine_id=qid, findings=d.findings))
            return
        original = None if d.redacted else self.pipeline.keep_original(d.path, d.docs)
        stored = existed = 0
        for doc in d.docs:
            was_there = catalog.content_hash(doc.meta.doc_id) is not None
            if self._store(catalog, doc, d.origin, original, PARSER_VERSION):
                stored += 1
                existed += was_there
            else:
                report.unchanged += 1
        report.documents += stored
        for old in set(d.previous_ids) - set(d.doc_ids):
            catalog.delete(old)
        if remember:
            catalog.set_file(d.origin, d.fingerprint, d.doc_ids)
        status = "unchanged" if not stored else ("updated" if existed else "added")
        report.files.append(FileOutcome(d.shown, status, d.doc_ids))
