"""Detectors of the privacy screen: one small function per kind of identifier, registered in ``DETECTORS``.

Each detector reads the (folded) text and yields raw ``Candidate`` spans with a priority; it
decides what a pattern match means (checksums, nearby context, exemptions such as
publication dates) but not which of two overlapping candidates wins: that is ``resolve.py``.
The patterns themselves live in ``rules.py``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from . import names
from .config import ScreenConfig
from .rules import (
    ADDRESS_FRENCH_RE,
    ADDRESS_LABEL_RE,
    ADDRESS_NAME_STOP,
    ADDRESS_RE,
    ADDRESS_RURAL_RE,
    ADDRESS_TYPE_AMBIGUOUS,
    ADDRESS_TYPE_WEAK,
    AGE_PATTERNS,
    DATE_CITATION_RE,
    DATE_EXEMPT_RE,
    DATE_PATTERNS,
    DOB_CONTEXT_RE,
    DOB_KEYWORD_RE,
    DOB_VALUE_RE,
    EMAIL_RE,
    HCN_CONTEXT_RE,
    HCN_MIXED_RE,
    HCN_RE,
    MRN_RE,
    PHONE_CONTEXT_RE,
    PHONE_PLAIN_RE,
    PHONE_RE,
    POBOX_RE,
    POSTAL_RE,
    SIN_CONTEXT_CS_RE,
    SIN_RE,
)

KINDS = (
    "HEALTH_CARD",
    "SIN",
    "PHONE",
    "EMAIL",
    "ADDRESS",
    "POSTAL_CODE",
    "DATE",
    "MRN",
    "NAME",
    "AGE",
)


@dataclass
class Candidate:
    """A span a detector proposes; the higher priority wins an overlap."""

    kind: str
    start: int
    end: int
    priority: int


Detector = Callable[[str, ScreenConfig], Iterator[Candidate]]


def luhn_valid(digits: str) -> bool:
    """Standard Luhn (mod 10) check over a string of digits (last digit = check digit)."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def ohip_valid(digits: str) -> bool:
    """Ontario health number: 10 digits, the 10th is the Luhn check digit of the first 9."""
    return len(digits) == 10 and luhn_valid(digits)


def sin_valid(digits: str) -> bool:
    """Social insurance number: 9 digits, Luhn-valid, not a temporary (0) or unused (8) series, not one repeated digit."""
    return len(digits) == 9 and digits[0] not in "08" and luhn_valid(digits) and len(set(digits)) > 1


def _near(text: str, start: int, end: int, pattern: re.Pattern, before: int = 45, after: int = 25) -> bool:
    """``pattern`` occurs shortly before the span, or shortly after it on the same line."""
    lo = max(0, start - before)
    hi = min(len(text), end + after)
    following = text[end:hi].partition("\n")[0]  # look ahead on the same line only
    return bool(pattern.search(text[lo:start]) or pattern.search(following))


def _matches(kind: str, text: str, patterns: Iterable[tuple[re.Pattern, int | str, int]]) -> Iterator[Candidate]:
    """Every match of each (pattern, group, priority), taken as it stands."""
    for rx, group, priority in patterns:
        for m in rx.finditer(text):
            yield Candidate(kind, m.start(group), m.end(group), priority)


def _health_cards(text: str, config: ScreenConfig) -> Iterator[Candidate]:
    for rx in (HCN_RE, HCN_MIXED_RE):
        for m in rx.finditer(text):
            raw = m.group(0)
            digits = re.sub(r"\D", "", raw)
            if len(digits) != 10:
                continue
            ctx = _near(text, m.start(), m.end(), HCN_CONTEXT_RE, before=50, after=30)
            has_version = bool(re.search(r"[A-Z]$", raw))
            if ohip_valid(digits) or ctx:
                # a formatted North-American phone (3-3-4) never matches 4-3-3, but a plain
                # 10-digit run could be either: phone context wins unless it validates.
                if not ctx and not has_version and _near(text, m.start(), m.end(), PHONE_CONTEXT_RE, 30, 0):
                    continue
                yield Candidate("HEALTH_CARD", m.start(), m.end(), 9 if ctx else 8)


def _sins(text: str, config: ScreenConfig) -> Iterator[Candidate]:
    for m in SIN_RE.finditer(text):
        digits = m.group(1) + m.group(3) + m.group(4)
        if _near(text, m.start(), m.end(), SIN_CONTEXT_CS_RE, before=45, after=20):
            yield Candidate("SIN", m.start(), m.end(), 9)
        elif (
            sin_valid(digits)
            and m.group(4) != "000"
            and not re.match(r"\s*(?:\$|dollars|people|patients|Canadians|persons)", text[m.end():m.end() + 12])
            and text[max(0, m.start() - 1):m.start()] != "$"
        ):
            yield Candidate("SIN", m.start(), m.end(), 6)


def _nanp_ok(area: str, exchange: str) -> bool:
    return area[0] in "23456789" and exchange[0] in "23456789" and not (area[1:] == "11")


def _phones(text: str, config: ScreenConfig) -> Iterator[Candidate]:
    for m in PHONE_RE.finditer(text):
        area = m.group("a1") or m.group("a2")
        if not _nanp_ok(area, m.group("ex")):
            continue
        num = m.group("num")
        # "10-15 mg"-style ranges cannot match (3-3-4 digits); reject obvious
        # numeric lists such as "120 150 1800" by requiring the area-code form.
        end = m.end()
        ctx = _near(text, m.start(), end, PHONE_CONTEXT_RE, 30, 0)
        if m.group("sep") == " " and not num.startswith(("+", "1")) and not ctx:
            # "416 555 0123" with spaces only: still a phone in contact blocks; require
            # no unit right after (e.g. "200 300 1000 mg").
            if re.match(r"\s*(?:mg|mcg|ml|mL|units?|%|mmol|umol|µmol)", text[end:end + 8]):
                continue
            if area.endswith("0") and m.group("ex").endswith("0"):
                continue  # "250 500 1000": a row of round numbers, not a phone
        yield Candidate("PHONE", m.start(), end, 8 if ctx else 7)
    for m in PHONE_PLAIN_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) == 11:
            if digits[0] != "1":
                continue
            digits = digits[1:]
        if not _nanp_ok(digits[:3], digits[3:6]):
            continue
        ctx = _near(text, m.start(), m.end(), PHONE_CONTEXT_RE, 30, 0)
        yield Candidate("PHONE", m.start(), m.end(), 8 if ctx else 5)


def _emails(text: str, config: ScreenConfig) -> Iterator[Candidate]:
    return _matches("EMAIL", text, [(EMAIL_RE, 0, 10)])


def _postal_codes(text: str, config: ScreenConfig) -> Iterator[Candidate]:
    for m in POSTAL_RE.finditer(text):
        if m.group(2) != "-":
            yield Candidate("POSTAL_CODE", m.start(), m.end(), 7)


def _valid_dmy(a: int, b: int) -> bool:
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


def _dates(text: str, config: ScreenConfig) -> Iterator[Candidate]:
    for idx, rx in enumerate(DATE_PATTERNS):
        for m in rx.finditer(text):
            if idx == 1:
                a, b = (int(x) for x in re.split(r"[-/.]", m.group(0))[:2])
                if not _valid_dmy(a, b):
                    continue
            before = text[max(0, m.start() - 45):m.start()]
            line_before = text[max(0, m.start() - 200):m.start()].rpartition("\n")[2]
            if (DATE_EXEMPT_RE.search(before) or DATE_CITATION_RE.search(line_before)) and not DOB_CONTEXT_RE.search(before[-25:]):
                continue  # a publication, review or citation date
            yield Candidate("DATE", m.start(), m.end(), 6)
    # partial dates of birth: "DOB: March 1931", "born 1929", "DOB 03/1931"
    for m in DOB_KEYWORD_RE.finditer(text):
        v = DOB_VALUE_RE.match(text, m.end())
        if v:
            s = v.start() + (len(v.group(0)) - len(v.group(0).lstrip(" \t:#-")))
            yield Candidate("DATE", s, v.end(), 5)


def _mrns(text: str, config: ScreenConfig) -> Iterator[Candidate]:
    for m in MRN_RE.finditer(text):
        ident = m.group("id")
        kw = text[m.start():m.start("id")]
        # bare "chart"/"record"/"dossier" need an explicit separator (chart: 12345, chart #12345)
        if re.fullmatch(r"(?i)(?:chart|dossier)[ \t]*", kw):
            continue
        if re.fullmatch(r"\d{1,2}", ident) or re.fullmatch(r"(?:19|20)\d{2}", ident):
            continue
        if sum(c.isdigit() for c in ident) < 3 and len(ident) < 5:
            continue
        yield Candidate("MRN", m.start("id"), m.end("id"), 10)
    for pat in config.mrn_patterns:  # the site's own patterns
        for m in pat.finditer(text):
            if "id" in pat.groupindex and m.group("id") is not None:
                s, e = m.span("id")
            else:
                s, e = m.span()
            if e > s:
                yield Candidate("MRN", s, e, 9)


def _street_addresses(text: str) -> Iterator[Candidate]:
    for m in ADDRESS_RE.finditer(text):
        words = m.group("name").split()
        if any(w.lower().rstrip(".") in ADDRESS_NAME_STOP for w in words) and len(words) == 1:
            continue
        if words and words[0].lower() in ADDRESS_NAME_STOP:
            continue
        typ = m.group("type").rstrip(".").lower()
        # "2017 Canadian Guideline" and friends: a year-like number needs a clear street type
        if re.fullmatch(r"(?:19|20)\d{2}", m.group("num")) and typ in ADDRESS_TYPE_AMBIGUOUS:
            continue
        if typ in ADDRESS_TYPE_WEAK and not m.group("unit") and not m.group("unit2"):
            # weak street types need a following comma/city/postal code or line end
            tail = text[m.end():m.end() + 40]
            if not re.match(r"[ \t]*(?:,|\n|$|[ \t]+(?:North|South|East|West|Unit|Suite|Apt))", tail) and not POSTAL_RE.search(tail):
                continue
        yield Candidate("ADDRESS", m.start(), m.end(), 7)


def _addresses(text: str, config: ScreenConfig) -> Iterator[Candidate]:
    yield from _street_addresses(text)
    yield from _matches("ADDRESS", text, [
        (ADDRESS_FRENCH_RE, 0, 7),
        (ADDRESS_LABEL_RE, "v", 8),
        (ADDRESS_RURAL_RE, 0, 7),
        (POBOX_RE, 0, 6),
    ])


def _ages(text: str, config: ScreenConfig) -> Iterator[Candidate]:
    return _matches("AGE", text, [(rx, 0, 6) for rx in AGE_PATTERNS])


def _names(text: str, config: ScreenConfig) -> Iterator[Candidate]:
    for start, end, priority in names.find_names(text, config.first_names, use_model=config.use_model):
        yield Candidate("NAME", start, end, priority)


# The one table of detectors, in the order they run (the order breaks exact ties in resolution).
DETECTORS: dict[str, Detector] = {
    "EMAIL": _emails,
    "HEALTH_CARD": _health_cards,
    "SIN": _sins,
    "PHONE": _phones,
    "POSTAL_CODE": _postal_codes,
    "DATE": _dates,
    "MRN": _mrns,
    "ADDRESS": _addresses,
    "AGE": _ages,
    "NAME": _names,
}


def candidates(text: str, config: ScreenConfig) -> list[Candidate]:
    """Every candidate span of every kind the configuration leaves enabled."""
    return [c for kind, detect in DETECTORS.items() if kind not in config.disabled_kinds for c in detect(text, config)]
