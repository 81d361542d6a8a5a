"""Keyword-leg options at scale on real text: NFCorpus + MedQuAD passages mixed and replicated to N chunks.

Builds an FTS5 table exactly like a generation's (`title, section, body`, porter unicode61), then times each
option over real questions (NFCorpus dev, MedQuAD dev, the corpus questions) and compares its top results with
the product's current keyword query. Evaluation data only (`--data`, default ../shared/data); never shipped.

    python benchmarks/keyword_leg.py --size 100000 [--db /tmp/kw.db] [--json]
"""
from __future__ import annotations

import argparse
import json

import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.generation import GEN_SCHEMA  # noqa: E402
from index.search import Retriever, fts_query  # noqa: E402
from index.vocabulary import Vocabulary  # noqa: E402

WORDS_PER_PASSAGE = 180


def passages(data: Path) -> list[tuple[str, str]]:
    """(title, text) passages of about 180 words from both corpora, interleaved."""
    out: list[list[tuple[str, str]]] = []
    for name in ("nfcorpus", "medquad"):
        rows = []
        with open(data / name / "corpus.jsonl", encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                words = d.get("text", "").split()
                for i in range(0, max(1, len(words)), WORDS_PER_PASSAGE):
                    rows.append((d.get("title", ""), " ".join(words[i:i + WORDS_PER_PASSAGE])))
        out.append(rows)
    mixed = [p for pair in zip(*out) for p in pair]
    longer = max(out, key=len)
    return mixed + longer[len(min(out, key=len)):]


def build(db_path: Path, data: Path, size: int) -> None:
    base = passages(data)
    db = sqlite3.connect(str(db_path), isolation_level=None)
    fts_ddl = [s for s in GEN_SCHEMA.split(";") if "chunks_fts" in s][0]
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + fts_ddl + ";")
    db.execute("BEGIN")
    for i in range(size):
        title, text = base[i % len(base)]
        db.execute("INSERT INTO chunks_fts (rowid, title, section, body) VALUES (?,?,?,?)", (i, title, "", text))
    db.execute("COMMIT")
    db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES('optimize')")
    db.close()


def questions(data: Path) -> list[str]:
    qs = []
    for name, split in (("nfcorpus", "dev"), ("medquad", "dev")):
        ids = {line.split("\t")[0] for line in open(data / name / "qrels" / f"{split}.tsv", encoding="utf-8")}
        with open(data / name / "queries.jsonl", encoding="utf-8") as fh:
            qs += [json.loads(l)["text"] for l in fh if json.loads(l)["_id"] in ids]
    with open(ROOT / "corpus" / "eval" / "questions.jsonl", encoding="utf-8") as fh:
        qs += [json.loads(l)["text"] for l in fh if l.strip()]
    return qs


def plain(db: sqlite3.Connection, match: str, n: int, weights=Retriever.weights) -> list[tuple[int, float]]:
    """The keyword query as the product ran it before: FTS5 scores every matching row with bm25()."""
    w = ", ".join(str(x) for x in weights)
    return db.execute(f"SELECT rowid, -bm25(chunks_fts, {w}) FROM chunks_fts WHERE chunks_fts MATCH ? "
                      f"ORDER BY bm25(chunks_fts, {w}) LIMIT ?", (match, n)).fetchall()


def pct(values: list[float]) -> dict:
    v = sorted(values)
    return {"p50": round(1000 * statistics.median(v), 2), "p95": round(1000 * v[int(0.95 * (len(v) - 1))], 2),
            "mean": round(1000 * sum(v) / len(v), 2)}


def main(argv: list[str] | None = None) -> int:
    from index.keyword import build_impacts, keyword_search

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=100000, help="chunks (passages, replicated as needed)")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--db", type=Path, default=Path("/tmp/pp-keyword-leg.db"), help="scratch database")
    ap.add_argument("--queries", type=int, default=400, help="questions timed (a fixed random sample)")
    ap.add_argument("--depth", type=int, default=200, help="results per query (the product's leg depth)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    out: dict = {"size": args.size, "machine": {"loadavg_at_start": [round(x, 2) for x in __import__("os").getloadavg()]}}
    args.db.unlink(missing_ok=True)
    t = time.perf_counter()
    build(args.db, args.data, args.size)
    out["fts5_build_s"] = round(time.perf_counter() - t, 1)
    out["fts5_mb"] = round(args.db.stat().st_size / 2**20, 1)
    db = sqlite3.connect(str(args.db), isolation_level=None)
    t = time.perf_counter()
    out["impacts"] = build_impacts(db, Retriever.weights)
    out["impacts_build_s"] = round(time.perf_counter() - t, 1)
    db.close()
    out["with_impacts_mb"] = round(args.db.stat().st_size / 2**20, 1)
    db = sqlite3.connect(f"file:{args.db}?mode=ro&immutable=1", uri=True)
    vocab = Vocabulary.load(None)
    import random

    qs = questions(args.data)
    qs = random.Random(1).sample(qs, min(args.queries, len(qs)))
    times: dict[str, list[float]] = {"fts5_bm25": [], "impacts": []}
    same = 0
    for q in qs:
        match = fts_query(q, vocab)
        if not match:
            continue
        t = time.perf_counter()
        a = plain(db, match, args.depth)
        times["fts5_bm25"].append(time.perf_counter() - t)
        t = time.perf_counter()
        b = keyword_search(db, match.split(" OR "), args.depth, Retriever.weights, args.size)
        times["impacts"].append(time.perf_counter() - t)
        same += [round(s, 6) for _, s in a[:10]] == [round(s, 6) for _, s in b[:10]]
    out["queries"] = len(times["impacts"])
    out["ms"] = {k: pct(v) for k, v in times.items()}
    out["top10_scores_identical"] = same
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{args.size} chunks: FTS5 {out['fts5_mb']} MB, with precomputed terms {out['with_impacts_mb']} MB "
              f"({out['impacts']['terms']} terms, {out['impacts']['postings']} postings, {out['impacts_build_s']} s)")
        for k, v in out["ms"].items():
            print(f"  {k:10} p50 {v['p50']} ms  p95 {v['p95']} ms")
        print(f"  top-10 identical on {same}/{out['queries']} questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
