"""Search parameters from a form or the API: checked once, with a message naming the field a user can fix.

Shared by the search page and the JSON API, which word the same problem for a form (field label)
or for a program (parameter name).
"""
from __future__ import annotations

from typing import Any

from index.types import SearchFilters
from kb_errors import KBError

from .render import parse_date

MAX_QUERY = 500
MAX_K = 50
DEFAULT_K = 10
MODES = ("hybrid", "dense", "bm25")  # as index.search.MODES (not imported: it pulls numpy)
DOC_TYPES = ("guideline", "echo-case", "other")

FIELD_LABELS = {"q": "Your clinical question", "k": "Number of results", "type": "Document type",
                "source": "Source", "tag": "Topic", "from": "Published from", "to": "Published to", "mode": "Mode"}
FILTER_PARAMS = ("q", "k", "type", "source", "tag", "from", "to", "mode")


class BadRequest(KBError, ValueError):
    """A request parameter a user can fix; shown as a 400 naming the field (page) or the parameter (API)."""

    status = 400

    def __init__(self, param: str, problem: str, valid: list[str] | None = None) -> None:
        self.param, self.problem, self.valid = param, problem, valid
        super().__init__(f"'{param}' {problem}")

    def page_message(self) -> str:
        """The same problem in the words of the form: the field's label instead of the parameter's name."""
        text = f"{FIELD_LABELS.get(self.param, self.param)} {self.problem}"
        for param, label in FIELD_LABELS.items():
            text = text.replace(f"'{param}'", label)
        return text + "."

    def to_json(self) -> dict:
        out: dict[str, Any] = {"error": str(self), "parameter": self.param}
        if self.valid is not None:
            out["valid"] = self.valid
        return out


def parse_k(raw: str | None) -> int:
    """k must be a whole number from 1 to MAX_K."""
    if raw is None or raw == "":
        return DEFAULT_K
    try:
        k = int(raw)
    except ValueError:
        raise BadRequest("k", f"must be a whole number from 1 to {MAX_K}") from None
    if not 1 <= k <= MAX_K:
        raise BadRequest("k", f"must be a whole number from 1 to {MAX_K}")
    return k


def parse_query(raw: str | None) -> str:
    """Reject missing, blank and oversized queries before they reach the index."""
    q = (raw or "").strip()
    if not q:
        raise BadRequest("q", "is missing or empty")
    if len(q) > MAX_QUERY:
        raise BadRequest("q", f"is longer than {MAX_QUERY} characters")
    return q


def parse_filters(args: Any, known: dict | None = None) -> SearchFilters:
    """type/source/tag may repeat and must name values the KB has; from/to are YYYY-MM-DD publication bounds.

    An unknown value is a 400 listing the valid ones: an empty 200 would read as "nothing on this topic".
    """

    def many(name: str) -> tuple[str, ...]:
        return tuple(v.strip() for v in args.getlist(name) if v and v.strip())

    valid = {"type": list(DOC_TYPES)}
    if known:
        valid.update(source=list(known.get("sources", [])), tag=list(known.get("tags", [])))
    for name, allowed in valid.items():
        if name != "type" and not allowed:
            continue  # the KB could not say (empty or unavailable): the search itself reports that
        for value in many(name):
            if value not in allowed:
                raise BadRequest(name, f"has no value '{value[:80]}'; valid values: {', '.join(allowed)}", allowed)
    date_from = (args.get("from") or "").strip()
    date_to = (args.get("to") or "").strip()
    for label, value in (("from", date_from), ("to", date_to)):
        if value and parse_date(value) is None:
            raise BadRequest(label, "must be a date written YYYY-MM-DD")
    if date_from and date_to and date_from > date_to:
        raise BadRequest("from", "is after 'to'")
    return SearchFilters(doc_types=many("type"), sources=many("source"), tags=many("tag"),
                         date_from=date_from, date_to=date_to)


def parse_mode(raw: str | None) -> str:
    mode = (raw or "hybrid").strip() or "hybrid"
    if mode not in MODES:
        raise BadRequest("mode", f"must be one of {', '.join(MODES)}", list(MODES))
    return mode
