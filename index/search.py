"""Retrieval over one generation: keyword (FTS5/BM25), dense (FAISS) and their fusion, with filters inside."""
from __future__ import annotations

import os
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np


from .generation import KEYWORD_WEIGHTS, Generation
from .types import Hit, SearchFilters
from .units import is_definition_question, is_glossary_title
from .vocabulary import Vocabulary
from .words import STOPWORDS

MODES = ("hybrid", "dense", "bm25")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass
class Candidate:
    chunk_id: int
    score: float
    dense: float | None = None
    keyword: float | None = None


def query_terms(text: str) -> list[str]:
    """Lower-cased word tokens as FTS5's unicode61 tokenizer sees them, minus stopwords."""
    return [t for t in (m.group(0).lower() for m in _TOKEN.finditer(text)) if t not in STOPWORDS]


def phrase_words(term: str) -> str:
    """A vocabulary term as the keyword query quotes it: its lower-cased word tokens joined by spaces."""
    return " ".join(m.group(0).lower() for m in _TOKEN.finditer(term))


def vocabulary_phrases(vocab: Vocabulary) -> list[str]:
    """The vocabulary's multi-word terms as the keyword query quotes them (frequent ones are precomputed at build)."""
    return list(dict.fromkeys(p for p in (phrase_words(t) for g in vocab.groups for t in g) if " " in p))


def fts_query(query: str, vocab: Vocabulary | None) -> str:
    """An OR of the query's terms and its vocabulary expansions (phrases for multi-word terms)."""
    parts = [f'"{t}"' for t in dict.fromkeys(query_terms(query))]
    if vocab is not None:
        for term in vocab.expansions(query):
            words = phrase_words(term)
            if words:
                parts.append(f'"{words}"')
    return " OR ".join(dict.fromkeys(parts))


def minmax(leg: list[tuple[int, float]]) -> dict[int, float]:
    """Scores of one leg mapped onto [0, 1] over its own candidates (all equal: 1), as fuse() computes them."""
    ids, scores = _leg_arrays(leg)
    return dict(zip(ids.tolist(), _minmax(scores).tolist()))


_LEG_POOL: ThreadPoolExecutor | None = None
_LEG_LOCK = threading.Lock()
LEG_THREADS = 2  # a worker serves 2 searches at once by default (KB_THREADS); each may have one leg in flight


def _leg_pool() -> ThreadPoolExecutor:
    """The process's threads for a search's keyword leg, made on first use (never at import, never inherited)."""
    global _LEG_POOL
    with _LEG_LOCK:
        if _LEG_POOL is None:
            _LEG_POOL = ThreadPoolExecutor(LEG_THREADS, thread_name_prefix="kb-keyword-leg")
        return _LEG_POOL


def _forget_pool_in_child() -> None:
    """A forked child has none of its parent's threads: it makes its own pool when it first searches."""
    global _LEG_POOL, _LEG_LOCK
    _LEG_POOL, _LEG_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def _leg_arrays(leg: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    """A leg's chunk ids and scores as arrays (float64, as the Python floats they are)."""
    ids = np.fromiter((c for c, _ in leg), dtype="int64", count=len(leg))
    return ids, np.fromiter((s for _, s in leg), dtype="float64", count=len(leg))


def _minmax(scores: np.ndarray) -> np.ndarray:
    """minmax() over an array of scores: (s - lo) / (hi - lo), all 1 when they are equal."""
    if not len(scores):
        return scores
    lo, hi = scores.min(), scores.max()
    return np.ones_like(scores) if hi <= lo else (scores - lo) / (hi - lo)


class Retriever:
    """Runs the two legs and fuses them; stateless apart from the generation and vocabulary it is given.

    Fusion (chosen on NFCorpus dev and MedQuAD dev; see BENCHMARKS.md): each leg's scores are min-max normalised
    and mixed convexly, which keeps a strong exact-term match from being out-ranked by semantic near-misses (rank
    fusion cannot tell a decisive keyword win from a marginal one). Then one round of dense pseudo-relevance
    feedback: the query vector moves towards the top fused passages (Rocchio), the dense leg runs again, and the
    legs are fused once more.
    """

    depth = 200                   # candidates per leg
    alpha = 0.5                   # dense weight in the convex mix
    prf_passages = 3              # feedback passages from the first fusion
    prf_query_weight = 0.6        # weight of the original query vector in Rocchio
    weights = KEYWORD_WEIGHTS     # FTS5 bm25 column weights: title, section, body

    FUSIONS = ("convex-prf", "convex", "rrf")
    rrf_k = 60

    def __init__(self, gen: Generation, vocab: Vocabulary | None, fusion: str = "convex-prf"):
        if fusion not in self.FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(self.FUSIONS)}")
        self.gen = gen
        self.vocab = vocab
        self.fusion = fusion

    def allowed_ids(self, filters: SearchFilters) -> np.ndarray | None:
        if not filters.active:
            return None
        key = repr(filters)
        if getattr(self, "_allowed", (None,))[0] != key:  # both legs ask: one query per search
            self._allowed = (key, self.gen.reader.chunk_ids(filters))
        return self._allowed[1]

    def keyword(self, query: str, n: int, filters: SearchFilters) -> list[tuple[int, float]]:
        match = fts_query(query, self.vocab)
        if not match:
            return []
        # frequent terms are precomputed at build (index/keyword.py) for the product's weights: same ranking, faster
        return self.gen.reader.keyword(match, n, self.weights, filters, self.gen.counts["chunks"],
                                       self.allowed_ids(filters), use_impacts=self.weights == KEYWORD_WEIGHTS)

    def start_keyword(self, query: str, filters: SearchFilters) -> "Future[tuple[list[tuple[int, float]], float]]":
        """The hybrid search's keyword leg on another thread (SQLite and numpy release the GIL), so it runs while
        the caller encodes the question; the future gives the leg and its own milliseconds."""
        self.allowed_ids(filters)  # the filter query runs once, here, not on both threads

        def leg() -> tuple[list[tuple[int, float]], float]:
            t = time.perf_counter()
            out = self.keyword(query, self.depth, filters)
            return out, (time.perf_counter() - t) * 1e3

        return _leg_pool().submit(leg)

    def dense(self, qvec: np.ndarray, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        scores, ids = self.gen.vectors.search(qvec, n, allowed)
        return [(int(i), float(s)) for i, s in zip(ids, scores)]

    def fuse(self, dense: list[tuple[int, float]], keyword: list[tuple[int, float]],
             limit: int | None = None) -> list[Candidate]:
        """Convex mix of min-max normalised scores (or, for comparison, RRF); a passage missing from a leg scores 0.

        With `limit`, only the first `limit` candidates are made (same order): a search reads at most n of them.
        Arithmetic in numpy float64, in the order minmax() and a dict sum would do it, so the scores are the same.
        """
        d_ids, d_raw = _leg_arrays(dense)
        k_ids, k_raw = _leg_arrays(keyword)
        if self.fusion == "rrf":  # kept for comparison (kb eval --fusion rrf)
            nd = 1.0 / (self.rrf_k + np.arange(1, len(d_ids) + 1, dtype="float64"))
            nk = 1.0 / (self.rrf_k + np.arange(1, len(k_ids) + 1, dtype="float64"))
            wd = wk = 1.0
        else:
            nd, nk = _minmax(d_raw), _minmax(k_raw)
            wd, wk = self.alpha, 1 - self.alpha
        ids = np.concatenate([d_ids, k_ids])
        if not len(ids):
            return []
        uniq, slot = np.unique(ids, return_inverse=True)
        fused = np.bincount(slot, weights=np.concatenate([wd * nd, wk * nk]), minlength=len(uniq))
        order = np.lexsort((uniq, -fused))  # best first; ties by chunk id
        if limit is not None:
            order = order[:limit]
        raw_d, raw_k = dict(dense), dict(keyword)
        return [Candidate(cid, score, dense=raw_d.get(cid), keyword=raw_k.get(cid))
                for cid, score in zip(uniq[order].tolist(), fused[order].tolist())]

    def feedback_query(self, qvec: np.ndarray, top: list[int]) -> np.ndarray:
        """Rocchio: the query vector pulled towards the top passages (weights 1/rank), re-normalised."""
        if not top:
            return qvec
        fb = self.gen.vectors.reconstruct(top)
        w = 1.0 / np.arange(1, len(top) + 1, dtype="float32")
        centroid = (w[:, None] * fb).sum(0) / w.sum()
        v = self.prf_query_weight * qvec.reshape(-1) + (1 - self.prf_query_weight) * centroid
        norm = float(np.linalg.norm(v))
        return (v / norm).astype("float32") if norm > 0 else qvec

    def retrieve(self, query: str, qvec: np.ndarray | None, n: int, filters: SearchFilters,
                 mode: str = "hybrid", timings: dict[str, float] | None = None,
                 keyword_leg: "Future[tuple[list[tuple[int, float]], float]] | None" = None) -> list[Candidate]:
        """Ranked chunk candidates for a query; `timings`, when given, receives each leg's milliseconds.

        Each leg of a hybrid search looks `depth` passages deep whatever n is, so the first k results are the same
        for any k (the fused list holds up to 2 * depth candidates); a single leg looks max(n, depth) deep.
        keyword_leg is the hybrid keyword leg already started by start_keyword (then "keyword" times the wait
        for it and "keyword_leg" its own run).
        """
        clock = StageClock(timings)
        depth = max(n, self.depth)
        if mode == "bm25":
            out = [Candidate(cid, s, keyword=s) for cid, s in self.keyword(query, depth, filters)][:n]
            clock.mark("keyword")
            return out
        allowed = self.allowed_ids(filters)
        if mode == "dense":
            out = [Candidate(cid, s, dense=s) for cid, s in self.dense(qvec, depth, allowed)][:n]
            clock.mark("dense")
            return out
        dense = self.dense(qvec, self.depth, allowed)
        clock.mark("dense")
        if keyword_leg is not None:
            keyword, leg_ms = keyword_leg.result()
            if timings is not None:
                timings["keyword_leg"] = timings.get("keyword_leg", 0.0) + leg_ms
        else:
            keyword = self.keyword(query, self.depth, filters)
        clock.mark("keyword")
        prf = self.fusion == "convex-prf" and self.prf_passages
        first = self.fuse(dense, keyword, limit=self.prf_passages if prf else n)
        if prf:
            q2 = self.feedback_query(qvec, [c.chunk_id for c in first[:self.prf_passages]])
            first = self.fuse(self.dense(q2, self.depth, allowed), keyword, limit=n)
        clock.mark("fuse_and_feedback")
        return first[:n]


class StageClock:
    """Milliseconds per stage into a dict (a no-op without one), for benchmarks that break a search down."""

    def __init__(self, into: dict[str, float] | None):
        import time

        self._now = time.perf_counter
        self.into = into
        self.last = self._now()

    def restart(self) -> None:
        """Start the next stage now (time since the last mark was measured elsewhere)."""
        self.last = self._now()

    def mark(self, stage: str) -> None:
        if self.into is not None:
            now = self._now()
            self.into[stage] = self.into.get(stage, 0.0) + (now - self.last) * 1e3
            self.last = now


def load_hits(gen: Generation, cands: list[Candidate]) -> list[Hit]:
    """The passages of the candidates, in their order, with their documents' metadata."""
    rows = {c.chunk_id: (c, d) for c, d in gen.reader.with_docs(x.chunk_id for x in cands)}
    hits = []
    for cand in cands:
        if cand.chunk_id not in rows:
            continue
        c, d = rows[cand.chunk_id]
        hits.append(Hit(doc_id=c.doc_id, chunk_id=c.chunk_id, title=d.title, text=c.text,
                        score=round(float(cand.score), 6), section=c.section, page=c.page, doc_type=d.doc_type,
                        source=d.source, date=d.published, reviewed=d.reviewed, tags=d.tags, start=c.start,
                        end=c.end, filename=d.filename))
    return hits


def diversify(cands: list[Candidate], gen: Generation, k: int, per_doc: int) -> list[Candidate]:
    """At most `per_doc` passages from one document, so k results cover more than one source."""
    if not cands:
        return []
    docs = gen.reader.doc_of(c.chunk_id for c in cands)
    seen: dict[str, int] = {}
    out = []
    for c in cands:
        d = docs.get(c.chunk_id)
        if seen.get(d, 0) < per_doc:
            seen[d] = seen.get(d, 0) + 1
            out.append(c)
        if len(out) == k:
            break
    return out


def table_cells(row: str) -> list[str]:
    """The cells of a pipe-table row, for showing a row under its header as a small table."""
    return [c.strip() for c in row.strip().strip("|").split("|")]


def demote_glossary(hits: list[Hit], query: str, top: int = 5) -> list[Hit]:
    """Keep glossary passages out of the first `top` results unless the question asks what a term means."""
    if is_definition_question(query):
        return hits
    head = [h for h in hits[:top] if not is_glossary_title(h.title)]
    moved = [h for h in hits[:top] if is_glossary_title(h.title)]
    rest = hits[top:]
    fill = [h for h in rest if not is_glossary_title(h.title)][:len(moved)]
    rest = [h for h in rest if h not in fill]
    return head + fill + moved + rest
