"""Decoding and whitespace helpers shared by the text-based parsers."""
from __future__ import annotations

import re

from ..errors import CorruptDocument


def _utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le'/'-be' when NULs sit only at odd/even offsets (BOM-less UTF-16, e.g. from Windows tools)."""
    sample = sample[: len(sample) // 2 * 2]
    nul_even, nul_odd = sample[0::2].count(0), sample[1::2].count(0)
    if nul_odd and not nul_even:
        return "utf-16-le"
    if nul_even and not nul_odd:
        return "utf-16-be"
    return None


def _refuse_binary(path: str, text: str) -> str:
    """Whatever codec produced it, text full of control characters is a binary file with a text name."""
    sample = text[:20000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.02 * max(1, len(sample)):
        raise CorruptDocument(path, "file looks binary, not text; check its extension")
    return text.replace("\r\n", "\n")


def decode(path: str, data: bytes) -> str:
    """Decode bytes as UTF-8, else by detection; binary content is refused, not guessed at."""
    boms = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
    codec = next((enc for mark, enc in boms if data.startswith(mark)), None)
    if codec is None and b"\x00" in data[:8192]:
        codec = _utf16_without_bom(data[:8192])
        if codec is None:
            raise CorruptDocument(path, "file looks binary (NUL bytes), not text; check its extension")
    if codec is not None:
        try:
            return _refuse_binary(path, data.decode(codec, errors="strict"))
        except UnicodeDecodeError:  # a BOM (or NUL pattern) in front of bytes that are not that encoding
            raise CorruptDocument(path, f"file is not valid {codec.upper()} text; save it as UTF-8") from None
    try:
        return _refuse_binary(path, data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is None:
        raise CorruptDocument(path, "cannot determine the text encoding; save the file as UTF-8")
    return _refuse_binary(path, data.decode(best.encoding, errors="replace"))


def squash(text: str) -> str:
    """Collapse runs of spaces inside a line; keep line breaks."""
    return "\n".join(re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()).strip()
