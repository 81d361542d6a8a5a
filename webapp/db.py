"""webapp.db (sqlite3): the connection, the schema and its version, and the one transaction helper.

Together with ``store.py`` (every query, one section per table) this is the one owner of webapp.db: no other
module under webapp/ writes SQL against it (tests/webapp/test_store.py checks).  Shared by all worker processes.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Iterator

from flask import Flask, current_app, g

from kb_errors import KBError

# PRAGMA user_version. 1: schema.sql with users.session_version and feedback reason/start/end; a webapp.db made
# before versions were recorded (user_version 0) is brought to 1 column by column, keeping every row. A later
# change to schema.sql bumps this and says here how an older file is brought up to it.
SCHEMA_VERSION = 1


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


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error, so a change of several rows is all or nothing;
    a nested call joins the open transaction."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (a full disk)
            conn.execute("ROLLBACK")
        raise


def init_schema(path: str | Path) -> None:
    """Create the tables or bring an older webapp.db up to SCHEMA_VERSION; idempotent, so every worker may run it
    at start-up (two workers racing here both end with the same schema)."""
    conn = connect(path)
    try:
        have = conn.execute("PRAGMA user_version").fetchone()[0]
        if have == SCHEMA_VERSION:
            return
        if have > SCHEMA_VERSION:
            raise KBError(f"{path} has schema version {have}, newer than this program's ({SCHEMA_VERSION}): "
                          "upgrade Practice Partner")
        conn.executescript(resources.files("webapp").joinpath("schema.sql").read_text())  # CREATE ... IF NOT EXISTS
        with transaction(conn):
            _add_columns(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    finally:
        conn.close()


# Columns added before versions were recorded: (table, column, declaration). Added in place to an older webapp.db.
ADDED_COLUMNS = (
    ("users", "session_version", "INTEGER NOT NULL DEFAULT 0"),
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

