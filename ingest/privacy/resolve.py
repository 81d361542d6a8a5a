"""Resolution of the privacy screen: from raw candidates to the findings a curator sees.

Drops numbers inside URLs and DOIs, drops what the curator's allowlist covers, keeps the
best of overlapping candidates, and masks what is kept so no report repeats an identifier.
"""
from __future__ import annotations

import bisect
import re
from pathlib import Path
from typing import Iterable

from .config import read_lines
from .detectors import Candidate
from .rules import URL_RE


class Allowlist:
    """Curator-maintained exact strings that are not findings.

    A finding is dropped when its span lies inside an occurrence of an entry in
    the text (case-insensitive, whitespace-tolerant), or when it is a phone
    number / postal code / email equal to an entry after normalisation (so
    "(416) 555-0100" is covered by an entry "416-555-0100").
    """

    def __init__(self, entries: Iterable[str] = ()):
        cleaned = []
        for e in entries:
            e = " ".join(str(e).split())
            if e:
                cleaned.append(e)
        self.entries: tuple[str, ...] = tuple(dict.fromkeys(cleaned))
        self._patterns = [
            re.compile(r"\s+".join(re.escape(part) for part in e.split(" ")), re.IGNORECASE) for e in self.entries
        ]
        self._digits = {d for d in (re.sub(r"\D", "", e) for e in self.entries) if len(d) >= 7}
        self._compact = {re.sub(r"\s", "", e).upper() for e in self.entries}

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"Allowlist({len(self.entries)} entries)"

    @classmethod
    def load(cls, path: Path | None) -> "Allowlist":
        """Load a plain-text or YAML list: one entry per line.

        '#' lines are comments; a leading YAML list marker '- ' and surrounding
        quotes are stripped; a bare YAML key line ("allowlist:") is ignored.
        A missing file (or None) gives an empty allowlist.
        """
        if path is None:
            return cls()
        path = Path(path)
        if not path.is_file():
            return cls()
        entries = []
        for raw in read_lines(path):
            line = raw.strip()
            if not line or line.startswith("#") or line == "---":
                continue
            if line.startswith("- "):
                line = line[2:].strip()
            elif re.fullmatch(r"[A-Za-z_][\w-]*:\s*(\[\s*\])?", line):
                continue  # YAML mapping key such as "allowlist:"
            if len(line) >= 2 and line[0] == line[-1] and line[0] in "'\"":
                line = line[1:-1]
            if line:
                entries.append(line)
        return cls(entries)

    def allowed_ranges(self, text: str) -> list[tuple[int, int]]:
        ranges = []
        for pat in self._patterns:
            ranges.extend(m.span() for m in pat.finditer(text))
        return ranges

    def covers(self, kind: str, raw: str) -> bool:
        if kind in ("PHONE", "HEALTH_CARD", "SIN", "MRN"):
            d = re.sub(r"\D", "", raw)
            if d in self._digits or (len(d) == 11 and d.startswith("1") and d[1:] in self._digits):
                return True
        return re.sub(r"\s", "", raw).upper() in self._compact


def mask(kind: str, raw: str) -> str:
    """Masked excerpt that never reproduces the identifier."""
    if kind == "EMAIL" and "@" in raw:
        local, _, domain = raw.partition("@")
        dparts = domain.split(".")
        masked_domain = ".".join(["*" * len(p) for p in dparts[:-1]] + [dparts[-1]])
        out = (local[:1] + "*" * (len(local) - 1)) + "@" + masked_domain
    elif kind == "NAME":
        out = re.sub(r"([^\W\d_])([^\W\d_'’]*)", lambda m: m.group(1) + "*" * len(m.group(2)), raw)
    elif kind in ("HEALTH_CARD", "SIN", "PHONE", "MRN"):
        n = sum(c.isalnum() for c in raw)
        head, tail = (2, 1) if n >= 9 else (1, 1) if n >= 6 else (0, 0)
        out_chars, seen = [], 0
        for c in raw:
            if c.isalnum():
                seen += 1
                out_chars.append(c if seen <= head or seen > n - tail else "*")
            else:
                out_chars.append(c)
        out = "".join(out_chars)
    else:
        out = re.sub(
            r"[^\W_]+",
            lambda m: (m.group()[0] + "*" * (len(m.group()) - 2) + m.group()[-1]) if len(m.group()) >= 4 else "*" * len(m.group()),
            raw,
        )
    if out == raw or ("*" not in out and raw.strip()):
        out = "*" * len(raw)
    return " ".join(out.split()) if "\n" in out else out



def drop_in_urls(text: str, cands: list[Candidate]) -> list[Candidate]:
    """Numbers inside URLs and DOIs are not identifiers (an email inside one still is)."""
    url_spans = [m.span() for m in URL_RE.finditer(text)]
    if not url_spans:
        return cands
    return [c for c in cands if c.kind == "EMAIL" or not any(us <= c.start and c.end <= ue for us, ue in url_spans)]


def drop_allowed(text: str, cands: list[Candidate], allowlist: Allowlist | None) -> list[Candidate]:
    """Candidates the curator's allowlist covers, by occurrence or by normalised value, are dropped."""
    if allowlist is None or not len(allowlist):
        return cands
    ranges = allowlist.allowed_ranges(text)
    return [
        c for c in cands
        if not allowlist.covers(c.kind, text[c.start:c.end])
        and not any(rs <= c.start and c.end <= re_ for rs, re_ in ranges)
    ]


def keep_best(cands: list[Candidate]) -> list[Candidate]:
    """Keep the best non-overlapping candidates (priority, then length)."""
    cands.sort(key=lambda c: (-c.priority, -(c.end - c.start), c.start))
    kept: list[Candidate] = []
    starts: list[int] = []
    for c in cands:
        i = bisect.bisect_left(starts, c.start)
        overlaps = False
        for j in (i - 1, i):
            if 0 <= j < len(kept):
                k = kept[j]
                if k.start < c.end and c.start < k.end:
                    overlaps = True
                    break
        if not overlaps:
            kept.insert(i, c)
            starts.insert(i, c.start)
    return kept

