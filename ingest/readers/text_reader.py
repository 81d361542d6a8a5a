"""Plain text: setext-underlined lines (=== or ---) are headings; blank lines separate paragraphs; lines that
start with a bullet or a number are list items (indentation nests them); runs of '|' rows are tables."""
from __future__ import annotations

import re
from pathlib import Path

from . import RawDocument
from .sections import BlockBuilder, plain_lines_to_blocks
from .textutil import decode

_UNDERLINE = re.compile(r"(=+|-+)")


def parse(path: Path, data: bytes) -> list[RawDocument]:
    text = decode(str(path), data)
    lines = text.split("\n")
    bb = BlockBuilder()
    para: list[str] = []
    title = ""

    def end_para() -> None:
        if para:
            plain_lines_to_blocks(bb, para)
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if line.strip() and len(nxt) >= 3 and _UNDERLINE.fullmatch(nxt):
            end_para()
            level = 1 if nxt.startswith("=") else 2
            bb.heading(level, line)
            title = title or (line.strip() if level == 1 else "")
            i += 2
            continue
        if not line.strip():
            end_para()
        else:
            para.append(line)
        i += 1
    end_para()
    return [RawDocument(bb.finish(), default_title=title)]
