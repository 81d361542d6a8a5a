"""Turn one file into documents, choosing the parser by the file's suffix."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EmptyDocument, FileTooLarge, IngestError, MetadataError, UnsupportedFormat
from ..metadata import build_meta, is_sidecar, load_sidecar, sidecar_path
from ..models import Block, Document

# Bump when a reader's output changes, so `kb ingest` parses unchanged files again instead of skipping them.
PARSER_VERSION = 3  # 3: typed blocks (headings, list items, tables, quotes)

SUFFIXES = {
    ".html": "html", ".htm": "html",
    ".pdf": "pdf",
    ".md": "markdown", ".markdown": "markdown",
    ".txt": "text",
    ".docx": "docx",
    ".jsonl": "jsonl",
}


@dataclass
class RawDocument:
    """What a parser found before metadata layers are merged."""

    blocks: list[Block]
    meta: dict = field(default_factory=dict)
    default_id: str | None = None
    default_title: str = ""


def supported(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES and not is_sidecar(path)


def parse_file(path: Path, max_bytes: int | None = None) -> list[RawDocument]:
    """Parse a file's bytes with the parser its suffix names."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise UnsupportedFormat(str(path), f"unknown format '{path.suffix or '(no suffix)'}'; "
                                f"supported: {', '.join(sorted(SUFFIXES))}")
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            mib = 1024 * 1024  # the limit is set in these units (KB_MAX_FILE_MB), so report in them too
            raise FileTooLarge(str(path), f"file is {size / mib:.1f} MB, above the {max_bytes / mib:g} MB limit")
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(str(path), f"cannot read file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise EmptyDocument(str(path), "file is empty")
    from importlib import import_module

    module = import_module(f"{__name__}.{kind}_reader")
    return module.parse(path, data)


def to_documents(path: Path, raws: list[RawDocument], overrides: dict | None = None) -> list[Document]:
    """Merge embedded metadata, the sidecar and overrides, and assemble documents."""
    try:
        side = load_sidecar(path)
    except (ValueError, RecursionError) as exc:  # PyYAML builds dates eagerly: 'published: 2021-02-30' -> ValueError
        raise MetadataError(str(sidecar_path(path)), f"sidecar holds a value that cannot be read ({exc})") from exc
    docs = []
    for raw in raws:
        meta = build_meta(path, raw.meta, side if raw.default_id is None else _shared_only(side),
                          overrides or {}, default_id=raw.default_id, default_title=raw.default_title)
        doc = Document.from_blocks(meta, raw.blocks)
        if doc.text.strip():
            docs.append(doc)
    if not docs:
        raise EmptyDocument(str(path), "no text could be extracted (a scanned PDF without a text layer?)")
    return docs


def _shared_only(side: dict) -> dict:
    """For multi-document files (JSONL) a sidecar may set shared fields, never one id or title for all."""
    return {k: v for k, v in side.items() if k not in ("id", "title")}


def read_path(path: Path, overrides: dict | None = None, max_bytes: int | None = None) -> list[Document]:
    """Read one file in this process (the caller bounds time and memory)."""
    return to_documents(path, parse_file(path, max_bytes), overrides)
