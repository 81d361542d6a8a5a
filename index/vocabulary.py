"""The curator-editable clinical vocabulary: abbreviations, synonyms and brand names for query expansion."""
from __future__ import annotations

import re
from dataclasses import dataclass
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
        out: list[str] = []
        for group in self.groups:
            normed = [_norm(t) for t in group]
            if any(n and f" {n} " in q for n in normed):
                out.extend(t for t, n in zip(group, normed) if n and f" {n} " not in q)
        return list(dict.fromkeys(out))
