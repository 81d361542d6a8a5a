"""One privacy screen for `kb screen`, `kb ingest` and the web upload: the parsed text plus every visible field.

Both commands read a file with the same sandboxed parser and call ``screen_document``,
so they see the same text (a name wrapped across two lines of a ``.txt`` file is one
line after parsing) and attribute findings to the same page.  Besides the body, the
fields a reader sees are screened: title, tags, source, basis, section headings and
the original file name.
"""
from __future__ import annotations

import bisect
import re
from pathlib import Path

from .errors import IngestError
from .models import Document
from .privacy import Allowlist, ScreenConfig, screen_text
from .readers import supported
from .sandbox import ParserPool, iter_files

_SEP = "\n\n"


def page_of(doc: Document, offset: int) -> int | None:
    """Page of the section holding ``offset`` (sections are separated by a blank line: a finding there counts for the one before)."""
    return next((s.page for s in doc.sections if s.start <= offset < s.end + 2), None)


def filename_text(name: str) -> str:
    """A file name as words: the extension dropped, '_' and '.' made spaces ("Jane_Smith_1234-567-890.pdf")."""
    stem = Path(name).stem if "." in name else name
    return re.sub(r"[_.+]+", " ", stem).strip()


_KEEP_LOWER = frozenset("mr mrs ms mx dr m mme mlle miss prof sr fr rev st ste".split())


def _cased(words: str) -> str:
    """Lower-case file names and ids read as Title Case, so "jane_smith" is screened as a name (same length)."""
    if words.islower() and words.isascii():
        return " ".join(w if w in _KEEP_LOWER else w.title() for w in words.split(" "))
    return words


def _field_values(doc: Document) -> list[tuple[str, str]]:
    m = doc.meta
    values = [("title", m.title), ("source", m.source), ("basis", m.basis)]
    values += [("tags", t) for t in m.tags]
    headings = dict.fromkeys(h for s in doc.sections for h in s.heading_path)
    values += [("heading", h) for h in headings if h and h not in doc.text]  # headings inside the text are screened there
    if m.filename:
        values.append(("filename", _cased(filename_text(m.filename))))
    values.append(("id", _cased(re.sub(r"[-_./:]+", " ", m.doc_id))))
    return [(k, v) for k, v in values if v and v.strip()]


def screen_document(doc: Document, allowlist: Allowlist | None, config: ScreenConfig | None) -> list[dict]:
    """Masked findings for a document's text and visible metadata; empty when clean."""
    out: list[dict] = []
    for f in screen_text(doc.text, allowlist=allowlist, config=config).findings:
        out.append({"kind": f.kind, "start": f.start, "end": f.end, "line": f.line, "page": page_of(doc, f.start),
                    "masked": f.masked, "doc_id": doc.meta.doc_id})
    # all fields in one pass (one model call), separated by blank lines; offsets are mapped back to each field
    fields = _field_values(doc)
    if fields:
        starts, pos = [], 0
        for _name, value in fields:
            starts.append(pos)
            pos += len(value) + len(_SEP)
        joined = _SEP.join(v for _n, v in fields)
        for f in screen_text(joined, allowlist=allowlist, config=config).findings:
            i = bisect.bisect_right(starts, f.start) - 1
            name, value = fields[i]
            s, e = f.start - starts[i], min(f.end - starts[i], len(value))
            out.append({"kind": f.kind, "field": name, "start": s, "end": e, "line": None, "page": None,
                        "masked": f.masked, "doc_id": doc.meta.doc_id})
    return out


def screen_files(paths: list[Path], pool: ParserPool, allowlist: Allowlist, config: ScreenConfig) -> list[dict]:
    """One result per file: verdict and findings (offsets into the parsed text, or into a metadata field)."""
    results = []
    for path in iter_files(paths):
        entry: dict = {"path": str(path)}
        try:
            if not supported(path):
                raise IngestError(str(path), f"unknown format '{path.suffix or '(no suffix)'}'")
            docs = pool.read(path)
        except (IngestError, OSError) as exc:
            entry.update(verdict="error", error=getattr(exc, "reason", str(exc)), findings=[])
            results.append(entry)
            continue
        findings = []
        for doc in docs:
            for item in screen_document(doc, allowlist, config):
                if item["page"] is None:
                    item.pop("page")
                if item["line"] is None:
                    item.pop("line")
                if len(docs) == 1:
                    item.pop("doc_id")
                findings.append(item)
        entry.update(verdict="blocked" if findings else "clean", findings=findings)
        results.append(entry)
    return results


def redact_metadata(doc: Document, allowlist: Allowlist | None, config: ScreenConfig | None) -> Document:
    """The document with each finding in its title, tags, source, basis, headings and file name replaced by ``[KIND]``."""
    from dataclasses import replace

    from .models import Section
    from .privacy import redact

    def clean(value: str) -> str:
        if not value:
            return value
        return redact(value, screen_text(value, allowlist=allowlist, config=config))

    m = doc.meta
    filename = m.filename
    if filename and screen_text(filename_text(filename), allowlist=allowlist, config=config).findings:
        suffix = Path(filename).suffix
        filename = clean(filename_text(filename)).replace(" ", "_") + suffix
    meta = replace(m, title=clean(m.title), source=clean(m.source), basis=clean(m.basis),
                   tags=tuple(clean(t) for t in m.tags), filename=filename)
    sections = [Section(s.start, s.end, tuple(clean(h) for h in s.heading_path), s.page) for s in doc.sections]
    return Document(meta, doc.text, sections)


def where(finding: dict) -> str:
    """Human-readable place of a finding: 'line 4, page 2' in the text, or 'in the title' for metadata."""
    if finding.get("field"):
        return f"in the {finding['field']}"
    return f"line {finding.get('line')}" + (f", page {finding['page']}" if finding.get("page") else "")
