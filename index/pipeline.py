"""The ingest pipeline: what should happen to one file (store, unchanged, quarantine, failed), decided without
writing anything, plus the document steps the writer applies (chunking, privacy screen, redaction, originals).

The writer (index/writer.py) holds the lock and applies each `Decision` to the catalogue; this module never
changes the catalogue and never touches a report.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.chunking import chunk_document
from ingest.errors import FileTooLarge, IngestError, UnsupportedFormat
from ingest.metadata import sidecar_path
from ingest.models import Chunk, Document, Section
from ingest.readers import PARSER_VERSION, supported
from ingest.sandbox import ParserPool, display_name, refusal

from . import originals
from .catalog import Catalog
from .context import KBContext
from .errors import KBError

STORE, UNCHANGED, QUARANTINE, FAILED = "store", "unchanged", "quarantine", "failed"


@dataclass
class Decision:
    """What to do with one file. store: its documents (and the kept original); unchanged: the ids it yielded
    last time; quarantine: its documents and the masked privacy findings; failed: why."""

    kind: str
    shown: str                                   # the file's name as reported (never a full private path)
    origin: str = ""                             # where it came from, as the catalogue remembers files
    fingerprint: str = ""                        # content + sidecar + overrides + options + parser version
    docs: list[Document] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    previous_ids: list[str] = field(default_factory=list)  # what the same path yielded last time
    findings: list[dict] = field(default_factory=list)
    path: Path | None = None
    reason: str = ""
    redacted: bool = False  # a redacted document's original still holds what was redacted: it is never kept


class IngestPipeline:
    """Reads, fingerprints, screens and (when asked) redacts files; decides, the writer applies."""

    def __init__(self, ctx: KBContext):
        self.ctx = ctx

    def decide(self, catalog: Catalog, parser: ParserPool, path: Path, overrides: dict, redact: bool,
               screen: bool, remember: bool) -> Decision:
        """The decision for one file; the catalogue is only read (has this exact file been stored already?)."""
        shown = display_name(path)
        over_key = json.dumps(overrides, sort_keys=True, default=str)
        try:
            origin = display_name(path.resolve())
            fingerprint = self._fingerprint(path, shown, over_key, redact)
            known = catalog.file_entry(origin) if remember else None
            if known and known[0] == fingerprint and catalog.has_documents(known[1]):
                return Decision(UNCHANGED, shown, origin, fingerprint, doc_ids=known[1])
            docs = parser.read(path, {"type": overrides.get("doc_type"), **overrides})
        except (IngestError, OSError, UnicodeError) as exc:
            reason = exc.reason if isinstance(exc, IngestError) else str(exc)
            return Decision(FAILED, shown, reason=display_name(reason))
        previous = known[1] if known else []
        findings = [f for d in docs for f in self.screen(d)] if screen else []
        redacted = bool(findings and redact)
        if redacted:
            docs = [self.redacted(d) for d in docs]
            findings = [f for d in docs for f in self.screen(d)]
        kind = QUARANTINE if findings else STORE
        return Decision(kind, shown, origin, fingerprint, docs, [d.meta.doc_id for d in docs], previous, findings,
                        path, redacted=redacted)

    def _fingerprint(self, path: Path, shown: str, over_key: str, redact: bool) -> str:
        """Checks that the file may be read, then hashes it with everything that changes what ingest makes of it."""
        if not path.exists():
            raise IngestError(shown, "no such file or folder")
        if not supported(path):
            raise UnsupportedFormat(shown, f"unknown format '{display_name(path.suffix) or '(no suffix)'}'")
        why = refusal(path, self.ctx.home)
        if why:
            raise IngestError(shown, why)
        size = path.stat().st_size
        max_mb = self.ctx.settings.max_file_mb
        if size > max_mb * 1024 * 1024:
            raise FileTooLarge(shown, f"file is {size / 2**20:.1f} MiB, above the {max_mb} MiB limit (KB_MAX_FILE_MB)")
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
        return h.hexdigest()

    # -- document steps --------------------------------------------------------------------------
    def chunk(self, doc: Document) -> list[Chunk]:
        """The document cut into passages with the KB's chunking parameters."""
        return chunk_document(doc, self.ctx.embedder.token_spans, self.ctx.chunk_params)

    def privacy_rules(self):
        """The curators' allowlist and the site's record-number patterns, read fresh for each write."""
        from ingest.privacy import Allowlist, ScreenConfig

        settings = self.ctx.settings
        patterns = Path(settings.privacy_patterns) if settings.privacy_patterns else None
        return Allowlist.load(settings.allowlist_path), ScreenConfig.load(patterns)

    def screen(self, doc: Document) -> list[dict]:
        """Privacy screen of one document's text and visible metadata (the same as `kb screen`); masked findings."""
        from ingest.screening import screen_document

        allow, config = self.privacy_rules()
        return screen_document(doc, allow, config)

    def keep_original(self, path: Path, docs: list[Document]) -> dict | None:
        """Store the curator's file content-addressed in KB_HOME/originals; None when it cannot be read again."""
        try:
            data = path.read_bytes()
        except OSError:
            return None
        pages = max((s.page for d in docs for s in d.sections if s.page is not None), default=None)
        try:
            return originals.store(self.ctx.home, data, path.suffix, pages)
        except OSError as exc:
            raise KBError(f"cannot keep the original of {path.name}: {exc.strerror} (is the disk full?)") from exc

    def redacted(self, doc: Document) -> Document:
        """The document with every finding replaced by its kind; block spans and table cells follow the edits."""
        from ingest.privacy import redact, screen_text
        from ingest.screening import redact_metadata

        allow, config = self.privacy_rules()
        report = screen_text(doc.text, allowlist=allow, config=config)
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

        def moved(sec: Section) -> Section:
            rows = sec.rows
            if sec.kind == "table":  # the cells are redacted too: they are what the table renders
                rows = tuple(tuple(new_text[shift(a):shift(b)] for a, b in cells) for _, _, cells in sec.row_spans())
            return replace(sec, start=shift(sec.start), end=shift(sec.end), rows=rows)

        return redact_metadata(Document(doc.meta, new_text, [moved(sec) for sec in doc.sections]), allow, config)
