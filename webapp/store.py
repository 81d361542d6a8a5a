"""Every query against webapp.db, one section per table: the web app and the `kb users|tokens` commands call these.

The connection, schema and its version are ``db.py``; nothing else under webapp/ writes SQL against webapp.db
(tests/webapp/test_store.py checks). Each function takes the connection first: the request's (``db.get_db()``),
a job thread's or the command line's own. Rows come back as the dataclasses below, never as cursors. A little
over ~300 lines on purpose, like index/catalog.py: every statement against the file is here, so a schema change
is made and reviewed in one place.
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


# ---------------------------------------------------------------- users and failed logins


@dataclass(frozen=True)
class User:
    """An account without its password hash; ``session_version`` is signed into its session cookies."""

    name: str
    role: str
    created: str
    session_version: int


_USER = "SELECT name, role, created, session_version FROM users"


def save_user(conn: sqlite3.Connection, name: str, password_hash: str, role: str) -> None:
    """Create or replace an account; replacing ends its existing sessions (a new password or role)."""
    conn.execute("INSERT INTO users (name, password_hash, role, created) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT(name) DO UPDATE SET password_hash=excluded.password_hash, role=excluded.role, "
                 "session_version=users.session_version + 1", (name, password_hash, role, now()))


def delete_user(conn: sqlite3.Connection, name: str) -> bool:
    """Delete an account; True if it existed."""
    return conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount > 0


def get_user(conn: sqlite3.Connection, name: str) -> User | None:
    """The account with this name, or None."""
    row = conn.execute(_USER + " WHERE name = ?", (name,)).fetchone()
    return User(*row) if row else None


def all_users(conn: sqlite3.Connection) -> list[User]:
    """Every account, by name."""
    return [User(*r) for r in conn.execute(_USER + " ORDER BY name")]


def password_hash(conn: sqlite3.Connection, name: str) -> tuple[str, str] | None:
    """(argon2 hash, role) of an account, or None: only the password check reads the hash."""
    row = conn.execute("SELECT password_hash, role FROM users WHERE name = ?", (name,)).fetchone()
    return (row[0], row[1]) if row else None


def set_password_hash(conn: sqlite3.Connection, name: str, new_hash: str) -> None:
    """Replace a hash made with older argon2 parameters (its sessions stay valid: the password is the same)."""
    conn.execute("UPDATE users SET password_hash = ? WHERE name = ?", (new_hash, name))


def end_sessions(conn: sqlite3.Connection, name: str) -> None:
    """Bump the account's session version, so every cookie signed with the old one stops working."""
    conn.execute("UPDATE users SET session_version = session_version + 1 WHERE name = ?", (name,))


def login_failures(conn: sqlite3.Connection, account: str) -> tuple[int, float] | None:
    """(failures in a row, time of the last) for an account key (a hash of the typed name), or None."""
    row = conn.execute("SELECT failures, last FROM login_failures WHERE account = ?", (account,)).fetchone()
    return (row[0], row[1]) if row else None


def add_login_failure(conn: sqlite3.Connection, account: str, when: float) -> None:
    """One more wrong password for an account key, at ``when`` (seconds since the epoch)."""
    conn.execute("INSERT INTO login_failures (account, failures, last) VALUES (?, 1, ?) ON CONFLICT(account) "
                 "DO UPDATE SET failures = failures + 1, last = excluded.last", (account, when))


def clear_login_failures(conn: sqlite3.Connection, account: str) -> None:
    """A successful login: the account's back-off starts over."""
    conn.execute("DELETE FROM login_failures WHERE account = ?", (account,))


# ---------------------------------------------------------------- API tokens (only their SHA-256 is stored)


@dataclass(frozen=True)
class ApiToken:
    """A service's token without its hash; ``revoked`` and ``last_used`` are blank or a UTC stamp."""

    id: int
    name: str
    scope: str
    created: str
    created_by: str
    last_used: str
    revoked: str


_TOKEN = "SELECT id, name, scope, created, created_by, last_used, revoked FROM api_tokens"


def add_token(conn: sqlite3.Connection, name: str, token_hash: str, scope: str, created_by: str) -> int:
    """Store a new token's hash; returns its id."""
    cur = conn.execute("INSERT INTO api_tokens (name, token_hash, scope, created, created_by) VALUES (?, ?, ?, ?, ?)",
                       (name, token_hash, scope, now(), created_by))
    return int(cur.lastrowid or 0)


def all_tokens(conn: sqlite3.Connection) -> list[ApiToken]:
    """Every token, revoked ones included, oldest first."""
    return [ApiToken(*r) for r in conn.execute(_TOKEN + " ORDER BY id")]


def get_token(conn: sqlite3.Connection, token_id: int) -> ApiToken | None:
    """The token with this id, or None."""
    row = conn.execute(_TOKEN + " WHERE id = ?", (token_id,)).fetchone()
    return ApiToken(*row) if row else None


def revoke_token(conn: sqlite3.Connection, token_id: int) -> None:
    """Revoke a token now; a token already revoked keeps its first date."""
    conn.execute("UPDATE api_tokens SET revoked = ? WHERE id = ? AND revoked = ''", (now(), token_id))


def live_token(conn: sqlite3.Connection, token_hash: str) -> ApiToken | None:
    """The unrevoked token with this hash, or None."""
    row = conn.execute(_TOKEN + " WHERE token_hash = ? AND revoked = ''", (token_hash,)).fetchone()
    return ApiToken(*row) if row else None


def token_used(conn: sqlite3.Connection, token_id: int, when: str) -> None:
    """Record when a token was last presented."""
    conn.execute("UPDATE api_tokens SET last_used = ? WHERE id = ?", (when, token_id))
