"""The curator-editable clinical vocabulary: abbreviations, synonyms and brand names for query expansion."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import KBError

DEFAULT_PATH = Path(__file__).parent / "data" / "vocabulary.yaml"


def _norm(term: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", term.lower()))


@dataclass
class Vocabulary:
    """Term groups; any term found in a query brings in the rest of its group."""

    groups: list[list[str]]
    _shorthand: list[tuple[str, re.Pattern, str]] | None = field(default=None, init=False, repr=False, compare=False)
    _by_word: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _normed: list[list[str]] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Vocabulary":
        path = Path(path) if path else DEFAULT_PATH
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError as exc:
            raise KBError(f"vocabulary file {path} does not exist (KB_VOCAB)") from exc
        except yaml.YAMLError as exc:
            raise KBError(f"vocabulary file {path} is not valid YAML: {exc}") from exc
        groups = data.get("groups") if isinstance(data, dict) else None
        if not isinstance(groups, list) or not all(isinstance(g, list) and len(g) >= 2 for g in groups):
            raise KBError(f"vocabulary file {path} must hold 'groups:', a list of lists of two or more terms")
        return cls([[str(t) for t in g] for g in groups])

    def expansions(self, query: str) -> list[str]:
        """Terms to add for a query: the other members of every group one of whose terms it contains."""
        q = f" {_norm(query)} "
        if self._normed is None:  # normalised once: every search asks
            self._normed = [[_norm(t) for t in group] for group in self.groups]
        out: list[str] = []
        for group, normed in zip(self.groups, self._normed):
            if any(n and f" {n} " in q for n in normed):
                out.extend(t for t, n in zip(group, normed) if n and f" {n} " not in q)
        return list(dict.fromkeys(out))

    def shorthand(self) -> list[tuple[str, re.Pattern, str]]:
        """(term, pattern, full name) for every abbreviation, brand name or clipped word of the groups, longest first.

        Built from the groups alone: a group's full name is its first term of seven or more letters written in
        lower case (curators choose it by ordering the group). Shorthand is a term with a capital letter or
        a digit (MME, OAT, Suboxone, T3) or a lower-case word that is not a common English word and clips the
        full name ("bup", "oxy", "hydromorph"). An acronym whose lower-case form is an English word (OAT, PEG,
        COWS, MED) and a two-letter one (CR, IR) match only in capitals, so "oat milk" stays oat milk.
        """
        if self._shorthand is None:
            from .spelling import english

            table: list[tuple[str, re.Pattern, str]] = []
            for group in self.groups:
                full = next((t for t in group if _is_full(t)), None)
                if full is None:
                    continue
                for t in group:
                    if t == full or not _is_short(t, full):
                        continue
                    letters = re.sub(r"[^A-Za-z]", "", t)
                    exact = t.isupper() and (len(letters) <= 2 or english(t.lower()))
                    body = r"[\s/-]*".join(re.escape(p) for p in re.split(r"[\s/-]+", t.strip()) if p)
                    pattern = re.compile(rf"(?<![\w#]){body}(?![\w#])", 0 if exact else re.IGNORECASE)
                    table.append((t, pattern, full))
            table.sort(key=lambda x: -len(x[0]))
            by_word: dict[str, list] = {}
            for entry in table:
                by_word.setdefault(_first_word(entry[0]), []).append(entry)
            self._by_word = by_word
            self._shorthand = table  # last: another thread sees both or neither
        return self._shorthand

    def spelled_out(self, query: str) -> str:
        """The query with each abbreviation or brand name followed by its full name in brackets, for the sentence
        model, which embeds clinical shorthand ("bup", "oxy", "OAT") poorly; the keyword leg expands separately."""
        inserts: list[tuple[int, str]] = []
        taken: list[tuple[int, int]] = []
        have = f" {_norm(query)} "
        self.shorthand()
        words = set(re.findall(r"[a-z0-9]+", query.lower()))
        entries = sorted((e for w in words for e in self._by_word.get(w, ())), key=lambda e: -len(e[0]))
        for _, pattern, full in entries:  # only the terms whose first word the query has: arithmetic per query
            for m in pattern.finditer(query):
                if any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                taken.append((m.start(), m.end()))
                if f" {_norm(full)} " in have:
                    continue
                have += f"{_norm(full)} "
                inserts.append((m.end(), f" ({full})"))
        for pos, text in sorted(inserts, reverse=True):
            query = query[:pos] + text + query[pos:]
        return query


def _first_word(term: str) -> str:
    return next(iter(re.findall(r"[a-z0-9]+", term.lower())), "")


def _letters(term: str) -> str:
    return re.sub(r"[^a-z]", "", term.lower())


def _is_short(term: str, full: str) -> bool:
    """An acronym or brand name (a capital or a digit), or a lower-case clipping of the full name ("bup")."""
    if term != term.lower() or any(ch.isdigit() for ch in term):
        return True
    from .spelling import english

    word = _letters(term)
    return " " not in term.strip() and not english(word) and _letters(full).startswith(word[:3]) \
        and len(word) < len(_letters(full))


def _is_full(term: str) -> bool:
    """A group's full name: written in lower case, no digits, at least seven letters ("buprenorphine")."""
    return term == term.lower() and not any(ch.isdigit() for ch in term) and len(_letters(term)) >= 7
