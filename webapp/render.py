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


def topic_label(slug: str) -> str:
    """A tag as people write it: "low-back-pain" -> "Low back pain", short abbreviations in capitals ("OUD")."""
    words = [w for w in (slug or "").replace("_", "-").split("-") if w]
    if not words:
        return slug or ""
    # short words and words without a vowel read as abbreviations: OUD, MME, CRPS
    words = [w.upper() if len(w) <= 3 and len(words) == 1 or not re.search(r"[aeiouy]", w, re.I) else w
             for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def local_time(value: object) -> str:
    """A stored timestamp (epoch seconds or ISO 8601, usually UTC) in this server's local time, to the minute."""
    from datetime import datetime, timezone

    if value in (None, ""):
        return ""
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value)):
            moment = datetime.fromtimestamp(float(value), tz=timezone.utc)
        else:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return str(value)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def version_label(generation: str) -> str:
    """"g000007" -> "version 7": curators think in versions of the knowledge base, not directory names."""
    digits = (generation or "").lstrip("g").lstrip("0")
    return f"version {digits or '0'}" if (generation or "").startswith("g") and digits.isdigit() else generation
