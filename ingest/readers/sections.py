"""Turn a flat stream of headings and paragraphs into blocks with heading paths."""
from __future__ import annotations

import re

from ..models import Block

_LINE_START = re.compile(r"^\s*([-*+•▪◦]\s|\d{1,3}[.)]\s|[A-Za-z][.)]\s|\|)")


def join_wrapped(lines: list[str]) -> str:
    """Join the lines of one paragraph: a soft wrap becomes a space; a list item or table row keeps its break."""
    out: list[str] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if out and not _LINE_START.match(line) and not out[-1].startswith("|") and "|" not in line[:1]:
            out[-1] = out[-1] + " " + line
        else:
            out.append(line)
    return "\n".join(out)


class SectionBuilder:
    """Collects paragraphs under the current heading path; a heading starts a new block."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._path: list[tuple[int, str]] = []
        self._paras: list[str] = []
        self._page: int | None = None

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(t for _, t in self._path)

    def heading(self, level: int, text: str, page: int | None = None) -> None:
        text = " ".join(text.split())
        if not text:
            return
        self.flush()
        while self._path and self._path[-1][0] >= level:
            self._path.pop()
        self._path.append((level, text))
        self._paras.append(text)  # headings stay in the text, where readers and ranking both see them
        self._page = page

    def para(self, text: str, page: int | None = None) -> None:
        text = text.strip()
        if not text:
            return
        if page != self._page and self._paras:
            self.flush(keep_heading=False)
        self._page = page
        self._paras.append(text)

    def flush(self, keep_heading: bool = False) -> None:
        if self._paras:
            self.blocks.append(Block("\n".join(self._paras), self.path, self._page))
        self._paras = []

    def finish(self) -> list[Block]:
        self.flush()
        return self.blocks
