"""What physicians ask that the knowledge base cannot answer, counted per day so curators know what to add.

Counts only, by default; the question text is kept only when the operator turned on KB_LOG_QUERIES=1.
"""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

from .db import now

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
    stamp = now()
    conn.execute("INSERT INTO search_gaps (day, status, n) VALUES (?, ?, 1) "
                 "ON CONFLICT(day, status) DO UPDATE SET n = n + 1", (stamp[:10], status))
    if keep_text:
        conn.execute("INSERT INTO search_gap_queries (created, status, query) VALUES (?, ?, ?)",
                     (stamp, status, query[:500]))
    return status


def summary(conn: sqlite3.Connection, days: int = 30, today: date | None = None) -> dict:
    """Totals per status over the last `days` days, a per-day table, and recent questions if any were kept."""
    since = ((today or date.today()) - timedelta(days=days - 1)).isoformat()
    rows = conn.execute("SELECT day, status, n FROM search_gaps WHERE day >= ? ORDER BY day DESC", (since,)).fetchall()
    totals = {s: 0 for s in LABELS}
    per_day: dict[str, dict[str, int]] = {}
    for r in rows:
        totals[r["status"]] = totals.get(r["status"], 0) + r["n"]
        per_day.setdefault(r["day"], {s: 0 for s in LABELS})[r["status"]] = r["n"]
    queries = conn.execute("SELECT created, status, query FROM search_gap_queries WHERE created >= ? "
                           "ORDER BY id DESC LIMIT 200", (since,)).fetchall()
    return {"since": since, "days": days, "totals": totals, "per_day": sorted(per_day.items(), reverse=True),
            "queries": [dict(q) for q in queries], "labels": LABELS}
