"""Misspelling correction against the generation's own term dictionary (symspellpy), never against a real term."""
from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field
from functools import lru_cache

from .words import STOPWORDS

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
MIN_LENGTH = 4  # shorter words are abbreviations or too ambiguous to correct


def count_terms(texts, extra_terms=()) -> dict[str, int]:
    """Word -> occurrences over the texts, plus the vocabulary's words (drug names, brands) counted once."""
    counts: dict[str, int] = {}
    for text in texts:
        for m in WORD.finditer(text):
            w = m.group(0).lower()
            if len(w) >= 2:
                counts[w] = counts.get(w, 0) + 1
    for term in extra_terms:
        for m in WORD.finditer(str(term)):
            w = m.group(0).lower()
            if len(w) >= 2 and w not in counts:
                counts[w] = 1
    return counts


GENERAL_WORDS = 3000  # the most frequent English words say nothing about a question's topic ("max", "year")


@lru_cache(maxsize=1)
def _english_ranked() -> tuple[str, ...]:
    """English words from the frequency list symspellpy ships (MIT licence), most frequent first."""
    from importlib.resources import files

    text = (files("symspellpy") / "frequency_dictionary_en_82_765.txt").read_text(encoding="utf-8")
    return tuple(text.split()[::2])  # lines are "word count", sorted by count


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Common English words, medical ones included (82,765 of them).

    A word here that the corpus lacks ("strep", "eczema") is a real word about something else: it is never
    "corrected" into a corpus word, and it counts against the question being in scope.
    """
    return frozenset(_english_ranked())


@lru_cache(maxsize=1)
def general_words() -> frozenset[str]:
    """The GENERAL_WORDS most frequent English words: ordinary words any question may use."""
    return frozenset(_english_ranked()[:GENERAL_WORDS])


def english(word: str) -> bool:
    """Whether a lower-cased word, or its plural or singular form, is a common English word."""
    return known(word, english_words())


def specific_english(word: str) -> bool:
    """An English word, but not one of the most frequent ones: it names a topic ("strep", "insulin", "pizza")."""
    return english(word) and not known(word, general_words())


def known(word: str, terms: Container[str]) -> bool:
    """Whether a lower-cased word, or its plural or singular form, is in the term dictionary."""
    if word in terms:
        return True
    for a, b in (("s", ""), ("es", ""), ("", "s"), ("", "es"), ("ies", "y"), ("y", "ies")):
        if word.endswith(a) and len(word) > len(a) + 2 and (word[:len(word) - len(a)] + b) in terms:
            return True
    return False


@dataclass
class Correction:
    """The query as searched, and each word that was changed (original, replacement)."""

    query: str
    changes: list[tuple[str, str]] = field(default_factory=list)


class Speller:
    """SymSpell over the term dictionary: a word the corpus contains, or a common English word, is never changed."""

    def __init__(self, terms: dict[str, int]):
        from symspellpy import SymSpell

        self.terms = terms
        self._sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for term, n in terms.items():
            if len(term) >= MIN_LENGTH - 1:
                self._sym.create_dictionary_entry(term, n)

    def known(self, word: str) -> bool:
        """In the dictionary, or a plural / singular of a word that is (a small corpus lacks many inflections)."""
        return known(word, self.terms)

    def suggest(self, word: str) -> str | None:
        """The most frequent dictionary word within 1 edit (2 for words of 8+ letters), or None.

        A real English word the corpus lacks ("strep", "acne") is left as typed: the question is about
        something else, and changing it would hide that.
        """
        from symspellpy import Verbosity

        w = word.lower()
        if len(w) < MIN_LENGTH or self.known(w) or english(w):
            return None
        limit = 2 if len(w) >= 8 else 1
        found = self._sym.lookup(w, Verbosity.CLOSEST, max_edit_distance=limit, transfer_casing=False)
        found = [s for s in found if s.term != w and s.term[:1] == w[:1]]  # typos rarely hit the first letter
        if not found:
            return None
        best = min(found, key=lambda s: (s.distance, -s.count, s.term))
        return best.term

    def correct(self, query: str, protected=frozenset()) -> Correction:
        """Replace each unknown word by its suggestion, keeping the rest of the query as typed."""
        out, pos, changes = [], 0, []

        for m in WORD.finditer(query):
            word = m.group(0)
            if word.lower() in protected or word.lower() in STOPWORDS:
                continue
            fix = self.suggest(word)
            if fix is None:
                continue
            if word[:1].isupper():
                fix = fix[:1].upper() + fix[1:]
            out.append(query[pos:m.start()])
            out.append(fix)
            pos = m.end()
            changes.append((word, fix))
        out.append(query[pos:])
        return Correction("".join(out), changes)
