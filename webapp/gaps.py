"""What physicians ask that the knowledge base cannot answer, counted per day so curators know what to add.

Counts only, by default; the question text is kept only when the operator turned on KB_LOG_QUERIES=1.
"""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

from . import store

LABELS = {
    "no_results": "Found nothing",
    "out_of_scope": "Not covered by the knowledge base",
    "no_direct_answer": "No direct answer (sources only)",
}


def gap_status(result: Any) -> str | None:
    """The gap a search result shows, from its answer status when the search reports one, else from its hits."""
    if not getattr(result, "hits", None):
        return "no_results"
    status = getattr(result, "answer_status", None)
    return status if status in ("out_of_scope", "no_direct_answer") else None


def record(conn: sqlite3.Connection, result: Any, query: str, keep_text: bool) -> str | None:
    """Count one search if it is a gap (and keep its text only when keep_text); returns the gap status."""
    status = gap_status(result)
    if status is None:
        return None
    store.count_gap(conn, status, query if keep_text else None)
    return status


def summary(conn: sqlite3.Connection, days: int = 30, today: date | None = None) -> dict:
    """Totals per status over the last `days` days, a per-day table, and recent questions if any were kept."""
    since = ((today or date.today()) - timedelta(days=days - 1)).isoformat()
    totals = {s: 0 for s in LABELS}
    per_day: dict[str, dict[str, int]] = {}
    for day, status, n in store.gap_counts(conn, since):
        totals[status] = totals.get(status, 0) + n
        per_day.setdefault(day, {s: 0 for s in LABELS})[status] = n
    queries = [{"created": created, "status": status, "query": query}
               for created, status, query in store.gap_queries(conn, since)]
    return {"since": since, "days": days, "totals": totals, "per_day": sorted(per_day.items(), reverse=True),
            "queries": queries, "labels": LABELS}
