"""Keyword-leg options at scale on real text: NFCorpus + MedQuAD passages mixed and replicated to N chunks.

Builds an FTS5 table exactly like a generation's (`title, section, body`, porter unicode61), then times each
option over real questions (NFCorpus dev, MedQuAD dev, the corpus questions) and compares its top results with
the product's current keyword query. Evaluation data only (`--data`, default ../shared/data); never shipped.

    python benchmarks/keyword_leg.py --size 100000 [--db /tmp/kw.db] [--json]
"""
from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.generation import GEN_SCHEMA  # noqa: E402
from index.search import Retriever, fts_query, query_terms  # noqa: E402
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
