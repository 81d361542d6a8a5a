"""webapp.db (sqlite3): accounts, feedback, audit log and job status, shared by all worker processes."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from flask import Flask, current_app, g


def now() -> str:
    """UTC timestamps in ISO form so the audit CSV sorts and reads the same everywhere."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def connect(path: str | Path) -> sqlite3.Connection:
    """Open with WAL and a busy timeout because several gunicorn workers and threads write concurrently."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def init_schema(path: str | Path) -> None:
    """Create the tables if missing; idempotent, so every worker may run it at start-up."""
    schema = resources.files("webapp").joinpath("schema.sql").read_text()
    conn = connect(path)
    try:
        conn.executescript(schema)
        columns = {r["name"] for r in conn.execute("PRAGMA table_info(users)")}
        if "session_version" not in columns:  # a webapp.db from before sessions were versioned
            try:
                conn.execute("ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0")
            except sqlite3.OperationalError:  # another worker added it first
                pass
        _add_columns(conn)
    finally:
        conn.close()


# Columns added after the first release: (table, column, declaration). Added in place to an older webapp.db.
ADDED_COLUMNS = (
    ("feedback", "reason", "TEXT NOT NULL DEFAULT ''"),
    ("feedback", "start", "INTEGER"),
    ("feedback", "end", "INTEGER"),
)


def _add_columns(conn: sqlite3.Connection) -> None:
    """Bring an older webapp.db up to date; two workers racing here both end with the column present."""
    for table, column, decl in ADDED_COLUMNS:
        have = {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            try:
                conn.execute(f'ALTER TABLE {table} ADD COLUMN "{column}" {decl}')
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):
                    raise


def get_db() -> sqlite3.Connection:
    """One connection per request context, closed at teardown (as in Flask's tutorial)."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(_e: BaseException | None = None) -> None:
    """Teardown hook."""
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_app(app: Flask) -> None:
    """Create the schema now and register the teardown."""
    init_schema(app.config["DATABASE"])
    app.teardown_appcontext(close_db)


def audit(user: str, action: str, target: str = "", detail: str = "") -> None:
    """Record a curator action: who, what, when, which document; never document or query text."""
    get_db().execute(
        "INSERT INTO audit (created, user, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (now(), user, action, target, detail[:500]),
    )
