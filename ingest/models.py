"""Documents and chunks as plain dataclasses, so every later stage can trust their shape."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace

DOC_TYPES = ("echo-case", "guideline", "other")


BLOCK_KINDS = ("heading", "paragraph", "list_item", "table", "quote", "code")
CELL_SEP = " | "  # between the cells of a table row in the stored text; rows are separated by "\n"


def table_text(rows: tuple[tuple[str, ...], ...]) -> tuple[str, list[tuple[int, int, list[tuple[int, int]]]]]:
    """A table's stored text and its layout: per row (start, end, cell spans), offsets relative to the table.

    One function computes both, so the text written at ingest and the cell offsets used to highlight a
    cell when rendering can never disagree.
    """
    parts: list[str] = []
    layout: list[tuple[int, int, list[tuple[int, int]]]] = []
    pos = 0
    for r, row in enumerate(rows):
        if r:
            parts.append("\n")
            pos += 1
        row_start = pos
        cells: list[tuple[int, int]] = []
        for c, cell in enumerate(row):
            if c:
                parts.append(CELL_SEP)
                pos += len(CELL_SEP)
            cells.append((pos, pos + len(cell)))
            parts.append(cell)
            pos += len(cell)
        layout.append((row_start, pos, cells))
    return "".join(parts), layout


def clean_cell(text: str) -> str:
    """One line of cell text: inner whitespace (line breaks included) becomes single spaces."""
    return " ".join(str(text or "").split())


def list_marker(number: int | None) -> str:
    """The marker an ordered list item's stored text starts with ("3. "); bullets store none."""
    return f"{number}. " if number is not None else ""


@dataclass(frozen=True)
class Block:
    """One typed piece of a document (heading, paragraph, list item, table, quote, code) under its headings.

    `text` is exactly what the document's stored text holds for the block: a heading's words, a paragraph,
    a list item prefixed by its number when ordered ("3. Reduce ..."), a table's rows (cells joined by
    CELL_SEP, rows by newlines; the first row is the header row when `header` is true), a quotation's words.
    """

    text: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    kind: str = "paragraph"
    level: int = 0              # heading level (1-6)
    depth: int = 0              # list nesting, 0 = top level
    number: int | None = None   # ordered list item number; None for bullets
    rows: tuple[tuple[str, ...], ...] = ()  # table cells, row by row
    header: bool = False        # the table's first row is a header row

    @classmethod
    def table(cls, rows, heading_path: tuple[str, ...] = (), page: int | None = None,
              header: bool = True) -> "Block":
        """A table block from cell strings; the stored text is derived from the cells."""
        clean = tuple(tuple(clean_cell(c) for c in row) for row in rows)
        clean = tuple(row for row in clean if any(row))
        width = max((len(r) for r in clean), default=0)
        clean = tuple(row + ("",) * (width - len(row)) for row in clean)
        return cls(table_text(clean)[0], heading_path, page, "table", rows=clean, header=header and len(clean) > 1)

    @classmethod
    def item(cls, text: str, depth: int = 0, number: int | None = None, heading_path: tuple[str, ...] = (),
             page: int | None = None) -> "Block":
        """A list item; ordered items keep their number at the front of the stored text."""
        return cls(list_marker(number) + text.strip(), heading_path, page, "list_item", depth=depth, number=number)


@dataclass(frozen=True)
class Section:
    """Where a block landed in the document's text: offsets, heading path, page and the block's structure.

    (The name predates typed blocks: every Section is one positioned Block.)
    """

    start: int
    end: int
    heading_path: tuple[str, ...]
    page: int | None
    kind: str = "paragraph"
    level: int = 0
    depth: int = 0
    number: int | None = None
    rows: tuple[tuple[str, ...], ...] = ()
    header: bool = False

    def row_spans(self) -> list[tuple[int, int, list[tuple[int, int]]]]:
        """Absolute (start, end, cell spans) of each table row; empty for other kinds."""
        if self.kind != "table":
            return []
        _, layout = table_text(self.rows)
        return [(self.start + s, self.start + e, [(self.start + a, self.start + b) for a, b in cells])
                for s, e, cells in layout]

    def to_json(self) -> list:
        """Compact JSON form: [start, end, heading_path, page, {structure}] (the dict only when not a paragraph)."""
        out: list = [self.start, self.end, list(self.heading_path), self.page]
        extra = {k: v for k, v in (("kind", self.kind), ("level", self.level), ("depth", self.depth),
                                   ("number", self.number), ("rows", [list(r) for r in self.rows]),
                                   ("header", self.header)) if v not in (None, 0, (), [], False, "paragraph")}
        if extra:
            out.append(extra)
        return out

    @classmethod
    def from_json(cls, item: list) -> "Section":
        """Reads both this form and the older four-field one (a plain paragraph)."""
        start, end, heading_path, page = item[:4]
        extra = item[4] if len(item) > 4 and isinstance(item[4], dict) else {}
        return cls(int(start), int(end), tuple(heading_path), page, extra.get("kind", "paragraph"),
                   int(extra.get("level", 0)), int(extra.get("depth", 0)), extra.get("number"),
                   tuple(tuple(r) for r in extra.get("rows", ())), bool(extra.get("header", False)))


def sections_to_json(sections: list[Section]) -> str:
    return json.dumps([s.to_json() for s in sections])


def sections_from_json(data: str) -> list[Section]:
    return [Section.from_json(item) for item in json.loads(data or "[]")]


@dataclass(frozen=True)
class DocumentMeta:
    doc_id: str
    title: str
    doc_type: str = "other"
    source: str = ""
    published: str = ""
    reviewed: str = ""
    tags: tuple[str, ...] = ()
    filename: str = ""
    basis: str = ""

    def with_overrides(self, **fields) -> "DocumentMeta":
        clean = {k: v for k, v in fields.items() if v not in (None, "", ())}
        if "tags" in clean:
            clean["tags"] = tuple(clean["tags"])
        return replace(self, **clean)


@dataclass
class Document:
    """One document's metadata and full extracted text, with section spans into that text."""

    meta: DocumentMeta
    text: str
    sections: list[Section] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256(self.text.encode("utf-8"))
        h.update(repr(self.meta).encode("utf-8"))
        return h.hexdigest()

    @classmethod
    def from_blocks(cls, meta: DocumentMeta, blocks: list[Block]) -> "Document":
        """Join blocks with blank lines and remember where each one went, with its structure."""
        parts: list[str] = []
        sections: list[Section] = []
        pos = 0
        for block in blocks:
            if block.kind == "table":
                text = block.text if block.text.strip() else ""
            else:
                text = block.text.strip()
            if not text:
                continue
            if parts:
                parts.append("\n\n")
                pos += 2
            sections.append(Section(pos, pos + len(text), block.heading_path, block.page, block.kind, block.level,
                                    block.depth, block.number, block.rows, block.header))
            parts.append(text)
            pos += len(text)
        return cls(meta=meta, text="".join(parts), sections=sections)


@dataclass(frozen=True)
class Chunk:
    """A passage small enough for the model, with its locator in the source document."""

    doc_id: str
    ordinal: int
    text: str
    start: int
    end: int
    heading_path: tuple[str, ...]
    page: int | None
    n_tokens: int
    kind: str = "text"      # "text": a passage of the document; "row": one table row, indexed as a statement
    index_text: str = ""    # what embedding and keyword search see when it differs from `text` (else "")

    @property
    def indexed(self) -> str:
        """The text the model embeds and FTS5 indexes: a table passage with its header, a row as a statement."""
        return self.index_text or self.text

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()
