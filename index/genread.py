"""Reading a generation's chunks.db: the one place its tables are queried, returning typed rows.

The schema and the builder live in index/generation.py; index/keyword.py owns the keyword-leg tables. Search,
answers, the knowledge base, evaluation, benchmarks and tests read a generation through `GenerationReader`, so a
change of schema is made here and nowhere else.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .keyword import POSTING_ROWS, has_impacts, keyword_search, load_postings
from .types import SearchFilters

_DOC_META = "doc_id, title, doc_type, source, published, reviewed, tags, filename, basis, content_hash, n_chunks"
_DOC_FULL = _DOC_META + ", text, sections, original, parser_version"
_CHUNK = 'chunk_id, doc_id, ordinal, text, start, "end", section, heading_path, page, kind, index_text'


@dataclass
class DocRow:
    """A document as a generation stores it; text, sections (JSON) and original are filled by full reads only."""

    doc_id: str
    title: str
    doc_type: str
    source: str
    published: str
    reviewed: str
    tags: list[str]
    filename: str
    basis: str
    content_hash: str
    n_chunks: int
    text: str = ""
    sections: str = "[]"
    original: dict | None = None
    parser_version: int = 0

    @classmethod
    def from_row(cls, r: tuple) -> "DocRow":
        doc = cls(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8], r[9], int(r[10] or 0))
        if len(r) > 11:
            doc.text, doc.sections = r[11], r[12]
            doc.original = json.loads(r[13]) if r[13] else None
            doc.parser_version = int(r[14] or 0)
        return doc


@dataclass
class ChunkRow:
    """One chunk of a generation; chunk_id is its row in the vector index."""

    chunk_id: int
    doc_id: str
    ordinal: int
    text: str
    start: int
    end: int
    section: str
    heading_path: list[str]
    page: int | None
    kind: str = "text"
    index_text: str = ""

    @classmethod
    def from_row(cls, r: tuple) -> "ChunkRow":
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9] or "text", r[10] or "")


@dataclass
class BlockRow:
    """A typed block (paragraph, heading, list item, table...) of a document, by its span in the text."""

    kind: str
    start: int
    end: int
    level: int | None
    depth: int | None
    number: int | None
    page: int | None
    heading_path: list[str]
    header: bool
    rows: list[list[str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The block as the API and the web app show it."""
        return {"kind": self.kind, "start": self.start, "end": self.end, "level": self.level, "depth": self.depth,
                "number": self.number, "page": self.page, "heading_path": self.heading_path,
                "heading": " › ".join(self.heading_path), "header": self.header, "rows": self.rows}


@dataclass
class UnitRow:
    """An answer unit (a sentence, list item, table row or definition) with the features stored at build."""

    unit_id: int
    chunk_id: int
    start: int
    end: int
    role: str
    advice: int
    in_case: int
    amount: int
    imperative: int
    context: str
    stems: str
    pops: int

    def as_tuple(self) -> tuple:
        return (self.unit_id, self.chunk_id, self.start, self.end, self.role, self.advice, self.in_case,
                self.amount, self.imperative, self.context, self.stems, self.pops)


def filter_sql(f: SearchFilters) -> tuple[str, list]:
    """A WHERE clause over docs `d` for the filters, and its parameters."""
    clauses, params = [], []
    if f.doc_types:
        clauses.append(f"d.doc_type IN ({','.join('?' * len(f.doc_types))})")
        params += list(f.doc_types)
    if f.sources:
        clauses.append(f"d.source IN ({','.join('?' * len(f.sources))})")
        params += list(f.sources)
    if f.tags:
        clauses.append(f"EXISTS (SELECT 1 FROM doc_tags t WHERE t.doc_id = d.doc_id AND t.tag IN "
                       f"({','.join('?' * len(f.tags))}))")
        params += [t.lower() for t in f.tags]
    if f.date_from:
        clauses.append("d.published >= ? AND d.published != ''")
        params.append(f.date_from)
    if f.date_to:
        clauses.append("d.published <= ? AND d.published != ''")
        params.append(f.date_to)
    return (" AND ".join(clauses) or "1"), params


def _marks(n: int) -> str:
    return ",".join("?" * n)


class GenerationReader:
    """Typed, read-only queries over one generation's database (a verified in-memory copy, or a file on disk)."""

    def __init__(self, connect: Callable[[], sqlite3.Connection],
                 postings: tuple[np.ndarray, np.ndarray] | None = None):
        self._connect = connect
        self._impacts: bool | None = None
        self.postings = postings  # the keyword leg's runs (index/keyword.py); None: kept as blobs, or none at all

    @classmethod
    def open_file(cls, path: Path) -> "GenerationReader":
        """A reader on a chunks.db file as it is on disk (unverified: for benchmarks checking served answers)."""
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        beside = Path(path).parent
        return cls(lambda: conn, load_postings(beside) if (beside / POSTING_ROWS).exists() else None)

    def close(self) -> None:
        self._connect().close()

    @property
    def _db(self) -> sqlite3.Connection:
        return self._connect()

    # -- documents -----------------------------------------------------------------------------
    def document(self, doc_id: str) -> DocRow | None:
        """One document with its text, sections and original-file record."""
        row = self._db.execute(f"SELECT {_DOC_FULL} FROM docs WHERE doc_id = ?", (doc_id,)).fetchone()
        return DocRow.from_row(row) if row else None

    def documents(self, full: bool = False) -> list[DocRow]:
        """Every document in doc_id order (metadata only unless full)."""
        cols = _DOC_FULL if full else _DOC_META
        return [DocRow.from_row(r) for r in self._db.execute(f"SELECT {cols} FROM docs ORDER BY doc_id")]

    def facets(self, limit: int) -> dict[str, list[str]]:
        """Values the filters can take: every doc type, and the `limit` most used sources and tags."""
        db = self._db
        return {"doc_types": [r[0] for r in db.execute("SELECT DISTINCT doc_type FROM docs ORDER BY 1")],
                "sources": sorted(r[0] for r in db.execute(
                    "SELECT source FROM docs WHERE source != '' GROUP BY source ORDER BY COUNT(*) DESC, source LIMIT ?",
                    (limit,))),
                "tags": sorted(r[0] for r in db.execute(
                    "SELECT tag FROM doc_tags GROUP BY tag ORDER BY COUNT(*) DESC, tag LIMIT ?", (limit,)))}

    def blocks(self, doc_id: str, start: int = 0, end: int | None = None) -> list[BlockRow]:
        """The typed blocks of a document overlapping text[start:end], in order."""
        end = (1 << 62) if end is None else end
        rows = self._db.execute(
            'SELECT kind, start, "end", level, depth, number, page, heading_path, header, rows FROM blocks '
            'WHERE doc_id = ? AND start < ? AND "end" > ? ORDER BY start', (doc_id, end, start)).fetchall()
        return [BlockRow(k, s, e, lv, dp, n, p, json.loads(h), bool(hd), json.loads(r) if r else [])
                for k, s, e, lv, dp, n, p, h, hd, r in rows]

    # -- chunks --------------------------------------------------------------------------------
    def chunks(self, ids: Iterable[int] | None = None, doc_id: str | None = None) -> list[ChunkRow]:
        """Chunks by id (in the order given, missing ones left out), of one document, or all, in chunk-id order."""
        if ids is not None:
            ids = list(ids)
            found: dict[int, ChunkRow] = {}
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                for r in self._db.execute(f"SELECT {_CHUNK} FROM chunks WHERE chunk_id IN ({_marks(len(part))})",
                                          part):
                    found[r[0]] = ChunkRow.from_row(r)
            return [found[i] for i in ids if i in found]
        if doc_id is not None:
            rows = self._db.execute(f"SELECT {_CHUNK} FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,))
        else:
            rows = self._db.execute(f"SELECT {_CHUNK} FROM chunks ORDER BY chunk_id")
        return [ChunkRow.from_row(r) for r in rows]

    def with_docs(self, ids: Iterable[int]) -> list[tuple[ChunkRow, DocRow]]:
        """Chunks by id (in the order given, missing ones left out), each with its document's metadata."""
        ids = list(ids)
        if not ids:
            return []
        cols = ", ".join(f"c.{c.strip()}" for c in _CHUNK.split(",")) + ", " + \
            ", ".join(f"d.{c.strip()}" for c in _DOC_META.split(","))
        found = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            for r in self._db.execute(f"SELECT {cols} FROM chunks c JOIN docs d ON d.doc_id = c.doc_id "
                                      f"WHERE c.chunk_id IN ({_marks(len(part))})", part):
                found[r[0]] = (ChunkRow.from_row(r[:11]), DocRow.from_row(r[11:]))
        return [found[i] for i in ids if i in found]

    def chunk_count(self) -> int:
        """How many chunks the generation holds (one query: touches the database without reading the texts)."""
        return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def doc_of(self, ids: Iterable[int] | None = None) -> dict[int, str]:
        """chunk_id -> doc_id for the given chunks (all when None)."""
        if ids is None:
            return dict(self._db.execute("SELECT chunk_id, doc_id FROM chunks").fetchall())
        ids = list(ids)
        if not ids:
            return {}
        return dict(self._db.execute(f"SELECT chunk_id, doc_id FROM chunks WHERE chunk_id IN ({_marks(len(ids))})",
                                     ids).fetchall())

    def chunk_ids(self, filters: SearchFilters) -> np.ndarray:
        """Ids of the chunks whose document passes the filters."""
        where, params = filter_sql(filters)
        rows = self._db.execute(f"SELECT c.chunk_id FROM chunks c JOIN docs d ON d.doc_id = c.doc_id WHERE {where}",
                                params).fetchall()
        return np.array([r[0] for r in rows], dtype="int64")

    # -- keyword leg ---------------------------------------------------------------------------
    def has_impacts(self) -> bool:
        """Whether the generation stores precomputed keyword contributions (older ones do not), asked once."""
        if self._impacts is None:
            self._impacts = has_impacts(self._db)
        return self._impacts

    def keyword(self, match: str, n: int, weights: tuple[float, ...], filters: SearchFilters, n_rows: int,
                allowed: np.ndarray | None = None, use_impacts: bool = True) -> list[tuple[int, float]]:
        """Top-n (chunk_id, bm25 score) for an FTS5 OR-query, restricted to the filters; [] on a query FTS5 rejects."""
        where, params = filter_sql(filters)
        params = params if filters.active else []
        restrict = "" if not filters.active else (
            f" AND rowid IN (SELECT c.chunk_id FROM chunks c JOIN docs d ON d.doc_id = c.doc_id WHERE {where})")
        try:
            if use_impacts and self.has_impacts():  # frequent terms precomputed at build: same ranking, faster
                return keyword_search(self._db, match.split(" OR "), n, weights, n_rows, restrict, params, allowed,
                                      self.postings)
            wt, ws, wb = weights
            rows = self._db.execute(
                f"SELECT rowid, -bm25(chunks_fts, {wt}, {ws}, {wb}) AS s FROM chunks_fts WHERE chunks_fts MATCH ?"
                f"{restrict} ORDER BY bm25(chunks_fts, {wt}, {ws}, {wb}) LIMIT ?", [match, *params, n]).fetchall()
        except sqlite3.OperationalError:
            return []
        return [(int(r), float(s)) for r, s in rows]

    def plain_fts(self, match: str, n: int) -> list[int]:
        """FTS5's own ranking for an OR-query, nothing else: the floor a benchmark compares the keyword leg with."""
        return [r[0] for r in self._db.execute(
            "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?", (match, n))]

    # -- answers and spelling ------------------------------------------------------------------
    def units(self, chunk_ids: Iterable[int] | None = None) -> list[UnitRow]:
        """The answer units of the given chunks (all when None), in unit-id order."""
        return [UnitRow(*r) for r in self.unit_tuples(chunk_ids)]

    def unit_tuples(self, chunk_ids: Iterable[int] | None = None) -> list[tuple]:
        """units() as plain tuples in UnitRow's field order: what the answer stage reads on every search."""
        cols = 'unit_id, chunk_id, start, "end", role, advice, in_case, amount, imperative, context, stems, pops'
        if chunk_ids is None:
            return self._db.execute(f"SELECT {cols} FROM units ORDER BY unit_id").fetchall()
        ids = list(chunk_ids)
        return self._db.execute(f"SELECT {cols} FROM units WHERE chunk_id IN ({_marks(len(ids))}) "
                                "ORDER BY unit_id", ids).fetchall()

    def passages(self, ids: Iterable[int]) -> dict[int, tuple[str, str, str]]:
        """chunk id -> (text, document title, doc_id): the little of with_docs() the answer stage needs."""
        ids = list(ids)
        if not ids:
            return {}
        return {r[0]: r[1:] for r in self._db.execute(
            f"SELECT c.chunk_id, c.text, d.title, d.doc_id FROM chunks c JOIN docs d ON d.doc_id = c.doc_id "
            f"WHERE c.chunk_id IN ({_marks(len(ids))})", ids)}

    def terms(self) -> dict[str, int]:
        """The term dictionary (word -> occurrences); empty for a generation built before it existed."""
        try:
            return dict(self._db.execute("SELECT term, n FROM terms").fetchall())
        except sqlite3.OperationalError:
            return {}
