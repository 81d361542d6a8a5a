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


# ---------------------------------------------------------------- jobs: background re-index runs and their progress


@dataclass(frozen=True)
class Job:
    """One background job: ``state`` is running, done or failed; ``result`` the sentence shown when it ends."""

    id: int
    kind: str
    user: str
    state: str
    stage: str
    done: int
    total: int
    result: str
    started: str
    finished: str


_JOB = "SELECT id, kind, user, state, stage, done, total, result, started, finished FROM jobs"


def start_job(conn: sqlite3.Connection, kind: str, user: str) -> int:
    """Record a job as running (stage "starting"); returns its id."""
    cur = conn.execute("INSERT INTO jobs (kind, user, state, stage, started) VALUES (?, ?, 'running', 'starting', ?)",
                       (kind, user, now()))
    return int(cur.lastrowid or 0)


def job_progress(conn: sqlite3.Connection, job_id: int, stage: str, done: int, total: int) -> None:
    """Where a running job is, for the status page any worker may serve."""
    conn.execute("UPDATE jobs SET stage = ?, done = ?, total = ? WHERE id = ?", (stage, done, total, job_id))


def finish_job(conn: sqlite3.Connection, job_id: int, state: str, result: str) -> None:
    """A job ended: ``state`` done or failed, with the sentence the curator reads."""
    conn.execute("UPDATE jobs SET state = ?, result = ?, finished = ? WHERE id = ?", (state, result, now(), job_id))


def fail_if_running(conn: sqlite3.Connection, job_id: int, result: str) -> None:
    """Mark a job failed unless it has ended meanwhile (a job whose server died)."""
    conn.execute("UPDATE jobs SET state = 'failed', result = ?, finished = ? WHERE id = ? AND state = 'running'",
                 (result, now(), job_id))


def get_job(conn: sqlite3.Connection, job_id: int) -> Job | None:
    """The job with this id, or None."""
    row = conn.execute(_JOB + " WHERE id = ?", (job_id,)).fetchone()
    return Job(*row) if row else None


def running_job(conn: sqlite3.Connection, kind: str) -> Job | None:
    """The latest job of this kind still marked running, or None."""
    row = conn.execute(_JOB + " WHERE kind = ? AND state = 'running' ORDER BY id DESC LIMIT 1", (kind,)).fetchone()
    return Job(*row) if row else None


def recent_jobs(conn: sqlite3.Connection, limit: int = 5) -> list[Job]:
    """The latest jobs, newest first, for the curator dashboard."""
    return [Job(*r) for r in conn.execute(_JOB + " ORDER BY id DESC LIMIT ?", (limit,))]


# ---------------------------------------------------------------- feedback: physicians' verdicts on results


@dataclass(frozen=True)
class FeedbackEntry:
    """A "not helpful" verdict as the report shows it; ``query`` is blank unless KB_LOG_QUERIES=1 kept it."""

    created: str
    query: str
    chunk_id: int
    generation: str
    reason: str
    start: int | None
    end: int | None


def record_feedback(conn: sqlite3.Connection, *, query_hash: str, query: str, doc_id: str, chunk_id: int,
                    generation: str, verdict: str, start: int | None, end: int | None) -> int:
    """Store one verdict on one result (the caller decides whether the query text is kept); returns its id."""
    cur = conn.execute(
        'INSERT INTO feedback (created, query_hash, query, doc_id, chunk_id, generation, verdict, start, "end") '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (now(), query_hash, query, doc_id, chunk_id, generation, verdict, start, end))
    return int(cur.lastrowid or 0)


def set_feedback_reason(conn: sqlite3.Connection, feedback_id: int, reason: str) -> None:
    """The reason a physician chose afterwards for a "not helpful"."""
    conn.execute("UPDATE feedback SET reason = ? WHERE id = ?", (reason, feedback_id))


def not_helpful_by_doc(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """(doc_id, how many "not helpful") per document, most complaints first, then the most recent."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT doc_id, COUNT(*) AS n, MAX(created) AS latest FROM feedback WHERE verdict = 'not_helpful' "
        "GROUP BY doc_id ORDER BY n DESC, latest DESC")]


def helpful_by_doc(conn: sqlite3.Connection) -> dict[str, int]:
    """How many "helpful" verdicts each document received."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT doc_id, COUNT(*) FROM feedback WHERE verdict = 'helpful' GROUP BY doc_id")}


def not_helpful_entries(conn: sqlite3.Connection, doc_id: str, limit: int = 50) -> list[FeedbackEntry]:
    """A document's latest "not helpful" verdicts, newest first."""
    return [FeedbackEntry(*r) for r in conn.execute(
        'SELECT created, query, chunk_id, generation, reason, start, "end" FROM feedback '
        "WHERE verdict = 'not_helpful' AND doc_id = ? ORDER BY created DESC LIMIT ?", (doc_id, limit))]


# ---------------------------------------------------------------- search gaps: searches without an answer


def count_gap(conn: sqlite3.Connection, status: str, query: str | None = None) -> None:
    """Count one search without an answer for today; its text is stored only when the caller passes it."""
    stamp = now()
    with transaction(conn):
        conn.execute("INSERT INTO search_gaps (day, status, n) VALUES (?, ?, 1) "
                     "ON CONFLICT(day, status) DO UPDATE SET n = n + 1", (stamp[:10], status))
        if query is not None:
            conn.execute("INSERT INTO search_gap_queries (created, status, query) VALUES (?, ?, ?)",
                         (stamp, status, query[:500]))


def gap_counts(conn: sqlite3.Connection, since_day: str) -> list[tuple[str, str, int]]:
    """(day, status, count) from ``since_day`` (YYYY-MM-DD) on, the latest day first."""
    return [(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT day, status, n FROM search_gaps WHERE day >= ? ORDER BY day DESC", (since_day,))]


def gap_queries(conn: sqlite3.Connection, since_day: str, limit: int = 200) -> list[tuple[str, str, str]]:
    """(created, status, query) of the kept question texts from ``since_day`` on, newest first."""
    return [(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT created, status, query FROM search_gap_queries WHERE created >= ? ORDER BY id DESC LIMIT ?",
        (since_day, limit))]
