"""Rule-based privacy screen for extracted document text: the public ``screen_text`` and ``redact``.

Finds personal identifiers (health card numbers, SINs, phone numbers, emails,
street addresses, postal codes, full dates, record numbers, person names and
ages over 89) with regular expressions, checksums and small word lists.  It is
tuned to stay quiet on clinical text: doses, lab values, scores, eponyms, drug
brands, guideline years and month-year dates.

The work is split by step: ``rules.py`` (pattern tables), ``detectors.py`` (one
detector per kind, in one table), ``resolve.py`` (URLs, allowlist, overlaps,
masking) and ``names.py`` (person names).  This module ties them together.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from .config import ScreenConfig, default_config
from .detectors import candidates
from .normalize import fold_for_screen
from .resolve import Allowlist, drop_allowed, drop_in_urls, keep_best, mask


@dataclass(frozen=True)
class Finding:
    """One identifier found: where it is and a masked excerpt that never repeats it."""

    kind: str
    start: int
    end: int
    line: int
    masked: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "start": self.start, "end": self.end, "line": self.line, "masked": self.masked}


@dataclass
class ScreenReport:
    """What the screen found in one text; ``clean`` decides between indexing and quarantine."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict:
        return {
            "verdict": "clean" if self.clean else "blocked",
            "findings": [f.to_dict() for f in self.findings],
        }

    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.kind] = out.get(f.kind, 0) + 1
        return out


def screen_text(text: str, *, allowlist: Allowlist | None = None, config: ScreenConfig | None = None) -> ScreenReport:
    """Screen ``text`` for personal identifiers; returns a report of masked findings.

    Detection runs on a same-length ASCII-folded copy (Unicode spaces, dashes, digits),
    so offsets point into ``text`` as given.
    """
    if not isinstance(text, str):
        raise TypeError("screen_text expects str")
    if not text:
        return ScreenReport([])
    config = config or default_config()
    original, text = text, fold_for_screen(text)
    kept = keep_best(drop_allowed(text, drop_in_urls(text, candidates(text, config)), allowlist))
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    findings = [
        Finding(
            kind=c.kind,
            start=c.start,
            end=c.end,
            line=bisect.bisect_left(newlines, c.start) + 1,
            masked=mask(c.kind, original[c.start:c.end]),
        )
        for c in kept
    ]
    return ScreenReport(findings)


def redact(text: str, report: ScreenReport) -> str:
    """Replace each finding span with ``[KIND]``."""
    parts = []
    pos = 0
    for f in sorted(report.findings, key=lambda f: f.start):
        if f.start < pos:
            continue  # defensive: overlapping findings
        parts.append(text[pos:f.start])
        parts.append(f"[{f.kind}]")
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)
