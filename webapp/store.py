"""Every query against webapp.db, one section per table: the web app and the `kb users|tokens` commands call these.

The connection, schema and its version are ``db.py``; nothing else under webapp/ writes SQL against webapp.db
(tests/webapp/test_store.py checks). Each function takes the connection first: the request's (``db.get_db()``),
a job thread's or the command line's own. Rows come back as the dataclasses below, never as cursors.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Sequence

from .db import now, transaction

# ---------------------------------------------------------------- audit: who did what, when, to which document


@dataclass(frozen=True)
class AuditEntry:
    """One audit row; ``detail`` is metadata (a JSON diff, a file name), never document or query text."""

    id: int
    created: str
    user: str
    action: str
    target: str
    detail: str


def audit(conn: sqlite3.Connection, user: str, action: str, target: str = "", detail: str = "") -> None:
    """Record a curator action: who, what, when, which document; the detail is cut to 500 characters."""
    conn.execute("INSERT INTO audit (created, user, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                 (now(), user, action, target, detail[:500]))


def audit_entries(conn: sqlite3.Connection, *, user: str = "", action: str = "", actions: Sequence[str] = (),
                  target: str = "", from_day: str = "", to_day: str = "", limit: int | None = 200,
                  newest_first: bool = True) -> list[AuditEntry]:
    """Audit rows matching every filter given (blank: no filter); ``target`` matches a substring, the days are
    YYYY-MM-DD and inclusive."""
    where: list[str] = []
    params: list[object] = []
    if user:
        where.append("user = ?")
        params.append(user)
    if action:
        where.append("action = ?")
        params.append(action)
    if actions:
        where.append(f"action IN ({','.join('?' * len(actions))})")
        params.extend(actions)
    if target:
        where.append("target LIKE ? ESCAPE '\\'")
        params.append("%" + target.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    if from_day:
        where.append("created >= ?")
        params.append(from_day)
    if to_day:
        where.append("created <= ?")
        params.append(to_day + "T23:59:59+99:99")  # after every stamp of that day, whatever its offset
    sql = ("SELECT id, created, user, action, target, detail FROM audit"
           + (" WHERE " + " AND ".join(where) if where else "")
           + (" ORDER BY id DESC" if newest_first else " ORDER BY id")
           + (f" LIMIT {int(limit)}" if limit is not None else ""))
    return [AuditEntry(*r) for r in conn.execute(sql, params)]


def audit_people(conn: sqlite3.Connection) -> list[str]:
    """Everyone who appears in the audit log, for the filter's choices."""
    return [r[0] for r in conn.execute("SELECT DISTINCT user FROM audit ORDER BY 1")]


def audit_actions(conn: sqlite3.Connection) -> list[str]:
    """Every action that appears in the audit log, for the filter's choices."""
    return [r[0] for r in conn.execute("SELECT DISTINCT action FROM audit ORDER BY 1")]
