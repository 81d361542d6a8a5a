"""Unicode folding applied before screening, keeping every character offset unchanged.

Word processors write identifiers with non-breaking or thin spaces, Unicode dashes
and full-width digits ("416 555‑0123", "１２３４"), which the ASCII patterns would
miss.  Each such character is replaced by one ASCII character, so a finding's
offsets still point into the original text.
"""
from __future__ import annotations

import functools
import unicodedata

_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u00ad"
_APOSTROPHES = "\u2019\u02bc\uff07"


@functools.lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    table: dict[int, str] = {ord(c): " " for c in _SPACES}
    table.update({ord(c): "-" for c in _DASHES})
    table.update({ord(c): "'" for c in _APOSTROPHES})
    # full-width ASCII forms (digits, letters, punctuation) U+FF01..U+FF5E
    for cp in range(0xFF01, 0xFF5F):
        folded = unicodedata.normalize("NFKC", chr(cp))
        if len(folded) == 1:
            table.setdefault(cp, folded)
    # other decimal digits (Arabic-Indic, Devanagari, ...) to ASCII digits
    for cp in range(0x0660, 0x1100):
        ch = chr(cp)
        if unicodedata.category(ch) == "Nd":
            table[cp] = str(unicodedata.digit(ch))
    table[ord("\u200b")] = " "  # zero-width space: keep the length, treat as a space
    table[ord("\u2060")] = " "
    table[ord("\ufeff")] = " "
    return table


def fold_for_screen(text: str) -> str:
    """Same-length copy of ``text`` with Unicode spaces, dashes, apostrophes and digits made ASCII."""
    if text.isascii():
        return text
    return text.translate(_table())
