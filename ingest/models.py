"""Documents and chunks as plain dataclasses, so every later stage can trust their shape."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

DOC_TYPES = ("echo-case", "guideline", "other")


@dataclass(frozen=True)
class Block:
    """A run of extracted text under one heading path (and on one page, for PDFs)."""

    text: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None


@dataclass(frozen=True)
class Section:
    """Where a block landed in the document's text: offsets, heading path and page."""

    start: int
    end: int
    heading_path: tuple[str, ...]
    page: int | None


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
        """Join blocks with blank lines and remember where each one went."""
        parts: list[str] = []
        sections: list[Section] = []
        pos = 0
        for block in blocks:
            text = block.text.strip()
            if not text:
                continue
            if parts:
                parts.append("\n\n")
                pos += 2
            sections.append(Section(pos, pos + len(text), block.heading_path, block.page))
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

    @property
    def section(self) -> str:
        return " › ".join(self.heading_path)

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()
