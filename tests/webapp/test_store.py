"""webapp.db has one owner: db.py (connection, schema version) and store.py (every query)."""
from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import pytest

from kb_errors import KBError
from webapp import store
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


# ---------------------------------------------------------------- the rule: SQL against webapp.db lives in its owner

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
OWNERS = {"db.py", "store.py"}  # connection, schema and version; every query
SQL_CALLS = {"execute", "executemany", "executescript"}


def sql_calls(package: Path) -> list[str]:
    """`path:line` of every `x.execute(...)`-style call in the package's modules outside the owners."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.relative_to(package).as_posix() in OWNERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
                found.append(f"{path.relative_to(package).as_posix()}:{node.lineno}")
    return found


def test_only_the_owner_writes_sql_against_webapp_db():
    assert (WEBAPP / "store.py").exists() and sql_calls(WEBAPP) == []


def test_the_rule_catches_a_query_outside_the_owner(tmp_path):
    (tmp_path / "store.py").write_text("def f(conn):\n    conn.execute('SELECT 1')\n")
    (tmp_path / "views.py").write_text("def g(db):\n    return db.get().execute('DELETE FROM audit')\n")
    assert sql_calls(tmp_path) == ["views.py:2"]


# ---------------------------------------------------------------- a few queries whose edges the pages do not reach


@pytest.fixture
def conn(tmp_path):
    init_schema(tmp_path / "webapp.db")
    conn = connect(tmp_path / "webapp.db")
    yield conn
    conn.close()


def test_audit_filters_take_whole_days_and_match_targets_literally(conn, monkeypatch):
    for stamp, user, target in (("2026-01-01T23:59:59+00:00", "ada", "doc_1"),
                                ("2026-01-02T00:00:00+00:00", "cara", "taper 100%"),
                                ("2026-01-02T23:59:59+00:00", "cara", "doc-1"),
                                ("2026-01-03T00:00:00+00:00", "ada", "doc_1")):
        monkeypatch.setattr(store, "now", lambda stamp=stamp: stamp)
        store.audit(conn, user, "edit", target=target, detail="x" * 600)
    day = store.audit_entries(conn, from_day="2026-01-02", to_day="2026-01-02")
    assert [(e.id, e.target) for e in day] == [(3, "doc-1"), (2, "taper 100%")]  # newest first
    assert [e.id for e in store.audit_entries(conn, target="c_1")] == [4, 1]  # "_" is no wildcard: not doc-1
    assert [e.id for e in store.audit_entries(conn, target="0%")] == [2]
    assert [e.id for e in store.audit_entries(conn, user="ada", target="doc_1", limit=None, newest_first=False)] \
        == [1, 4]
    assert {len(e.detail) for e in store.audit_entries(conn)} == {500}
    assert store.audit_people(conn) == ["ada", "cara"] and store.audit_actions(conn) == ["edit"]


def test_a_gap_keeps_its_text_only_when_given(conn):
    store.count_gap(conn, "no_results")
    store.count_gap(conn, "no_results", "zzz kept")
    today = store.now()[:10]
    assert store.gap_counts(conn, today) == [(today, "no_results", 2)]
    assert [q[1:] for q in store.gap_queries(conn, today)] == [("no_results", "zzz kept")]
