"""Screen configuration: site MRN patterns, the given-name list and which kinds to look for.

Kept apart from the detectors so a site file can be loaded (and rejected with a clear
message) without compiling any detector.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_MRN_PATTERNS = DATA_DIR / "mrn_patterns.txt"


def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file (word lists, pattern files)."""
    return path.read_text(encoding="utf-8").splitlines()


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
        return cls(mrn_patterns=cls.parse_patterns(read_lines(path), str(path)))


@functools.lru_cache(maxsize=1)
def default_config() -> ScreenConfig:
    """The shipped configuration, parsed once per process."""
    return ScreenConfig(
        mrn_patterns=ScreenConfig.parse_patterns(read_lines(DEFAULT_MRN_PATTERNS), str(DEFAULT_MRN_PATTERNS))
    )
