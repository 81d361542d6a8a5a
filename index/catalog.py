"""The mutable catalogue: stored documents, their chunks, cached embeddings and the quarantine.

The one owner of catalog.db (schema, migrations, transactions), a little over ~300 lines on purpose: every
statement against that file lives here, so a schema change is made and reviewed in one place.
"""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ingest.models import Chunk, Document, DocumentMeta, Section, sections_from_json, sections_to_json

SCHEMA_VERSION = 2  # PRAGMA user_version; 1: the first release's tables, 2: original files, chunk kinds
SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
  doc_id TEXT PRIMARY KEY, title TEXT, doc_type TEXT, source TEXT, published TEXT, reviewed TEXT,
  tags TEXT, filename TEXT, basis TEXT, text TEXT, sections TEXT, content_hash TEXT,
  origin TEXT, added_at REAL, updated_at REAL, original TEXT DEFAULT '', parser_version INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS chunks (
  doc_id TEXT, ordinal INTEGER, text TEXT, start INTEGER, "end" INTEGER, heading_path TEXT, page INTEGER,
  n_tokens INTEGER, kind TEXT DEFAULT 'text', index_text TEXT DEFAULT '', PRIMARY KEY (doc_id, ordinal));
CREATE TABLE IF NOT EXISTS embeddings (model TEXT, key TEXT, vector BLOB, PRIMARY KEY (model, key));
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, fingerprint TEXT, doc_ids TEXT);
CREATE TABLE IF NOT EXISTS quarantine (
  qid INTEGER PRIMARY KEY AUTOINCREMENT, filename TEXT, origin TEXT, created REAL, report TEXT, documents TEXT,
  fingerprint TEXT);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
"""


def doc_to_json(doc: Document) -> str:
    m = doc.meta
    return json.dumps({"meta": {**m.__dict__, "tags": list(m.tags)}, "text": doc.text,
                       "sections": [s.to_json() for s in doc.sections]})


def doc_from_json(data: str) -> Document:
    d = json.loads(data)
    meta = DocumentMeta(**{**d["meta"], "tags": tuple(d["meta"]["tags"])})
    return Document(meta, d["text"], [Section.from_json(item) for item in d["sections"]])


class Catalog:
    """SQLite in KB_HOME/catalog.db; every change bumps a version that generations record."""

    @classmethod
    def open(cls, home: Path) -> "Catalog":
        """The catalogue of the KB at `home` (created when new); KBError names a busy or unreadable one."""
        from .errors import KBError

        home.mkdir(parents=True, exist_ok=True)
        path = home / "catalog.db"
        try:
            return cls(path)
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise KBError(f"the catalogue {path} is busy: another process holds it (a backup or a sqlite3 "
                              "shell?); close it and try again") from exc
            raise KBError(f"the catalogue {path} cannot be opened ({exc})") from exc

    def __init__(self, path: Path):
        self.path = path
        # a short busy wait: a catalogue held by another process is reported as busy within seconds, not 30 s
        self.db = sqlite3.connect(str(path), timeout=5, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self._migrate()

    # Schema changes after the first release, by the version they bring the catalogue to. Each keeps every
    # document; a catalogue made before versions were recorded (user_version 0) is checked column by column.
    MIGRATIONS: dict[int, tuple[tuple[str, str, str], ...]] = {
        2: (("documents", "original", "TEXT DEFAULT ''"), ("documents", "parser_version", "INTEGER DEFAULT 0"),
            ("chunks", "kind", "TEXT DEFAULT 'text'"), ("chunks", "index_text", "TEXT DEFAULT ''")),
    }

    def _migrate(self) -> None:
        """Create the tables, or bring an older catalogue up to SCHEMA_VERSION in place, in one transaction."""
        have = self.db.execute("PRAGMA user_version").fetchone()[0]
        if have == SCHEMA_VERSION:
            return
        if have > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"catalogue schema version {have} is newer than this program "
                                        f"({SCHEMA_VERSION}): upgrade Practice Partner")
        with self.transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            for version in sorted(v for v in self.MIGRATIONS if v > have):
                for table, column, decl in self.MIGRATIONS[version]:
                    columns = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
                    if column not in columns:
                        self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error; a nested call joins the open transaction."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException:
            # undo unless SQLite already did (on a full disk it does, and a second ROLLBACK would replace the
            # real cause with "cannot rollback - no transaction is active")
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    # -- state ---------------------------------------------------------------------------------
    def get_state(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_state(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, value))

    @property
    def version(self) -> int:
        return int(self.get_state("version", "0"))

    def bump(self) -> None:
        self.set_state("version", str(self.version + 1))

    # -- documents -----------------------------------------------------------------------------
    def content_hash(self, doc_id: str) -> str | None:
        row = self.db.execute("SELECT content_hash FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    DOC_COLUMNS = ("doc_id", "title", "doc_type", "source", "published", "reviewed", "tags", "filename", "basis",
                   "text", "sections", "content_hash", "origin", "added_at", "updated_at", "original",
                   "parser_version")

    def _insert_document(self, values: tuple) -> None:
        self.db.execute(f"INSERT OR REPLACE INTO documents ({', '.join(self.DOC_COLUMNS)}) "
                        f"VALUES ({','.join('?' * len(self.DOC_COLUMNS))})", values)

    def upsert(self, doc: Document, chunks: list[Chunk], origin: str, original: dict | None = None,
               parser_version: int | None = None) -> None:
        """Store a document and its chunks; the original-file record and parser version are kept when not given."""
        m = doc.meta
        now = time.time()
        with self.transaction():
            old = self.db.execute("SELECT added_at, original, parser_version FROM documents WHERE doc_id=?",
                                  (m.doc_id,)).fetchone()
            self._insert_document(
                (m.doc_id, m.title, m.doc_type, m.source, m.published, m.reviewed, json.dumps(list(m.tags)),
                 m.filename, m.basis, doc.text, sections_to_json(doc.sections), doc.content_hash, origin,
                 old[0] if old else now, now,
                 json.dumps(original) if original else (old[1] if old else ""),
                 parser_version if parser_version is not None else (old[2] if old else 0)))
            self._write_chunks(m.doc_id, chunks)
            self.bump()

    def _write_chunks(self, doc_id: str, chunks: list[Chunk]) -> None:
        self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        self.db.executemany(
            'INSERT INTO chunks (doc_id, ordinal, text, start, "end", heading_path, page, n_tokens, kind, index_text) '
            'VALUES (?,?,?,?,?,?,?,?,?,?)',
            [(c.doc_id, c.ordinal, c.text, c.start, c.end, json.dumps(list(c.heading_path)), c.page, c.n_tokens,
              c.kind, c.index_text) for c in chunks])

    def replace_chunks(self, doc_id: str, chunks: list[Chunk]) -> None:
        """Store a document's chunks again (new chunking parameters); the caller bumps the version once."""
        with self.transaction():
            self._write_chunks(doc_id, chunks)

    def update_meta(self, doc_id: str, fields: dict) -> bool:
        allowed = {"title", "doc_type", "source", "published", "reviewed", "tags", "basis"}
        sets = {k: (json.dumps(list(v)) if k == "tags" else v) for k, v in fields.items() if k in allowed}
        if not sets:
            return False
        cur = self.db.execute(
            f"UPDATE documents SET {', '.join(f'{k}=?' for k in sets)}, updated_at=? WHERE doc_id=?",
            (*sets.values(), time.time(), doc_id))
        if cur.rowcount:
            self.bump()
        return bool(cur.rowcount)

    def delete(self, doc_id: str) -> bool:
        with self.transaction():
            cur = self.db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
            self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
            if cur.rowcount:
                self.bump()
        return bool(cur.rowcount)

    def doc_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT doc_id FROM documents ORDER BY doc_id")]

    def iter_documents(self):
        """Rows of every document with its chunks, in a stable order."""
        cols = ("doc_id", "title", "doc_type", "source", "published", "reviewed", "tags", "filename", "basis",
                "text", "sections", "content_hash", "original", "parser_version")
        for row in self.db.execute(f"SELECT {', '.join(cols)} FROM documents ORDER BY doc_id").fetchall():
            doc = dict(zip(cols, row))
            doc["tags"] = json.loads(doc["tags"])
            doc["original"] = json.loads(doc["original"]) if doc["original"] else None
            doc["parser_version"] = int(doc["parser_version"] or 0)
            doc["chunks"] = [
                {"ordinal": o, "text": t, "start": s, "end": e, "heading_path": json.loads(h), "page": p,
                 "kind": k or "text", "index_text": it or ""}
                for o, t, s, e, h, p, k, it in self.db.execute(
                    'SELECT ordinal, text, start, "end", heading_path, page, kind, index_text FROM chunks '
                    'WHERE doc_id=? ORDER BY ordinal', (doc["doc_id"],))]
            yield doc

    def stale_documents(self, parser_version: int) -> list[tuple[str, str, dict | None]]:
        """(doc_id, origin, original record) of documents read by an older parser, for `kb reindex`."""
        return [(d, o or "", json.loads(r) if r else None) for d, o, r in self.db.execute(
            "SELECT doc_id, origin, original FROM documents WHERE COALESCE(parser_version, 0) < ? ORDER BY doc_id",
            (parser_version,))]

    def set_original(self, doc_id: str, original: dict, parser_version: int | None = None) -> None:
        """Record a document's original file (and the parser that read it) without touching its text."""
        self.db.execute("UPDATE documents SET original=?, parser_version=COALESCE(?, parser_version) WHERE doc_id=?",
                        (json.dumps(original), parser_version, doc_id))

    def original(self, doc_id: str) -> dict | None:
        row = self.db.execute("SELECT original FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def load_document(self, doc_id: str) -> Document | None:
        row = self.db.execute(
            "SELECT doc_id, title, doc_type, source, published, reviewed, tags, filename, basis, text, sections "
            "FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        if not row:
            return None
        meta = DocumentMeta(row[0], row[1], row[2], row[3], row[4], row[5], tuple(json.loads(row[6])), row[7], row[8])
        return Document(meta, row[9], sections_from_json(row[10]))

    def replace_all(self, docs: list[tuple[dict, list[dict]]]) -> None:
        """Make the catalogue hold exactly these documents (used by rollback)."""
        with self.transaction():
            self.db.execute("DELETE FROM documents")
            self.db.execute("DELETE FROM chunks")
            self.db.execute("DELETE FROM files")
            now = time.time()
            for d, chunks in docs:
                self._insert_document(
                    (d["doc_id"], d["title"], d["doc_type"], d["source"], d["published"], d["reviewed"],
                     json.dumps(d["tags"]), d["filename"], d["basis"], d["text"], d["sections"], d["content_hash"],
                     "rollback", now, now, json.dumps(d["original"]) if d.get("original") else "",
                     int(d.get("parser_version") or 0)))
                self.db.executemany(
                    'INSERT INTO chunks (doc_id, ordinal, text, start, "end", heading_path, page, n_tokens, kind, '
                    'index_text) VALUES (?,?,?,?,?,?,?,?,?,?)',
                    [(d["doc_id"], c["ordinal"], c["text"], c["start"], c["end"], json.dumps(c["heading_path"]),
                      c["page"], 0, c.get("kind", "text"), c.get("index_text", "")) for c in chunks])
            self.bump()

    # -- files (skip unchanged files without parsing) -------------------------------------------
    def file_entry(self, path: str) -> tuple[str, list[str]] | None:
        row = self.db.execute("SELECT fingerprint, doc_ids FROM files WHERE path=?", (path,)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def set_file(self, path: str, fingerprint: str, doc_ids: list[str]) -> None:
        self.db.execute("INSERT OR REPLACE INTO files VALUES (?,?,?)", (path, fingerprint, json.dumps(doc_ids)))

    def has_documents(self, doc_ids: list[str]) -> bool:
        if not doc_ids:
            return False
        q = ",".join("?" * len(doc_ids))
        return self.db.execute(f"SELECT COUNT(*) FROM documents WHERE doc_id IN ({q})", doc_ids).fetchone()[0] == len(doc_ids)

    # -- embeddings cache ----------------------------------------------------------------------
    def cached_vectors(self, model: str, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            q = ",".join("?" * len(part))
            for key, blob in self.db.execute(
                    f"SELECT key, vector FROM embeddings WHERE model=? AND key IN ({q})", (model, *part)):
                out[key] = np.frombuffer(blob, dtype="float32")
        return out

    def store_vectors(self, model: str, items: list[tuple[str, np.ndarray]]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?,?,?)",
                                [(model, k, v.astype("float32").tobytes()) for k, v in items])

    # -- quarantine ----------------------------------------------------------------------------
    def quarantine(self, filename: str, origin: str, report: list[dict], docs: list[Document],
                   fingerprint: str = "") -> int:
        """Hold a file for review; the same unchanged file is held once, not once per ingest."""
        row = self.db.execute("SELECT qid FROM quarantine WHERE origin=? AND fingerprint=?",
                              (origin, fingerprint)).fetchone()
        if row:
            return int(row[0])
        cur = self.db.execute(
            "INSERT INTO quarantine (filename, origin, created, report, documents, fingerprint) VALUES (?,?,?,?,?,?)",
            (filename, origin, time.time(), json.dumps(report), json.dumps([doc_to_json(d) for d in docs]),
             fingerprint))
        return int(cur.lastrowid)

    def quarantined(self) -> list[dict]:
        return [{"qid": q, "filename": f, "origin": o, "created": c, "reasons": json.loads(r)}
                for q, f, o, c, r in self.db.execute(
                    "SELECT qid, filename, origin, created, report FROM quarantine ORDER BY qid")]

    def take_quarantined(self, qid: int) -> tuple[dict, list[Document]] | None:
        row = self.db.execute("SELECT filename, origin, report, documents, fingerprint FROM quarantine WHERE qid=?",
                              (qid,)).fetchone()
        if not row:
            return None
        return ({"filename": row[0], "origin": row[1], "reasons": json.loads(row[2]), "fingerprint": row[4]},
                [doc_from_json(d) for d in json.loads(row[3])])

    def forget_files_of(self, doc_id: str) -> None:
        """Forget every remembered file that yielded this document, so its next ingest reads it again."""
        self.db.execute("DELETE FROM files WHERE doc_ids LIKE ?", (f'%"{doc_id}"%',))

    def drop_quarantined(self, qid: int) -> None:
        self.db.execute("DELETE FROM quarantine WHERE qid=?", (qid,))
