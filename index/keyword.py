"""The keyword leg's fast path: BM25 contributions of frequent terms precomputed at build time.

FTS5 finds the rows of an OR query quickly, but scores every matching row with bm25() at query time; a question
with a few common words ("pain", "treatment") matches tens of thousands of chunks at 100k, and scoring them was
~90 % of the keyword leg (BENCHMARKS.md). FTS5's bm25 of an OR query is a sum over its phrases of a contribution
that depends only on that phrase (its IDF over the whole table) and the row (weighted term frequency, length). So
for every term found in at least IMPACT_MIN_ROWS rows, the generation stores each row's contribution exactly as
FTS5 computes it (by running the one-term query once at build time), and a query adds those arrays with numpy;
rare terms still go through FTS5, which is cheap for them. The same holds for a phrase: the vocabulary's multi-word
terms ("chronic pain", "opioid use disorder") that are frequent get their contributions stored too (keyed by their
stems joined by spaces), since an expansion like "chronic pain" matches tens of thousands of rows at 100k and was
most of the slowest keyword queries; other phrases go through FTS5. The ranking is the same as the plain FTS5
query's.

Storage (this module owns it): the contributions themselves sit in two flat arrays beside chunks.db, kw_rows.npy
(int32 row ids) and kw_scores.npy (float64), one run per term, memory-mapped when served so that every worker
reads the same pages without copying them; chunks.db keeps the table term -> (rows, start of its run). Generations
built before kept each run as two blobs in that table, and are still read.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

IMPACT_MIN_ROWS = 256          # terms in at least this many rows get precomputed contributions
IMPACT_TABLE = "kw_impacts"
IMPACT_SCHEMA = f"CREATE TABLE {IMPACT_TABLE} (term TEXT PRIMARY KEY, n_rows INTEGER, start INTEGER) WITHOUT ROWID"
POSTING_ROWS = "kw_rows.npy"      # int32: the rows of every stored term, one run per term
POSTING_SCORES = "kw_scores.npy"  # float64: each row's bm25 contribution, aligned with POSTING_ROWS
_COPY_BLOCK = 1 << 24

_stem_local = threading.local()


def _stem_db() -> sqlite3.Connection:
    conn = getattr(_stem_local, "db", None)
    if conn is None:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.executescript("CREATE VIRTUAL TABLE q USING fts5(x, tokenize='porter unicode61');"
                           "CREATE VIRTUAL TABLE qv USING fts5vocab(q, 'instance');")
        _stem_local.db = conn
    return conn


@lru_cache(maxsize=65536)
def fts_tokens(word: str) -> tuple[str, ...]:
    """The terms FTS5's `porter unicode61` tokenizer makes of a word, as stored in the index."""
    db = _stem_db()
    db.execute("DELETE FROM q")
    db.execute("INSERT INTO q (rowid, x) VALUES (1, ?)", (word,))
    return tuple(r[0] for r in db.execute("SELECT term FROM qv ORDER BY offset"))


_SUFFIXES = ("", "e", "s", "es", "y", "ing", "ed", "al", "ion", "ation", "ate", "ic", "ive", "ous", "ment", "ness",
             "ity", "er", "ly", "ize", "ise", "ence", "ance", "ent", "ant", "able", "ible", "ism", "ist")


def surface_word(stem: str) -> str | None:
    """A word the tokenizer stems to `stem` (porter stems are not always fixed points: "caus" comes from "cause")."""
    for suffix in _SUFFIXES:
        if fts_tokens(stem + suffix) == (stem,):
            return stem + suffix
    return None


def bm25_sql(weights: tuple[float, ...]) -> str:
    return "bm25(chunks_fts, " + ", ".join(f"{w}" for w in weights) + ")"


def impact_key(phrase_words: list[str]) -> str | None:
    """The kw_impacts key of a phrase (its stems joined by spaces; one stem for a word), or None if it has none."""
    toks = fts_tokens(" ".join(phrase_words))
    return " ".join(toks) if toks else None


def build_impacts(db: sqlite3.Connection, weights: tuple[float, ...], out_dir: Path, min_rows: int | None = None,
                  progress=None, phrases: tuple[str, ...] | list[str] = ()) -> dict:
    """Store the bm25 contribution of every frequent term (and frequent phrase of `phrases`, each a string of
    lower-cased words as the keyword query quotes it) in every row: the runs go to out_dir's POSTING_ROWS and
    POSTING_SCORES, the term table to db; returns counts for the manifest."""
    min_rows = IMPACT_MIN_ROWS if min_rows is None else min_rows
    db.execute(IMPACT_SCHEMA)
    db.execute("CREATE VIRTUAL TABLE temp.kw_vocab USING fts5vocab(main, chunks_fts, 'row')")
    terms = [t for t, n in db.execute("SELECT term, doc FROM temp.kw_vocab WHERE doc >= ?", (min_rows,))]
    score = bm25_sql(weights)
    stored = stored_phrases = postings = 0
    raw_rows, raw_scores = out_dir / (POSTING_ROWS + ".raw"), out_dir / (POSTING_SCORES + ".raw")
    db.execute("BEGIN")
    with open(raw_rows, "wb") as f_rows, open(raw_scores, "wb") as f_scores:
        def store(key: str, match: str) -> bool:
            nonlocal postings
            rows = db.execute(f"SELECT rowid, -{score} FROM chunks_fts WHERE chunks_fts MATCH ?", (match,)).fetchall()
            if len(rows) < min_rows:
                return False
            f_rows.write(np.fromiter((r[0] for r in rows), dtype="<i4", count=len(rows)).tobytes())
            f_scores.write(np.fromiter((r[1] for r in rows), dtype="<f8", count=len(rows)).tobytes())
            db.execute(f"INSERT INTO {IMPACT_TABLE} VALUES (?,?,?)", (key, len(rows), postings))
            postings += len(rows)
            return True

        for i, term in enumerate(terms):
            # stored terms are stems; to ask FTS5 for one we need a word the tokenizer turns into exactly that stem
            word = surface_word(term)
            if word is not None:  # else left to FTS5 at query time
                stored += store(term, f'"{word}"')
            if progress and i % 500 == 0:
                progress("keyword", i + 1, len(terms))
        for phrase in dict.fromkeys(phrases):
            key = impact_key(phrase.split())
            if key is None or " " not in key:
                continue  # a single word is a term, above
            if not db.execute(f"SELECT 1 FROM {IMPACT_TABLE} WHERE term = ?", (key,)).fetchone():
                stored_phrases += store(key, f'"{phrase}"')
    db.execute("COMMIT")
    db.execute("DROP TABLE temp.kw_vocab")
    for raw, name, dtype in ((raw_rows, POSTING_ROWS, "<i4"), (raw_scores, POSTING_SCORES, "<f8")):
        _npy_from_raw(raw, out_dir / name, np.dtype(dtype), postings)
    return {"min_rows": min_rows, "terms": stored, "phrases": stored_phrases, "postings": postings}


def _npy_from_raw(raw: Path, path: Path, dtype: np.dtype, count: int) -> None:
    """The raw little-endian values as a .npy file (streamed: at a million chunks the runs hold ~1 GB)."""
    with open(path, "wb") as out, open(raw, "rb") as src:
        np.lib.format.write_array_header_1_0(out, {"descr": np.lib.format.dtype_to_descr(dtype),
                                                   "fortran_order": False, "shape": (count,)})
        while block := src.read(_COPY_BLOCK):
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    raw.unlink()


def load_postings(gen_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The generation's runs, memory-mapped (read-only: the pages are shared by every process that maps them)."""
    return (np.load(gen_dir / POSTING_ROWS, mmap_mode="r", allow_pickle=False),
            np.load(gen_dir / POSTING_SCORES, mmap_mode="r", allow_pickle=False))


def has_impacts(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (IMPACT_TABLE,)).fetchone() is not None


BINCOUNT_BATCH = 1 << 21  # contributions added per bincount: bounds the temporaries (~40 MB) a heavy question makes


def _batches(runs: list, limit: int) -> list[list]:
    """Consecutive groups of runs of at most `limit` contributions each (a longer run stays alone)."""
    out, size = [[]], 0
    for run in runs:
        if out[-1] and size + len(run[0]) > limit:
            out.append([])
            size = 0
        out[-1].append(run)
        size += len(run[0])
    return out if out[0] else []


def keyword_search(db: sqlite3.Connection, phrases: list[str], n: int, weights: tuple[float, ...], n_rows: int,
                   restrict_sql: str = "", restrict_params: list | None = None,
                   allowed: np.ndarray | None = None,
                   postings: tuple[np.ndarray, np.ndarray] | None = None) -> list[tuple[int, float]]:
    """Top-n (rowid, score) of the OR of `phrases` (FTS5 phrase strings, quoted), scored like bm25().

    postings: the generation's runs (load_postings); None for a generation that kept them as blobs in chunks.db.
    """
    lookup = (f"SELECT n_rows, start FROM {IMPACT_TABLE} WHERE term = ?" if postings is not None else
              f"SELECT rowids, scores FROM {IMPACT_TABLE} WHERE term = ?")
    frequent: dict[str, list] = {}  # key -> [rowids, scores, times asked]
    rest = []
    for phrase in phrases:
        key = impact_key(phrase.strip('"').split())
        if key is not None:
            if key in frequent:  # "opioid" and its expansion "opioids" are one stem: FTS5 counts it twice too
                frequent[key][2] += 1
                continue
            row = db.execute(lookup, (key,)).fetchone()
            if row is not None:
                if postings is not None:
                    count, start = row
                    run = slice(start, start + count)
                    frequent[key] = [postings[0][run], postings[1][run], 1]
                else:
                    frequent[key] = [np.frombuffer(row[0], dtype=np.int32), np.frombuffer(row[1], dtype=np.float64), 1]
                continue
        rest.append(phrase)
    # every contribution is > 0 (FTS5 floors a term's IDF at 1e-6), so a row was matched exactly when acc > 0.
    # bincount over batches of runs (in run order): at a million rows 1.2 M contributions take ~9 ms this way against
    # ~15 ms by a fancy-index add per run; batches keep a heavy question's temporaries (and the heap) small.
    acc = None
    for batch in _batches(list(frequent.values()), BINCOUNT_BATCH):
        ids = np.concatenate([run[0] for run in batch])
        sc = np.concatenate([run[1] if run[2] == 1 else run[2] * run[1] for run in batch])
        part = np.bincount(ids, weights=sc, minlength=n_rows)
        acc = part if acc is None else np.add(acc, part, out=acc)
    if acc is None:
        acc = np.zeros(n_rows, dtype=np.float64)
    if rest:
        rows = db.execute(f"SELECT rowid, -{bm25_sql(weights)} FROM chunks_fts WHERE chunks_fts MATCH ?"
                          f"{restrict_sql}", [" OR ".join(rest), *(restrict_params or [])]).fetchall()
        if rows:
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            acc[ids] += np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
    hit = acc > 0
    if allowed is not None:
        keep = np.zeros(n_rows, dtype=bool)
        keep[allowed[allowed < n_rows]] = True
        hit &= keep
    cand = np.flatnonzero(hit)
    if len(cand) > n:
        cand = cand[np.argpartition(-acc[cand], n - 1)[:n]]
    order = np.lexsort((cand, -acc[cand]))
    return [(int(cand[i]), float(acc[cand[i]])) for i in order]
