"""PDF via pypdf: text per page (page numbers kept); headings from the outline or from larger type."""
from __future__ import annotations

import io
import re
import statistics
from pathlib import Path

from ..errors import CorruptDocument, EncryptedDocument, IngestError
from . import RawDocument
from .sections import SectionBuilder, join_wrapped

MAX_PAGES = 2000
# Per-stream cap on decompressed bytes (pypdf's default is 75 MB). Text pages need far less; a bomb needs more.
MAX_STREAM_BYTES = 32 * 1024 * 1024
_LIMITS = {name: MAX_STREAM_BYTES for name in (
    "zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
    "jbig2_maximum_output_length", "brotli_maximum_output_length", "array_based_stream_maximum_output_length")}


def _info(reader) -> dict:
    meta: dict = {}
    try:
        info = reader.metadata or {}
    except Exception:  # noqa: BLE001 - a broken info dictionary must not lose the text
        return meta
    for key, name in (("/Title", "title"), ("/Subject", "subject"), ("/Keywords", "tags")):
        value = info.get(key)
        if value:
            meta[name] = str(value)
    meta.pop("subject", None)
    return meta


def _page_lines(page) -> list[tuple[str, float]]:
    """Lines of one page with the largest font size seen on each."""
    lines: list[tuple[str, float]] = []
    current: list[str] = []
    size = 0.0

    def visit(text, cm, tm, font_dict, font_size):
        nonlocal size
        scale = abs(tm[3]) if tm and tm[3] else 1.0
        eff = float(font_size or 0) * scale
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if i > 0:
                lines.append(("".join(current), size))
                current.clear()
                size = 0.0
            if part.strip():
                current.append(part)
                size = max(size, eff)

    page.extract_text(visitor_text=visit)
    if current:
        lines.append(("".join(current), size))
    return [(" ".join(t.split()), s) for t, s in lines if t.strip()]


_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(of|/)\s*\d+)?$", re.I)


def _drop_running_lines(per_page: list) -> list:
    """Remove running headers, footers and page numbers: lines at a page's edge that repeat across pages."""
    if len(per_page) < 2:
        return [(n, [(t, s) for t, s in lines if not _PAGE_NUMBER.match(t)]) for n, lines in per_page]
    norm = lambda t: re.sub(r"\d+", "#", t.lower())  # noqa: E731
    counts: dict[str, int] = {}
    for _, lines in per_page:
        edge = {norm(t) for t, _ in lines[:2] + lines[-2:]}
        for key in edge:
            counts[key] = counts.get(key, 0) + 1
    running = {k for k, c in counts.items() if c >= max(2, (len(per_page) - 1) // 2)}
    out = []
    for n, lines in per_page:
        keep = []
        for i, (t, s) in enumerate(lines):
            at_edge = i < 2 or i >= len(lines) - 2
            if _PAGE_NUMBER.match(t) or (at_edge and norm(t) in running):
                continue
            keep.append((t, s))
        out.append((n, keep))
    return out


def parse(path: Path, data: bytes) -> list[RawDocument]:
    """Read with tightened pypdf limits; pypdf's own limit and loop checks become a named CorruptDocument."""
    from pypdf import apply_configuration
    from pypdf.errors import LimitReachedError

    try:
        with apply_configuration(**_LIMITS):  # pypdf decodes lazily, so the limits must cover extraction too
            return _parse(path, data)
    except LimitReachedError as exc:
        raise CorruptDocument(str(path), f"PDF exceeds a safety limit, refused (a decompression bomb or reference "
                                         f"loop?): {str(exc)[:120]}") from exc


def _parse(path: Path, data: bytes) -> list[RawDocument]:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise EncryptedDocument(str(path), "PDF is encrypted; save an unprotected copy")
        pages = reader.pages
        n_pages = len(pages)
    except (IngestError, LimitReachedError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - on malformed files pypdf raises many types beyond PdfReadError
        # (fuzzing found NotImplementedError "Unsupported filter"); each means this PDF is unreadable
        raise CorruptDocument(str(path), f"PDF could not be read ({exc.__class__.__name__}: {str(exc)[:120]})") from exc
    if n_pages > MAX_PAGES:
        raise CorruptDocument(str(path), f"PDF has {n_pages} pages, above the {MAX_PAGES}-page limit")
    meta = _info(reader)
    outline_titles: set[str] = set()
    try:
        def walk(items):
            for item in items:
                if isinstance(item, list):
                    walk(item)
                else:
                    outline_titles.add(" ".join(str(item.title).split()))
        walk(reader.outline)
    except Exception:  # noqa: BLE001 - an outline is a nicety; broken ones are common
        outline_titles = set()
    per_page = []
    try:
        for number, page in enumerate(pages, 1):
            per_page.append((number, _page_lines(page)))
    except (LimitReachedError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - as above: any pypdf failure inside a page is this file's problem
        raise CorruptDocument(str(path), f"PDF page text could not be extracted ({exc.__class__.__name__})") from exc
    sizes = [s for _, lines in per_page for t, s in lines if s > 0 for _ in range(len(t))]
    body_size = statistics.median(sizes) if sizes else 0.0
    heading_sizes = sorted({round(s, 1) for _, lines in per_page for _, s in lines if body_size and s > body_size * 1.15},
                           reverse=True)
    per_page = _drop_running_lines(per_page)
    sb = SectionBuilder()
    for number, lines in per_page:
        para: list[str] = []
        pending: tuple[int, str] | None = None  # a heading that may continue on the next line
        for text, size in lines:
            is_heading = text in outline_titles or (
                round(size, 1) in heading_sizes and len(text) <= 120 and not text.endswith((".", ",", ";")))
            if is_heading:
                level = heading_sizes.index(round(size, 1)) + 1 if round(size, 1) in heading_sizes else 2
                if pending and pending[0] == level and not para:
                    pending = (level, pending[1] + " " + text)  # one heading wrapped over two lines
                    continue
                if pending:
                    sb.heading(pending[0], pending[1], page=number)
                if para:
                    sb.para(join_wrapped(para), page=number)
                    para = []
                pending = (level, text)
            else:
                if pending:
                    sb.heading(pending[0], pending[1], page=number)
                    pending = None
                para.append(text)
        if pending:
            sb.heading(pending[0], pending[1], page=number)
        if para:
            sb.para(join_wrapped(para), page=number)
    title = meta.get("title", "")
    return [RawDocument(sb.finish(), meta=meta, default_title=title)]
