"""Retrieval quality on a judged question set (BEIR layout), scored with ranx."""
from __future__ import annotations

import csv
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.metadata import ID_RE

from .kb import KnowledgeBase

METRICS = ("ndcg@10", "recall@5", "recall@10", "recall@100", "mrr@10")


@dataclass
class EvalSet:
    corpus: list[Path]          # what to ingest
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    name: str


def _read_queries(path: Path) -> dict[str, str]:
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                out[str(row["_id"])] = row["text"]
    return out


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        for row in reader:
            if not row or row[0] == "query-id":
                continue
            score = int(row[2])
            if score > 0:
                out.setdefault(row[0], {})[row[1]] = score
    return out


def safe_id(raw: str) -> str:
    """A BEIR document id as an id the knowledge base accepts (ingest.metadata.ID_RE): every other character,
    ':' included, is written as ':' and its UTF-8 bytes in hex ("a/b" -> "a:2fb"), so distinct ids stay distinct;
    one that would start with an escape gets "x:g" in front; one that would pass 200 characters is cut and
    given a hash of the whole."""
    if ID_RE.fullmatch(raw) and ":" not in raw:
        return raw
    out = "".join(ch if (ch.isascii() and ch.isalnum()) or (ch in "._-" and i) else
                  "".join(f":{b:02x}" for b in ch.encode("utf-8")) for i, ch in enumerate(raw))
    if out.startswith(":"):  # an id must start with a letter or digit; ":g" never comes from an escape
        out = "x:g" + out
    if len(out) > 200:
        out = out[:183] + ":" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]
    return out


def _safe_corpus(source: Path, workdir: Path) -> Path:
    """corpus.jsonl itself when every id is one the knowledge base accepts, else a copy with the ids escaped
    (kept under workdir and rewritten only when the source changes)."""
    with open(source, encoding="utf-8") as fh:  # streamed: a corpus whose ids all pass is never held in memory
        ids = (str(json.loads(line)["_id"]) for line in fh if line.strip())
        if all(safe_id(i) == i for i in ids):
            return source
    st = source.stat()
    key = hashlib.sha256(f"{source.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:12]
    dest = workdir / "beir-corpora" / f"{source.parent.name}-{key}" / "corpus.jsonl"
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".tmp")
        with open(source, encoding="utf-8") as src, open(tmp, "w", encoding="utf-8") as fh:
            for line in src:
                if line.strip():
                    r = json.loads(line)
                    fh.write(json.dumps({**r, "_id": safe_id(str(r["_id"]))}, ensure_ascii=False) + "\n")
        tmp.replace(dest)
    return dest


def beir_set(directory: Path, split: str, workdir: Path | None = None) -> EvalSet:
    """A BEIR folder: corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv; only judged queries are run.

    Document ids the knowledge base would refuse (MedQuAD's hold '/') are escaped with safe_id in a copy of the
    corpus under workdir (default: the folder's own parent is never written to) and in the judgements alike.
    """
    qrels_path = directory / "qrels" / f"{split}.tsv"
    for p in (directory / "corpus.jsonl", directory / "queries.jsonl", qrels_path):
        if not p.exists():
            raise FileNotFoundError(f"{p} is missing: a BEIR folder holds corpus.jsonl, queries.jsonl, qrels/{split}.tsv")
    qrels = _read_qrels(qrels_path)
    queries = {q: t for q, t in _read_queries(directory / "queries.jsonl").items() if q in qrels}
    corpus = directory / "corpus.jsonl"
    if workdir is not None:
        corpus = _safe_corpus(corpus, workdir)
    if corpus != directory / "corpus.jsonl":
        qrels = {q: {safe_id(d): n for d, n in judged.items()} for q, judged in qrels.items()}
    return EvalSet([corpus], queries, qrels, f"{directory.name}-{split}")


CORPUS_SPLITS = ("all", "dev", "held-back")
HELD_BACK = range(52, 78)  # corpus/eval/README.md: q052-q077 are held back from tuning; q001-q051 and q078 on develop


def corpus_set(corpus_dir: Path, split: str = "all") -> EvalSet:
    """The shipped corpus and its judged physician questions (all, the development part, or the held-back part)."""
    if split not in CORPUS_SPLITS:
        raise ValueError(f"the corpus question set has splits {', '.join(CORPUS_SPLITS)}, not {split!r}")
    qrels = _read_qrels(corpus_dir / "eval" / "qrels.tsv")
    queries = {q: t for q, t in _read_queries(corpus_dir / "eval" / "questions.jsonl").items() if q in qrels}
    if split != "all":
        held = {q for q in queries if int(q.lstrip("q")) in HELD_BACK}
        queries = {q: t for q, t in queries.items() if (q in held) == (split == "held-back")}
    return EvalSet([corpus_dir], queries, {q: qrels[q] for q in queries}, f"corpus-{split}")


def cache_home(base: Path, es: EvalSet) -> Path:
    key = hashlib.sha256("|".join(str(p.resolve()) for p in es.corpus).encode()).hexdigest()[:12]
    return base / f"{es.corpus[0].parent.name if es.corpus[0].is_file() else es.corpus[0].name}-{key}"


def run(kb: KnowledgeBase, es: EvalSet, mode: str = "hybrid", depth: int = 100, progress=None,
        fusion: str = "convex-prf") -> dict:
    """Ingest (or reuse) the set's corpus, run every query through KnowledgeBase.search, score its documents."""
    report = kb.ingest_paths(es.corpus, progress=progress, screen=False)
    if report.failed:
        bad = [f"{f.path}: {f.reason}" for f in report.files if f.status == "failed"]
        raise RuntimeError("evaluation corpus failed to ingest: " + "; ".join(bad[:3]))
    kb.query_encoder.encode_query("warm up")  # model load is not query latency
    run_dict: dict[str, dict[str, float]] = {}
    latencies = []
    for i, (qid, text) in enumerate(es.queries.items()):
        t0 = time.perf_counter()
        # the physicians' search; one passage per document, so its ranking is the documents' ranking
        result = kb.search(text, k=depth, mode=mode, fusion=fusion, per_doc=1, answer=False)
        latencies.append(time.perf_counter() - t0)
        n = len(result.hits)
        docs = {h.doc_id: float(n - rank) for rank, h in enumerate(result.hits)}  # rank-based: no ties
        run_dict[qid] = docs or {"__none__": 0.0}
        if progress and (i % 25 == 0 or i == len(es.queries) - 1):
            progress("queries", i + 1, len(es.queries))
    from ranx import Qrels, Run, evaluate

    scores = evaluate(Qrels(es.qrels), Run(run_dict), list(METRICS), make_comparable=True)
    out = {m: round(float(scores[m]), 4) for m in METRICS}
    out["queries"] = len(es.queries)
    out["mean_latency_ms"] = round(1000 * sum(latencies) / max(1, len(latencies)), 2)
    out["mode"] = mode
    if mode == "hybrid":
        out["fusion"] = fusion
    out["set"] = es.name
    return out
