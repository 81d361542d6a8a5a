"""Name look-ups: the given-name, surname and English-frequency lists, loaded once, and the questions the
name rules ask of a word (a given name? surname-like? a stop word?).

A word is *surname-like* when the census lists it as a surname and it is not a common English
word, or when it is not an English word at all (Kowalczyk, Raghunathan); English word frequencies
come from symspellpy's dictionary.  The word lists that are data live in ``lexicon.py``.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from . import lexicon

DATA_DIR = Path(__file__).resolve().parent / "data"
NAMES_DIR = DATA_DIR / "names"
DEFAULT_FIRST_NAMES = DATA_DIR / "first_names.txt"


@functools.lru_cache(maxsize=65536)
def fold(s: str) -> str:
    """Lower-case, strip accents and unify apostrophes (for list look-ups)."""
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).lower().replace("’", "'")


def _read_list(path: Path) -> list[str]:
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append(fold(line))
    return out


@functools.lru_cache(maxsize=1)
def census_given() -> frozenset[str]:
    """Census given names before any filtering (includes June, April, Grace)."""
    return frozenset(_read_list(NAMES_DIR / "given_census1990.txt"))


@functools.lru_cache(maxsize=1)
def _all_given() -> frozenset[str]:
    """The project's given-name list plus the census one, unfiltered."""
    return frozenset(_read_list(DEFAULT_FIRST_NAMES)) | census_given()


@functools.lru_cache(maxsize=1)
def shipped_first_names() -> frozenset[str]:
    """Given names: the project's list plus the US Census 1990 given names, less words that are never names."""
    return _all_given() - lexicon.NOT_NAME_WORDS


@functools.lru_cache(maxsize=1)
def surname_ranks() -> dict[str, int]:
    """US Census 1990 surnames, most frequent first (rank 0 = Smith)."""
    ranks: dict[str, int] = {}
    for i, name in enumerate(_read_list(NAMES_DIR / "surnames_census1990.txt")):
        ranks.setdefault(name, i)
    return ranks


@functools.lru_cache(maxsize=1)
def english_ranks() -> dict[str, int]:
    """English word frequency ranks from symspellpy's shipped dictionary (rank 0 = most frequent)."""
    import importlib.resources

    ranks: dict[str, int] = {}
    ref = importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    with ref.open("r", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            word = line.split(" ", 1)[0]
            ranks.setdefault(word, i)
    return ranks


@functools.lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Words never taken as a name: clinical vocabulary, eponyms, drugs, places, organisations.

    Clinical and place words that are also given names or frequent surnames (Thomas,
    Hamilton, Wilson) stay name words: eponyms are recognised by what follows them.
    """
    given = _all_given()
    surnames = surname_ranks()
    ambiguous = {w for w in lexicon.CLINICAL_WORDS | lexicon.PLACE_WORDS
                 if (w in given or surnames.get(w, 10**9) < 5000) and w not in lexicon.ALWAYS_STOP}
    english = english_ranks()
    # old list entries that are frequent surnames but rare English words (Vaughan) stay name words
    old = {w for w in lexicon.NOT_NAME_WORDS if not (surnames.get(w, 10**9) < 1000 and english.get(w, 10**9) > 10000)}
    return frozenset(old) | lexicon.CORPORATE_WORDS | ((lexicon.CLINICAL_WORDS | lexicon.PLACE_WORDS) - ambiguous)


COMMON_ENGLISH_RANK = 15000  # more frequent than this: an ordinary word unless the census ranks it as a top surname
TOP_SURNAME_RANK = 3000


class Lexicon:
    """Look-ups over the given-name, surname, English and stop-word lists."""

    def __init__(self, first_names: frozenset[str] | None = None):
        self.given = first_names if first_names is not None else shipped_first_names()
        self.surnames = surname_ranks()
        self.english = english_ranks()
        self.stop = stop_words()
        self.given_raw = census_given()
        self._memo_stop: dict[str, bool] = {}
        self._memo_ish: dict[str, bool] = {}

    def _parts(self, tok: str) -> list[str]:
        return [p for p in re.split(r"[-'’]", fold(tok)) if p] or [fold(tok)]

    def is_stop(self, tok: str) -> bool:
        hit = self._memo_stop.get(tok)
        if hit is None:
            f = fold(tok).strip("'")
            hit = self._memo_stop[tok] = f in self.stop or f.removesuffix("'s") in self.stop
        return hit

    def common(self, word: str) -> bool:
        r = self.english.get(word)
        return r is not None and r < COMMON_ENGLISH_RANK

    def is_given(self, tok: str) -> bool:
        """A known given name (each part of a hyphenated one) that is not a frequent English word."""
        if self.is_stop(tok):
            return False
        parts = self._parts(tok)
        if len(parts) > 1 and "-" in tok:
            # compound given names: one known part is enough when no part is an English word (Witold-Stéphane)
            return any(p in self.given for p in parts) and all(p in self.given or p not in self.english for p in parts)
        return all(p in self.given and (self.english.get(p, 10**9) >= 1000) for p in parts)

    def is_surname_like(self, tok: str) -> bool:
        """A census surname that is not an ordinary English word, or a word that is not English at all."""
        if self.is_stop(tok) or len(tok) < 2:
            return False
        for p in self._parts(tok):
            if len(p) < 2 and p not in ("o", "d"):
                continue
            sr = self.surnames.get(p)
            er = self.english.get(p)
            if p in self.stop:
                return False
            if sr is not None and (sr < TOP_SURNAME_RANK or er is None or er >= COMMON_ENGLISH_RANK):
                continue
            if er is None and p not in self.given:
                continue  # not an English word (Kowalczyk, Raghunathan)
            if p in self.given and (er is None or er >= 1500):
                continue
            return False
        return True

    def on_list(self, tok: str) -> bool:
        """On a given-name or surname list at any frequency (Gang, Pan, Li): evidence only next to another name word."""
        return not self.is_stop(tok) and all(p in self.given or p in self.surnames for p in self._parts(tok))

    def is_name_word(self, tok: str) -> bool:
        return self.is_given(tok) or self.is_surname_like(tok)

    def name_ish(self, tok: str) -> bool:
        """Worth a look by the NER model."""
        hit = self._memo_ish.get(tok)
        if hit is None:
            hit = self._memo_ish[tok] = not self.is_stop(tok) and self.is_name_word(tok)
        return hit


@functools.lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped lists, built once per process (with its look-up memo)."""
    return Lexicon()
