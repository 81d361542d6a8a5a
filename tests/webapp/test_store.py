"""webapp.db has one owner: db.py (connection, schema version) and store.py (every query)."""
from __future__ import annotations

import sqlite3

import pytest

from kb_errors import KBError
from webapp.db import SCHEMA_VERSION, connect, init_schema

# webapp.db as the first release made it: no session versions, no feedback reason or passage offsets.
FIRST_RELEASE = """
CREATE TABLE users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, query_hash TEXT NOT NULL,
    query TEXT NOT NULL, doc_id TEXT NOT NULL, chunk_id INTEGER NOT NULL, generation TEXT NOT NULL,
    verdict TEXT NOT NULL);
INSERT INTO users VALUES ('ada', 'hash', 'admin', '2025-01-01T00:00:00+00:00');
INSERT INTO feedback VALUES (1, '2025-01-02T00:00:00+00:00', 'h', '', 'doc', 3, 'g1', 'helpful');
"""


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}


def test_a_new_webapp_db_records_its_schema_version(tmp_path):
    path = tmp_path / "webapp.db"
    init_schema(path)
    init_schema(path)  # every worker runs it at start-up
    assert connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 1


def test_an_unversioned_webapp_db_is_brought_up_to_date_keeping_its_rows(tmp_path):
    path = tmp_path / "webapp.db"
    old = sqlite3.connect(path)
    old.executescript(FIRST_RELEASE)
    old.close()
    init_schema(path)
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert {"session_version"} <= _columns(conn, "users")
    assert {"reason", "start", "end"} <= _columns(conn, "feedback")
    assert "api_tokens" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tuple(conn.execute("SELECT name, role, session_version FROM users").fetchone()) == ("ada", "admin", 0)
    assert tuple(conn.execute("SELECT doc_id, reason FROM feedback").fetchone()) == ("doc", "")


def test_a_webapp_db_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "webapp.db"
    init_schema(path)
    connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(KBError, match="newer than this program"):
        init_schema(path)
