"""Plain text: setext-underlined lines (=== or ---) are headings; blank lines separate paragraphs."""
from __future__ import annotations

import re
from pathlib import Path

from . import RawDocument
from .sections import SectionBuilder, join_wrapped
from .textutil import decode


def parse(path: Path, data: bytes) -> list[RawDocument]:
    text = decode(str(path), data)
    lines = text.split("\n")
    sb = SectionBuilder()
    para: list[str] = []
    title = ""

    def end_para() -> None:
        if para:
            sb.para(join_wrapped(para))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if line.strip() and re.fullmatch(r"(=+|-+)", nxt) and len(nxt) >= 3:
            end_para()
            level = 1 if nxt.startswith("=") else 2
            sb.heading(level, line)
            title = title or (line.strip() if level == 1 else "")
            i += 2
            continue
        if not line.strip():
            end_para()
        else:
            para.append(line.strip())
        i += 1
    end_para()
    return [RawDocument(sb.finish(), default_title=title)]
