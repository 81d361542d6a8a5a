"""PDF: pypdf first, as the bounded safety pass (limits, loops, encryption), then pdfplumber for structure.

pdfplumber (pdfminer) recovers ruled tables as cells and each line's position, size and weight, which give
reading order, headings (larger or bold type), paragraphs (vertical gaps) and list items (markers and hanging
indents). Measured on the corpus PDFs, pypdf's layout mode keeps a table's columns as runs of spaces with
wrapped cells on separate lines, which would need a hand-written table detector; pdfplumber returns the cells.
If pdfplumber fails on a file pypdf could read, the pypdf text is kept (as paragraphs), never lost.
A little over ~300 lines on purpose: the layout rules (lines, tables, headings, items) share one page model.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from ..errors import CorruptDocument, EncryptedDocument, IngestError
from . import RawDocument
from .sections import BlockBuilder, item_marker, join_wrapped

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


def _page_number(lines: list, i: int) -> bool:
    """Whether line i reads as a page number, not as the last word of a wrapped paragraph ("... dose of\n0").

    With positions (pdfplumber), a bare number counts when it stands apart from its neighbours by more than a
    line's height, as a footer or header does; pypdf's fallback lines carry no positions, so there any bare number
    counts, as before.
    """
    if not _PAGE_NUMBER.match(lines[i][0]):
        return False
    if len(lines[i]) < 6:
        return True
    top, bottom = lines[i][4], lines[i][5]
    height = max(bottom - top, 1.0)
    gaps = [top - lines[i - 1][5]] if i > 0 else []
    gaps += [lines[i + 1][4] - bottom] if i + 1 < len(lines) else []
    return not gaps or min(gaps) > height


def _drop_running_lines(per_page: list) -> list:
    """Remove running headers, footers and page numbers: lines at a page's edge that repeat across pages."""
    if len(per_page) < 2:
        return [(n, [line for i, line in enumerate(lines) if not _page_number(lines, i)]) for n, lines in per_page]
    norm = lambda t: re.sub(r"\d+", "#", t.lower())  # noqa: E731
    counts: dict[str, int] = {}
    for _, lines in per_page:
        edge = {norm(line[0]) for line in lines[:2] + lines[-2:]}
        for key in edge:
            counts[key] = counts.get(key, 0) + 1
    running = {k for k, c in counts.items() if c >= max(2, (len(per_page) - 1) // 2)}
    out = []
    for n, lines in per_page:
        keep = []
        for i, line in enumerate(lines):
            at_edge = i < 2 or i >= len(lines) - 2
            numeric = bool(_PAGE_NUMBER.match(line[0]))  # a bare number is judged by _page_number alone
            if _page_number(lines, i) or (not numeric and at_edge and norm(line[0]) in running):
                continue
            keep.append(line)
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
    title = meta.get("title", "")
    try:
        blocks = _structured(data, outline_titles)
    except (LimitReachedError, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - pdfminer has many failure types; pypdf's text below is still good
        blocks = None
    if blocks is None:
        blocks = _from_pypdf_lines(per_page, outline_titles)
    return [RawDocument(blocks, meta=meta, default_title=title)]


def _heading_sizes(per_page: list, body_size: float) -> list[float]:
    return sorted({round(line[1], 1) for _, lines in per_page for line in lines
                   if body_size and line[1] > body_size * 1.15}, reverse=True)


def _body_size(per_page: list) -> float:
    """The median type size, weighted by characters."""
    counts: dict[float, int] = {}
    for _, lines in per_page:
        for line in lines:
            if line[1] > 0:
                counts[round(line[1], 1)] = counts.get(round(line[1], 1), 0) + len(line[0])
    if not counts:
        return 0.0
    half, seen = sum(counts.values()) / 2, 0
    for size in sorted(counts):
        seen += counts[size]
        if seen >= half:
            return size
    return 0.0


def _from_pypdf_lines(per_page: list, outline_titles: set[str]) -> list:
    """The fallback: pypdf's lines, headings by outline or size, paragraphs joined per page."""
    body_size = _body_size(per_page)
    heading_sizes = _heading_sizes(per_page, body_size)
    per_page = _drop_running_lines(per_page)
    bb = BlockBuilder()
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
                    bb.heading(pending[0], pending[1], page=number)
                if para:
                    bb.para(join_wrapped(para), page=number)
                    para = []
                pending = (level, text)
            else:
                if pending:
                    bb.heading(pending[0], pending[1], page=number)
                    pending = None
                para.append(text)
        if pending:
            bb.heading(pending[0], pending[1], page=number)
        if para:
            bb.para(join_wrapped(para), page=number)
    return bb.finish()


def _inside(obj: dict, boxes: list) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _structured(data: bytes, outline_titles: set[str]) -> list | None:
    """Typed blocks from pdfplumber: tables as cells, lines in reading order with size, weight and indent."""
    import pdfplumber

    per_page = []  # (page number, [(text, size, bold, x0, top, bottom)], [(top, rows)])
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            tables = page.find_tables()
            boxes = [t.bbox for t in tables]
            text_page = page.filter(lambda o: o.get("object_type") != "char" or not _inside(o, boxes)) \
                if boxes else page
            lines = []
            for line in text_page.extract_text_lines(return_chars=True, strip=True):
                chars = [c for c in line["chars"] if c["text"].strip()]
                text = " ".join(line["text"].split())
                if not text or not chars:
                    continue
                size = max(float(c.get("size") or 0) for c in chars)
                bold = all("bold" in str(c.get("fontname", "")).lower() for c in chars)
                lines.append((text, size, bold, float(line["x0"]), float(line["top"]), float(line["bottom"])))
            found = [(t.bbox[1], [[c or "" for c in row] for row in t.extract()]) for t in tables]
            per_page.append((number, lines, found))
    if not any(lines or found for _, lines, found in per_page):
        return None
    body_size = _body_size([(n, lines) for n, lines, _ in per_page])
    heading_sizes = _heading_sizes([(n, lines) for n, lines, _ in per_page], body_size)
    kept = dict(_drop_running_lines([(n, lines) for n, lines, _ in per_page]))
    bb = BlockBuilder()
    for number, _, found in per_page:
        lines = kept[number]
        items = sorted([(ln[4], 0, ln) for ln in lines] + [(top, 1, rows) for top, rows in found],
                       key=lambda it: (it[0], it[1]))
        gaps = sorted(b[4] - a[5] for a, b in zip(lines, lines[1:]) if b[4] > a[5])
        typical = gaps[len(gaps) // 2] if gaps else body_size
        _page_blocks(bb, number, items, body_size, heading_sizes, typical, outline_titles)
    return bb.finish()


def _page_blocks(bb: BlockBuilder, number: int, items: list, body_size: float, heading_sizes: list[float],
                 typical_gap: float, outline_titles: set[str]) -> None:
    """Group one page's lines into paragraphs by vertical gaps, then type each group."""
    groups: list[list[tuple]] = []
    previous = None
    for _, is_table, payload in items:
        if is_table:
            groups.append([("table", payload)])
            previous = None
            continue
        text, size, bold, x0, top, bottom = payload
        limit = max(0.5 * size, min(1.1 * size, 1.8 * typical_gap))
        same_style = previous is not None and (previous[2] == bold and abs(previous[1] - size) < 0.6)
        if previous is None or top - previous[5] > limit or not same_style:
            groups.append([payload])
        else:
            groups[-1].append(payload)
        previous = payload
    for group in groups:
        if group[0][0] == "table":
            bb.table(group[0][1], page=number)
            continue
        text = " ".join(line[0] for line in group)
        size = max(line[1] for line in group)
        bold = all(line[2] for line in group)
        larger = round(size, 1) in heading_sizes
        if text in outline_titles or ((larger or (bold and size >= body_size)) and len(text) <= 150
                                      and not text.endswith((".", ",", ";", ":"))):
            level = heading_sizes.index(round(size, 1)) + 1 if larger else len(heading_sizes) + 1
            bb.heading(level, text, page=number)
            continue
        _lines_to_items(bb, group, number)


def _lines_to_items(bb: BlockBuilder, group: list[tuple], number: int) -> None:
    """A paragraph's lines: a line starting with a list marker opens an item (deeper when indented further),
    lines hanging to its right continue it, other lines form paragraphs."""
    indents: list[float] = []
    current: list | None = None  # [number, depth, x0 of the marker, words]
    para: list[str] = []

    def flush() -> None:
        nonlocal current
        if current is not None:
            bb.item(" ".join(current[3]), current[1], current[0], page=number)
            current = None
        if para:
            bb.para(" ".join(para), page=number)
            para.clear()

    for text, _size, _bold, x0, _top, _bottom in group:
        marker = item_marker(text)
        if marker is not None:
            flush()
            while indents and indents[-1] > x0 + 2:
                indents.pop()
            if not indents or indents[-1] < x0 - 2:
                indents.append(x0)
            current = [marker[0], len(indents) - 1, x0, [text[marker[1]:]]]
        elif current is not None and x0 > current[2] + 2:
            current[3].append(text)
        else:
            if current is not None:
                flush()
            para.append(text)
    flush()
