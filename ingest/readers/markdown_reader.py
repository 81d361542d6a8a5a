"""Markdown with YAML front matter, parsed by markdown-it-py (CommonMark + tables) into typed blocks.

Raw HTML is off: `<` and `>` are text ("<90 MME", ">30% improvement"), never tags to strip. Inline markup
(emphasis, code ticks, links, images) keeps its words and loses its syntax.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import MetadataError
from ..metadata import split_front_matter
from . import RawDocument
from .sections import BlockBuilder
from .textutil import decode

_PARSER = None


def _parser():
    """One CommonMark parser per process, built on first use (nothing is imported at import time)."""
    global _PARSER
    if _PARSER is None:
        from markdown_it import MarkdownIt

        _PARSER = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    return _PARSER


def inline_text(token) -> str:
    """The words of an inline token: text, code and image alt text; line breaks become spaces."""
    out: list[str] = []
    stack = list(reversed(token.children or []))
    while stack:
        child = stack.pop()
        if child.type in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            stack.extend(reversed(child.children or []))
    return " ".join("".join(out).split())


def to_blocks(body: str) -> tuple[list, str]:
    """Blocks of a Markdown body and its title (the first level-1 heading)."""
    tokens = _parser().parse(body)
    bb = BlockBuilder()
    title = ""
    lists: list[list] = []      # per open list: [ordered, next number]
    item: dict | None = None    # the list item whose text is being collected
    quote = 0
    table: list[list[str]] | None = None
    row: list[str] | None = None
    heading_level = 0

    def emit_item() -> None:
        nonlocal item
        if item is not None and (item["text"] or item["number"] is not None):
            bb.item(" ".join(item["text"]), item["depth"], item["number"])
        item = None

    for tok in tokens:
        kind = tok.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            emit_item()
            start = int(tok.attrs.get("start", 1)) if kind == "ordered_list_open" else 1
            lists.append([kind == "ordered_list_open", start])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            emit_item()
            lists.pop()
        elif kind == "list_item_open":
            emit_item()
            ordered, number = lists[-1]
            if ordered:
                number = int(tok.info) if tok.info.isdigit() else number
                lists[-1][1] = number + 1
            item = {"depth": len(lists) - 1, "number": number if ordered else None, "text": []}
        elif kind == "list_item_close":
            emit_item()
        elif kind == "heading_open":
            emit_item()
            heading_level = int(tok.tag[1:])
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind == "table_open":
            emit_item()
            table = []
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and table is not None and row is not None:
            table.append(row)
            row = None
        elif kind == "table_close" and table is not None:
            bb.table(table)
            table = None
        elif kind in ("fence", "code_block"):
            text = tok.content
            if item is not None:
                item["text"].append(" ".join(text.split()))
            else:
                bb.para(text, kind="code")
        elif kind == "inline":
            text = inline_text(tok)
            if heading_level:
                bb.heading(heading_level, text)
                if heading_level == 1 and not title:
                    title = " ".join(text.split())
                heading_level = 0
            elif row is not None:
                row.append(text)
            elif item is not None:
                item["text"].append(text)
            else:
                bb.para(text, kind="quote" if quote else "paragraph")
    emit_item()
    return bb.finish(), title


def parse(path: Path, data: bytes) -> list[RawDocument]:
    text = decode(str(path), data)
    try:
        meta, body, _ = split_front_matter(text)
    except MetadataError as exc:
        raise MetadataError(str(path), exc.reason) from exc
    except (ValueError, RecursionError) as exc:  # PyYAML builds dates eagerly: 'published: 2021-02-30' -> ValueError
        raise MetadataError(str(path), f"front matter holds a value that cannot be read ({exc})") from exc
    blocks, title = to_blocks(body)
    return [RawDocument(blocks, meta=meta, default_title=title)]
