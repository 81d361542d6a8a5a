"""Turn a reader's stream of headings, paragraphs, list items, tables and quotes into typed blocks."""
from __future__ import annotations

import re

from ..models import Block

_LINE_START = re.compile(r"^\s*([-*+•▪◦]\s|\d{1,3}[.)]\s|[A-Za-z][.)]\s|\|)")
_ITEM = re.compile(r"^\s*(?:([-*+•▪◦])|(\d{1,9})[.)])\s+(?=\S)")


def join_wrapped(lines: list[str]) -> str:
    """Join the lines of one paragraph: a soft wrap becomes a space; a list item or table row keeps its break.

    Linear in the input: lines are collected and joined once, never appended to a growing string.
    """
    out: list[list[str]] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if out and not _LINE_START.match(line) and not out[-1][0].startswith("|") and "|" not in line[:1]:
            out[-1].append(line)
        else:
            out.append([line])
    return "\n".join(" ".join(parts) for parts in out)


def item_marker(line: str) -> tuple[int | None, int] | None:
    """(number or None for a bullet, length of the marker) when a line starts a list item, else None."""
    m = _ITEM.match(line)
    if not m:
        return None
    return (int(m.group(2)) if m.group(2) else None), m.end()


class BlockBuilder:
    """Collects typed blocks, tracking the heading path each one sits under; one pass, linear in the input."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._path: list[tuple[int, str]] = []

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(t for _, t in self._path)

    def heading(self, level: int, text: str, page: int | None = None) -> None:
        text = " ".join(text.split())
        if not text:
            return
        while self._path and self._path[-1][0] >= level:
            self._path.pop()
        self._path.append((level, text))
        # headings stay in the text, where readers and ranking both see them
        self.blocks.append(Block(text, self.path, page, "heading", level=level))

    def para(self, text: str, page: int | None = None, kind: str = "paragraph") -> None:
        text = text.strip() if kind != "code" else text.strip("\n").rstrip()
        if text.strip():
            self.blocks.append(Block(text, self.path, page, kind))

    def item(self, text: str, depth: int = 0, number: int | None = None, page: int | None = None) -> None:
        text = text.strip()
        if text or number is not None:
            self.blocks.append(Block.item(text, depth, number, self.path, page))

    def table(self, rows, page: int | None = None, header: bool = True) -> None:
        block = Block.table(rows, self.path, page, header)
        if block.rows:
            self.blocks.append(block)

    def finish(self) -> list[Block]:
        return self.blocks


_SEPARATOR = re.compile(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*")


def _pipe_row(line: str) -> list[str] | None:
    """Cells of a '| a | b |' line (outer pipes optional, at least one inner pipe), else None."""
    stripped = line.strip()
    if "|" not in stripped.strip("|"):
        return None
    if stripped.startswith("|"):
        stripped = stripped[1:]
    if stripped.endswith("|"):
        stripped = stripped[:-1]
    return [c.strip() for c in stripped.split("|")]


def plain_lines_to_blocks(bb: BlockBuilder, lines: list[str], page: int | None = None) -> None:
    """One paragraph's raw lines as blocks: a run of pipe rows is a table; a line starting with a bullet or a
    number starts a list item (its indentation gives the nesting); other lines join the line before."""
    rows = [_pipe_row(line) for line in lines if line.strip()]
    if len(rows) >= 2 and all(r is not None for r in rows):
        cells = [r for line, r in zip([x for x in lines if x.strip()], rows) if not _SEPARATOR.fullmatch(line)]
        bb.table(cells, page, header=any(_SEPARATOR.fullmatch(x) for x in lines))
        return
    para: list[str] = []
    item: tuple[int | None, int, list[str]] | None = None
    indents: list[int] = []

    def flush() -> None:
        nonlocal item
        if item is not None:
            bb.item(" ".join(item[2]), item[1], item[0], page)
            item = None
        if para:
            bb.para(" ".join(para), page)
            para.clear()

    for raw in lines:
        line = raw.strip()
        if not line:
            flush()
            continue
        marker = item_marker(line)
        if marker is not None:
            flush()
            indent = len(raw) - len(raw.lstrip())
            while indents and indents[-1] > indent:
                indents.pop()
            if not indents or indents[-1] < indent:
                indents.append(indent)
            item = (marker[0], len(indents) - 1, [line[marker[1]:]])
        elif item is not None:
            item[2].append(line)
        else:
            para.append(line)
    flush()
