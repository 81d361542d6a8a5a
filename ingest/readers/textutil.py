"""Decoding and whitespace helpers shared by the text-based parsers."""
from __future__ import annotations

import re

from ..errors import CorruptDocument


def decode(path: str, data: bytes) -> str:
    """Decode bytes as UTF-8, else by detection; binary content is refused, not guessed at."""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CorruptDocument(path, "file looks binary (NUL bytes), not text; check its extension")
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="strict").replace("\r\n", "\n")
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is None:
        raise CorruptDocument(path, "cannot determine the text encoding; save the file as UTF-8")
    text = data.decode(best.encoding, errors="replace")
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.02 * max(1, min(len(text), 20000)):
        raise CorruptDocument(path, "file looks binary, not text; check its extension")
    return text.replace("\r\n", "\n")


def squash(text: str) -> str:
    """Collapse runs of spaces inside a line; keep line breaks."""
    return "\n".join(re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()).strip()
