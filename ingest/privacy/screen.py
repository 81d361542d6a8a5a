"""Rule-based privacy screen for extracted document text.

Finds personal identifiers (health card numbers, SINs, phone numbers, emails,
street addresses, postal codes, full dates, record numbers, person names and
ages over 89) with regular expressions, checksums and small word lists.  It is
tuned to stay quiet on clinical text: doses, lab values, scores, eponyms, drug
brands, guideline years and month-year dates.

Standard library only; nothing heavy happens at import time beyond compiling
regular expressions.  Word lists are loaded lazily on first use.
"""
from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from . import names
from .names import shipped_first_names  # noqa: F401  (public: the shipped given-name list)
from .normalize import fold_for_screen

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_MRN_PATTERNS = DATA_DIR / "mrn_patterns.txt"
DEFAULT_FIRST_NAMES = DATA_DIR / "first_names.txt"

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


# --------------------------------------------------------------------------- #
# Public data types
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    line: int
    masked: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "start": self.start, "end": self.end, "line": self.line, "masked": self.masked}


@dataclass
class ScreenReport:
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


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _fold(s: str) -> str:
    """Lower-case and strip accents (for word-list comparisons)."""
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).lower().replace("’", "'")


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
        for raw in _read_lines(path):
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


@dataclass
class ScreenConfig:
    """Screen configuration: site MRN patterns (plus the first-name list).

    ``mrn_patterns`` are compiled regexes; a named group ``id`` marks the
    identifier part, otherwise the whole match is the finding.
    """

    mrn_patterns: tuple[re.Pattern, ...] = ()
    first_names: frozenset[str] | None = None  # None: the shipped list
    use_model: bool = True  # False: names from rules and lexicons only (no NER model)
    disabled_kinds: frozenset[str] = frozenset()

    @staticmethod
    def parse_patterns(lines: Iterable[str], source: str = "<config>") -> tuple[re.Pattern, ...]:
        pats = []
        for no, raw in enumerate(lines, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            try:
                pats.append(re.compile(line))
            except re.error as exc:
                raise ValueError(f"{source}:{no}: invalid MRN pattern {line!r}: {exc}") from exc
        return tuple(pats)

    @classmethod
    def load(cls, path: Path | None) -> "ScreenConfig":
        """Load site MRN patterns (one regex per line) from ``path``.

        ``None`` loads the shipped default ``data/mrn_patterns.txt``; a path that
        does not exist gives no site patterns (the built-in keyword rules still apply).
        """
        if path is None:
            return default_config()
        path = Path(path)
        if not path.is_file():
            return cls()
        return cls(mrn_patterns=cls.parse_patterns(_read_lines(path), str(path)))


@functools.lru_cache(maxsize=1)
def default_config() -> ScreenConfig:
    return ScreenConfig(
        mrn_patterns=ScreenConfig.parse_patterns(_read_lines(DEFAULT_MRN_PATTERNS), str(DEFAULT_MRN_PATTERNS))
    )


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #
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
    return len(digits) == 9 and digits[0] not in "08" and luhn_valid(digits) and len(set(digits)) > 1


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


# --------------------------------------------------------------------------- #
# Patterns
# --------------------------------------------------------------------------- #
UP = "A-ZÀ-ÖØ-Þ"
LO = "a-zß-öø-ÿ"
NUM_L = r"(?<![\w.,/@#$-])(?<!\d[.,]\s)"  # left edge of a free-standing number
NUM_R = r"(?![\w@-]|[.,/]\d)"  # right edge

URL_RE = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"')\]]+|\bdoi:\s*\S+|\b10\.\d{4,9}/\S+", re.IGNORECASE)
EMAIL_RE = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])")

HCN_RE = re.compile(NUM_L + r"(\d{4})([ -]?)(\d{3})\2(\d{3})(?:(?:[ -]|\2)([A-Z]{1,2}))?" + r"(?![\w@-]|[.,/]\d)")
HCN_MIXED_RE = re.compile(NUM_L + r"\d{4}[ -]?\d{3}[ -]?\d{3}(?:[ -]?[A-Z]{1,2})?(?![\w@-]|[.,/]\d)")
HCN_CONTEXT_RE = re.compile(
    r"\b(?:OHIP|HCN|health[ -]?card|health\s+(?:card\s+)?(?:number|no\b\.?|#|num\b)|health\s+insurance\s+(?:number|no\b\.?|#)|"
    r"carte\s+sant[eé]|num[eé]ro\s+d'assurance[ -]maladie|version\s+code)",
    re.IGNORECASE,
)
SIN_RE = re.compile(NUM_L + r"(\d{3})([ -]?)(\d{3})\2(\d{3})" + NUM_R)
SIN_CONTEXT_RE = re.compile(r"\bS\.?I\.?N\b\.?|\bsocial\s+insurance|\bNAS\b|\bnum[eé]ro\s+d'assurance\s+sociale", re.IGNORECASE)
SIN_CONTEXT_CS_RE = re.compile(r"\bS\.?I\.?N\b|\b[Ss]ocial [Ii]nsurance|\bSocial Insurance|\bNAS\b|[Aa]ssurance sociale")

PHONE_RE = re.compile(
    r"(?<![\w.+/-])(?<!\d[ .])"
    r"(?P<num>(?:\+\s?1[ .-]?|1[ .-])?(?:\((?P<a1>\d{3})\)[ .-]?|(?P<a2>\d{3})(?P<sep>[ .-]))(?P<ex>\d{3})[ .-]\d{4})"
    r"(?P<ext>\s*(?:,\s*)?(?:x|ext\.?|extension|poste)\s*\d{1,6})?"
    r"(?![\w-]|[.,/]\d)",
    re.IGNORECASE,
)
PHONE_PLAIN_RE = re.compile(NUM_L + r"(?:\+?1)?\d{10}" + NUM_R)

POSTAL_RE = re.compile(
    r"(?<![\w-])([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])([ -]?)(\d[ABCEGHJ-NPRSTV-Z]\d)(?![\w-])"
)

_MONTHS_FULL = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre"
)
_MONTHS_ABBR = r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|janv|f[ée]vr?|avr|juil|sept|oct|nov|d[ée]c"
MONTH = rf"(?:(?:{_MONTHS_FULL})|(?:{_MONTHS_ABBR})\.?)"
DAY = r"(?:0?[1-9]|[12]\d|3[01])"
ORD = r"(?:st|nd|rd|th|er|e)?"
YEAR4 = r"(?:18|19|20)\d{2}"

DATE_PATTERNS = [
    # 2023-04-17, 2023/04/17, 2023.04.17
    re.compile(rf"(?<![\w./-]){YEAR4}([-/.])(?:0?[1-9]|1[0-2])\1{DAY}(?![\w/]|[.-]\d)"),
    # 17/04/2023, 04-17-2023, 17.04.2023
    re.compile(rf"(?<![\w./-])\d{{1,2}}([-/.])\d{{1,2}}\1{YEAR4}(?![\w/]|[.-]\d)"),
    # 17-Apr-2023, 17 Apr 2023, 17th of April, 2023, le 17 avril 2023
    re.compile(rf"(?<![\w./-]){DAY}{ORD}(?:[ \t]+of|[ \t]*-)?[ \t]*{MONTH}(?:[ \t]*[-,]?[ \t]*)(?:{YEAR4}|(?<=-)\d{{2}})(?![\w/]|[.-]\d)", re.IGNORECASE),
    # April 17, 2023 / Apr. 17th 2023
    re.compile(rf"(?<![\w./-]){MONTH}[ \t]+{DAY}{ORD},?[ \t]+{YEAR4}(?![\w/]|[.-]\d)", re.IGNORECASE),
]
DOB_CONTEXT_RE = re.compile(r"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthdate|born(?:\s+on)?|n[ée]e?\s+le|date\s+de\s+naissance)\b\s*[:#-]?\s*$", re.IGNORECASE)
DOB_VALUE_RE = re.compile(
    rf"\s*[:#-]?\s*(?:(?:{MONTH})[ \t]+{YEAR4}|\d{{1,2}}/\d{{1,2}}/\d{{2}}|\d{{1,2}}/{YEAR4}|{YEAR4}-\d{{2}}|{YEAR4})(?![\w/]|[.-]\d)",
    re.IGNORECASE,
)
DATE_EXEMPT_RE = re.compile(
    r"(?:\b(?:published|publication|reviewed|review\s+date|updated|update|revised|revision|accessed|retrieved|"
    r"modified|created|posted|released|issued|effective|version|copyright|last\s+(?:reviewed|updated|modified|revised)|"
    r"kb:\w+|content|date\s+de\s+publication|mis\s+[àa]\s+jour|consult[ée])\b[^\n]{0,30}$)|(?:^|\n)\s*(?:date|published|reviewed|updated)\s*:\s*$",
    re.IGNORECASE,
)

DATE_CITATION_RE = re.compile(r"\b(?:accessed|retrieved|cited|consulted|available\s+(?:at|from))\b", re.IGNORECASE)

MRN_KEYWORD = (
    r"(?:MRN|MR\s*#|M\.R\.N\.?|medical\s+record\s*(?:number|num\.?|no\.?|#)?|health\s+record\s*(?:number|no\.?|#)|"
    r"chart\s*(?:number|num\.?|no\.?|#|ID)|chart|hosp(?:ital|\.)?\s*(?:number|num\.?|no\.?|#|ID)|patient\s*(?:ID|identifier|number|num\.?|no\.?|#)|"
    r"client\s*(?:ID|number|no\.?|#)|PID|encounter\s*(?:number|no\.?|#|ID)|record\s*(?:number|no\.?|#)|"
    r"dossier\s*(?:n[o°º]\.?|#)?|num[ée]ro\s+de\s+dossier|n[o°º]\s+de\s+dossier)"
)
MRN_RE = re.compile(
    r"\b" + MRN_KEYWORD + r"(?![\w])[ \t]*(?:is|was|=|:|#|-|\.)?[ \t]*(?:[:#-][ \t]*)?"
    r"(?P<id>(?=[A-Z0-9-]*\d)[A-Z0-9](?:[A-Z0-9]|[-/](?=[A-Z0-9])){2,19})(?![\w-])",
    re.IGNORECASE,
)

STREET_TYPES = (
    r"Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Drive|Dr|Crescent|Cres|Cr|Court|Crt|Ct|Way|Lane|Ln|Place|Pl|"
    r"Terrace|Terr|Trail|Trl|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Gate|Grove|Heights|Hts|Line|Sideroad|"
    r"Concession|Close|Row|Gardens|Gdns|Mews|Walk|Path|Boul|Chemin|Rue|Promenade|Circuit|Landing|Common|Point|Pointe"
)
STREET_WORD = rf"(?:[{UP}][{LO}'’.]*(?:-[{UP}][{LO}]+)?|\d{{1,3}}(?:st|nd|rd|th)|[{UP}]{{2,}}|St\.?|Ste\.?|Mt\.?)"
ADDRESS_RE = re.compile(
    rf"(?<![\w./#-])"
    rf"(?P<unit>(?:(?:Unit|Apt\.?|Apartment|Suite|Ste\.?|Bureau)[ \t]*#?[ \t]*\w{{1,5}}[ \t]*,?[ \t]*(?:-[ \t]*)?)|\d{{1,5}}[A-Za-z]?[ \t]*-[ \t]*(?=\d))?"
    rf"(?P<num>\d{{1,6}}[A-Za-z]?)(?:[ \t]*-[ \t]*\d{{1,5}})?[ \t]+"
    rf"(?P<name>(?:{STREET_WORD}[ \t]+){{0,3}}{STREET_WORD})[ \t]+"
    rf"(?P<type>(?:{STREET_TYPES})\b\.?|(?i:street|avenue|road|boulevard|drive|crescent|court|lane|place|way)\b)"
    rf"(?P<dir>[ \t]+(?:(?:North|South|East|West|NE|NW|SE|SW)\b|[NSEW]\b\.?))?"
    rf"(?P<unit2>(?:[ \t]*,?[ \t]*(?:Unit|Apt\.?|Apartment|Suite|Ste\.?|#)[ \t]*#?[ \t]*[A-Za-z0-9]{{1,5}}\b))?"
)
ADDRESS_FRENCH_RE = re.compile(
    rf"(?<![\w./#-])\d{{1,6}}[A-Za-z]?,?[ \t]+(?:rue|boulevard|boul\.?|avenue|av\.?|chemin|ch\.?|route|rang|place|promenade|montée)"
    rf"[ \t]+(?:(?:de|du|des|la|le|l'|d'|St-|Ste-|Saint-|Sainte-)[ \t]*)*[{UP}][{LO}'’-]+(?:[ \t]+[{UP}][{LO}'’-]+){{0,2}}"
)
POBOX_RE = re.compile(r"\b(?:P\.?\s?O\.?\s?Box|Post\s+Office\s+Box|C\.?P\.?|Case\s+postale)[ \t]*#?[ \t]*\d{1,6}\b|\bR\.?R\.?[ \t]*#?[ \t]*\d{1,2}\b(?=[ \t]*,)", re.IGNORECASE)
ADDRESS_LABEL_RE = re.compile(
    r"(?:^|(?<=[\n;|]))[ \t]*(?:[-*•][ \t]*)?(?:(?:Home|Mailing|Street|Civic|Residential|Patient)[ \t]+)?(?:Address|Addr\.?|Adresse)[ \t]*:[ \t]*"
    r"(?P<v>(?=[^\n]*\d)[^\n;|]{4,160}?)[ \t.]*(?=$|[\n;|])",
    re.IGNORECASE | re.MULTILINE,
)
ADDRESS_RURAL_RE = re.compile(
    r"(?<![\w./#-])\d{1,6}[ \t]+(?:Highway|Hwy\.?|Route|Rte\.?|Regional[ \t]+Road|County[ \t]+Road|Concession(?:[ \t]+Road)?|"
    r"Side[ \t]?road|Line|Township[ \t]+Road)[ \t]+\d{1,3}[A-Z]?\b"
)
ADDRESS_NAME_STOP = {
    "mg", "mcg", "ml", "units", "unit", "tablets", "tabs", "times", "days", "weeks", "months", "years", "hours", "patients",
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "per", "case", "cases", "session", "sessions", "step", "steps",
    "supreme", "superior", "appeal", "divisional", "federal", "tax", "small", "claims", "family", "best", "key", "next",
    "main", "canadian", "ontario", "pain", "opioid", "chronic", "hub", "echo", "guideline", "guidelines", "point", "points",
}
ADDRESS_TYPE_AMBIGUOUS = {"point", "pointe", "line", "common", "landing", "walk", "path", "row", "close", "gate", "square", "place", "pl", "way", "circuit", "court", "ct", "dr"}
# street types that are also ordinary words: need a comma / line end / direction / unit / postal code after them
ADDRESS_TYPE_WEAK = {"point", "pointe", "line", "common", "landing", "walk", "path", "row", "close", "gate", "circuit"}

AGE_PATTERNS = [
    re.compile(r"(?<![\w.])(?P<n>9\d|1[01]\d)(?:[ \t]*-[ \t]*|[ \t]+)(?:years?|yrs?|y)[ \t]*-?[ \t]*old\b", re.IGNORECASE),
    re.compile(r"\b(?:aged?|âgée?|âge)[ \t]*(?:of|:|=|is|was)?[ \t]*(?P<n>9\d|1[01]\d)(?![\w+]|[.,]\d|[ \t]*(?:-|to|–)[ \t]*\d)(?![ \t]*(?:mg|mcg|ml|%|kg|mme|days?|weeks?|months?))", re.IGNORECASE),
    re.compile(r"(?<![\w.])(?P<n>9\d|1[01]\d)[ \t]*(?:yo|y/o|y\.o\.?|yrs?\s+old|years\s+of\s+age|ans)(?![\w/])", re.IGNORECASE),
    re.compile(r"(?<![\w.])(?P<n>9\d|1[01]\d)[ \t]*-?[ \t]*(?:YO|yo)(?:[MFmf])\b"),
    re.compile(r"(?<![\w.])(?P<n>9\d|1[01]\d)(?:y|yo|Y|YO)\b"),
    re.compile(r"(?<![\w.])(?P<n>9\d|1[01]\d)(?:[MF])\b(?=[ \t]+(?:with|presents|presenting|who|patient|pt|w/))"),
]

# --------------------------------------------------------------------------- #
# Detection
# --------------------------------------------------------------------------- #
@dataclass
class _Cand:
    kind: str
    start: int
    end: int
    priority: int


def _near(text: str, start: int, end: int, pattern: re.Pattern, before: int = 45, after: int = 25) -> bool:
    lo = max(0, start - before)
    hi = min(len(text), end + after)
    following = text[end:hi].partition("\n")[0]  # look ahead on the same line only
    return bool(pattern.search(text[lo:start]) or pattern.search(following))


def _find_health_cards(text: str, out: list[_Cand], taken_digits: set[tuple[int, int]]) -> None:
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
                if not ctx and not has_version and _near(text, m.start(), m.end(), PHONE_CONTEXT_RE_LOOSE, 30, 0):
                    continue
                out.append(_Cand("HEALTH_CARD", m.start(), m.end(), 9 if ctx else 8))
                taken_digits.add((m.start(), m.end()))


PHONE_CONTEXT_RE_LOOSE = re.compile(r"\b(?:phone|tel|telephone|t[ée]l[ée]phone|cell|mobile|fax|pager)\b", re.IGNORECASE)


def _find_sins(text: str, out: list[_Cand]) -> None:
    for m in SIN_RE.finditer(text):
        digits = m.group(1) + m.group(3) + m.group(4)
        ctx = _near(text, m.start(), m.end(), SIN_CONTEXT_CS_RE, before=45, after=20)
        if ctx:
            out.append(_Cand("SIN", m.start(), m.end(), 9))
        elif sin_valid(digits) and m.group(4) != "000" and not re.match(r"\s*(?:\$|dollars|people|patients|Canadians|persons)", text[m.end():m.end() + 12]) and text[max(0, m.start() - 1):m.start()] != "$":
            out.append(_Cand("SIN", m.start(), m.end(), 6))


def _nanp_ok(area: str, exchange: str) -> bool:
    return area[0] in "23456789" and exchange[0] in "23456789" and not (area[1:] == "11")


def _find_phones(text: str, out: list[_Cand]) -> None:
    for m in PHONE_RE.finditer(text):
        area = m.group("a1") or m.group("a2")
        if not _nanp_ok(area, m.group("ex")):
            continue
        num = m.group("num")
        # "10-15 mg"-style ranges cannot match (3-3-4 digits); reject obvious
        # numeric lists such as "120 150 1800" by requiring the area-code form.
        end = m.end()
        ctx = _near(text, m.start(), end, PHONE_CONTEXT_RE_LOOSE, 30, 0)
        pri = 8 if ctx else 7
        if m.group("sep") == " " and not num.startswith(("+", "1")) and not ctx:
            # "416 555 0123" with spaces only: still a phone in contact blocks; require
            # no unit right after (e.g. "200 300 1000 mg").
            tail = text[end:end + 8]
            if re.match(r"\s*(?:mg|mcg|ml|mL|units?|%|mmol|umol|µmol)", tail):
                continue
            if area.endswith("0") and m.group("ex").endswith("0"):
                continue  # "250 500 1000": a row of round numbers, not a phone
        out.append(_Cand("PHONE", m.start(), end, pri))
    for m in PHONE_PLAIN_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) == 11:
            if digits[0] != "1":
                continue
            digits = digits[1:]
        if not _nanp_ok(digits[:3], digits[3:6]):
            continue
        ctx = _near(text, m.start(), m.end(), PHONE_CONTEXT_RE_LOOSE, 30, 0)
        out.append(_Cand("PHONE", m.start(), m.end(), 8 if ctx else 5))


def _find_emails(text: str, out: list[_Cand]) -> None:
    for m in EMAIL_RE.finditer(text):
        out.append(_Cand("EMAIL", m.start(), m.end(), 10))


def _find_postal(text: str, out: list[_Cand]) -> None:
    for m in POSTAL_RE.finditer(text):
        if m.group(2) == "-":
            continue
        out.append(_Cand("POSTAL_CODE", m.start(), m.end(), 7))


def _valid_dmy(a: int, b: int) -> bool:
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


def _find_dates(text: str, out: list[_Cand]) -> None:
    for idx, rx in enumerate(DATE_PATTERNS):
        for m in rx.finditer(text):
            raw = m.group(0)
            if idx == 1:
                a, b = (int(x) for x in re.split(r"[-/.]", raw)[:2])
                if not _valid_dmy(a, b):
                    continue
            before = text[max(0, m.start() - 45):m.start()]
            line_before = text[max(0, m.start() - 200):m.start()].rpartition("\n")[2]
            if (DATE_EXEMPT_RE.search(before) or DATE_CITATION_RE.search(line_before)) and not DOB_CONTEXT_RE.search(before[-25:]):
                continue
            out.append(_Cand("DATE", m.start(), m.end(), 6))
    # partial dates of birth: "DOB: March 1931", "born 1929", "DOB 03/1931"
    for m in re.finditer(r"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthdate|born(?:\s+on|\s+in)?|n[ée]e?\s+(?:le|en))\b", text, re.IGNORECASE):
        v = DOB_VALUE_RE.match(text, m.end())
        if v:
            s = v.start() + (len(v.group(0)) - len(v.group(0).lstrip(" \t:#-")))
            out.append(_Cand("DATE", s, v.end(), 5))


def _find_mrns(text: str, out: list[_Cand], config: ScreenConfig) -> None:
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
        out.append(_Cand("MRN", m.start("id"), m.end("id"), 10))
    for pat in config.mrn_patterns:
        for m in pat.finditer(text):
            if "id" in pat.groupindex and m.group("id") is not None:
                s, e = m.span("id")
            else:
                s, e = m.span()
            if e > s:
                out.append(_Cand("MRN", s, e, 9))


def _find_addresses(text: str, out: list[_Cand]) -> None:
    for m in ADDRESS_RE.finditer(text):
        words = m.group("name").split()
        if any(w.lower().rstrip(".") in ADDRESS_NAME_STOP for w in words) and len(words) == 1:
            continue
        if words and words[0].lower() in ADDRESS_NAME_STOP:
            continue
        typ = m.group("type").rstrip(".").lower()
        num = m.group("num")
        # "2017 Canadian Guideline" and friends: a year-like number needs a clear street type
        if re.fullmatch(r"(?:19|20)\d{2}", num) and typ in ADDRESS_TYPE_AMBIGUOUS:
            continue
        if typ in ADDRESS_TYPE_WEAK and not m.group("unit") and not m.group("unit2"):
            # weak street types need a following comma/city/postal code or line end
            tail = text[m.end():m.end() + 40]
            if not re.match(r"[ \t]*(?:,|\n|$|[ \t]+(?:North|South|East|West|Unit|Suite|Apt))", tail) and not POSTAL_RE.search(tail):
                continue
        start = m.start()
        end = m.end()
        out.append(_Cand("ADDRESS", start, end, 7))
    for m in ADDRESS_FRENCH_RE.finditer(text):
        out.append(_Cand("ADDRESS", m.start(), m.end(), 7))
    for m in ADDRESS_LABEL_RE.finditer(text):
        out.append(_Cand("ADDRESS", m.start("v"), m.end("v"), 8))
    for m in ADDRESS_RURAL_RE.finditer(text):
        out.append(_Cand("ADDRESS", m.start(), m.end(), 7))
    for m in POBOX_RE.finditer(text):
        out.append(_Cand("ADDRESS", m.start(), m.end(), 6))


def _find_ages(text: str, out: list[_Cand]) -> None:
    for rx in AGE_PATTERNS:
        for m in rx.finditer(text):
            out.append(_Cand("AGE", m.start(), m.end(), 6))


def _find_names(text: str, out: list[_Cand], config: ScreenConfig) -> None:
    for start, end, priority in names.find_names(text, config.first_names, use_model=config.use_model):
        out.append(_Cand("NAME", start, end, priority))


def _resolve(cands: list[_Cand]) -> list[_Cand]:
    """Keep the best non-overlapping candidates (priority, then length)."""
    cands.sort(key=lambda c: (-c.priority, -(c.end - c.start), c.start))
    kept: list[_Cand] = []
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


def _iter_candidates(text: str, config: ScreenConfig) -> Iterator[_Cand]:
    out: list[_Cand] = []
    taken: set[tuple[int, int]] = set()
    disabled = config.disabled_kinds
    if "EMAIL" not in disabled:
        _find_emails(text, out)
    if "HEALTH_CARD" not in disabled:
        _find_health_cards(text, out, taken)
    if "SIN" not in disabled:
        _find_sins(text, out)
    if "PHONE" not in disabled:
        _find_phones(text, out)
    if "POSTAL_CODE" not in disabled:
        _find_postal(text, out)
    if "DATE" not in disabled:
        _find_dates(text, out)
    if "MRN" not in disabled:
        _find_mrns(text, out, config)
    if "ADDRESS" not in disabled:
        _find_addresses(text, out)
    if "AGE" not in disabled:
        _find_ages(text, out)
    if "NAME" not in disabled:
        _find_names(text, out, config)
    yield from out


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
    cands = list(_iter_candidates(text, config))
    # numbers inside URLs / DOIs are not identifiers (emails are still reported)
    url_spans = [m.span() for m in URL_RE.finditer(text)]
    if url_spans:
        cands = [
            c for c in cands
            if c.kind == "EMAIL" or not any(us <= c.start and c.end <= ue for us, ue in url_spans)
        ]
    if allowlist is not None and len(allowlist):
        ranges = allowlist.allowed_ranges(text)
        cands = [
            c for c in cands
            if not allowlist.covers(c.kind, text[c.start:c.end])
            and not any(rs <= c.start and c.end <= re_ for rs, re_ in ranges)
        ]
    kept = _resolve(cands)
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
