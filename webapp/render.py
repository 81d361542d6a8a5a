"""Pure helpers that turn untrusted document text into (segment, is_marked) pairs; templates escape each one."""
from __future__ import annotations

import re
from datetime import date

REVIEW_YEARS = 5
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def segments(text: str, spans: list[list[int]] | list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """Split text into alternating plain/marked pieces; overlapping, unsorted or out-of-range spans are tolerated."""
    n = len(text)
    clean: list[tuple[int, int]] = []
    for span in spans or []:
        try:
            s, e = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError):
            continue
        s, e = max(0, min(s, n)), max(0, min(e, n))
        if e > s:
            clean.append((s, e))
    clean.sort()
    merged: list[list[int]] = []
    for s, e in clean:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out: list[tuple[str, bool]] = []
    pos = 0
    for s, e in merged:
        if s > pos:
            out.append((text[pos:s], False))
        out.append((text[s:e], True))
        pos = e
    if pos < n:
        out.append((text[pos:], False))
    return out


def passage_split(text: str, start: int | None, end: int | None) -> tuple[str, str, str] | None:
    """(before, passage, after) for the document view, or None when the offsets do not fit the text."""
    if start is None or end is None or not (0 <= start < end <= len(text)):
        return None
    return text[:start], text[start:end], text[end:]


def parse_date(value: str) -> date | None:
    """YYYY-MM-DD or None; metadata dates are strings that may be empty."""
    if not value or not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def review_status(published: str, reviewed: str, today: date | None = None) -> dict:
    """Flag content whose last review (or, lacking one, publication) is over five years before today."""
    today = today or date.today()
    last = parse_date(reviewed) or parse_date(published)
    if last is None:
        return {"stale": True, "label": "Review date unknown"}
    try:
        limit = last.replace(year=last.year + REVIEW_YEARS)
    except ValueError:  # 29 February
        limit = last.replace(year=last.year + REVIEW_YEARS, day=28)
    if today > limit:
        return {"stale": True, "label": f"Not reviewed for over {REVIEW_YEARS} years (last {last.isoformat()})"}
    return {"stale": False, "label": ""}


DOC_TYPE_LABELS = {"guideline": "Guideline", "echo-case": "ECHO case", "other": "Other"}


def doc_type_label(value: str) -> str:
    """Human label for the badge."""
    return DOC_TYPE_LABELS.get(value, value or "Unknown")
