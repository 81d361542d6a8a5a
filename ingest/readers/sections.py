"""Turn a flat stream of headings and paragraphs into blocks with heading paths."""
from __future__ import annotations

from ..models import Block


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
