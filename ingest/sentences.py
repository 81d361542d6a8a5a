"""Sentence spans (offsets, never copies), used by the chunker and by answer extraction."""
from __future__ import annotations

import re

_ABBREV = {"e.g", "i.e", "dr", "mr", "mrs", "ms", "vs", "etc", "approx", "fig", "no", "st", "q.d", "b.i.d", "t.i.d",
           "q.i.d", "p.o", "max", "min", "incl", "cf", "al", "ca", "vol", "p", "pp", "sr", "jr"}
_BOUNDARY = re.compile(r"[.!?]+[\"')\]]*(?=\s+[\"'(\[]?[A-Z0-9•\-])|\n+")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split text[start:end] into sentence spans at terminal punctuation and line breaks."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cur = start
    for m in _BOUNDARY.finditer(text, start, end):
        if m.group(0)[0] != "\n":
            word = re.search(r"([A-Za-z.]+)$", text[cur:m.start()])
            if word and word.group(1).lower().rstrip(".") in _ABBREV:
                continue
            if m.start() > 0 and text[m.start() - 1].isdigit() and m.end() < end and text[m.end():m.end() + 2].strip()[:1].isdigit():
                continue  # a decimal or a numbered list marker, not a sentence end
        cut = m.end() if m.group(0)[0] != "\n" else m.start()
        _add(text, spans, cur, cut)
        cur = m.end()
    _add(text, spans, cur, end)
    return spans


def _add(text: str, spans: list[tuple[int, int]], s: int, e: int) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        spans.append((s, e))
