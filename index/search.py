"""Retrieval over one generation: keyword (FTS5/BM25), dense (FAISS) and their fusion, with filters inside."""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass

import numpy as np

from ingest.models import CELL_SEP
from ingest.sentences import sentence_spans

from .generation import KEYWORD_WEIGHTS, Generation
from .keyword import has_impacts, keyword_search
from .types import Hit, SearchFilters
from .vocabulary import Vocabulary

# English function words (the NLTK list); clinical words are never stopwords here: BM25's IDF weighs them.
STOPWORDS = frozenset("""i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
she her hers herself it its itself they them their theirs themselves what which who whom this that these those am is
are was were be been being have has had having do does did doing a an the and but if or because as until while of at
by for with about against between into through during before after above below to from up down in out on off over
under again further then once here there when where why how all any both each few more most other some such no nor not
only own same so than too very s t can will just don should now d ll m o re ve y""".split())
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


def fts_query(query: str, vocab: Vocabulary | None) -> str:
    """An OR of the query's terms and its vocabulary expansions (phrases for multi-word terms)."""
    parts = [f'"{t}"' for t in dict.fromkeys(query_terms(query))]
    if vocab is not None:
        for term in vocab.expansions(query):
            words = [m.group(0).lower() for m in _TOKEN.finditer(term)]
            if words:
                parts.append('"' + " ".join(words) + '"')
    return " OR ".join(dict.fromkeys(parts))


def _filter_sql(f: SearchFilters) -> tuple[str, list]:
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


def _has_impacts(gen: Generation) -> bool:
    """Whether the generation stores precomputed keyword contributions (older ones do not), asked once."""
    flag = gen.__dict__.get("_kw_impacts")
    if flag is None:
        flag = gen.__dict__["_kw_impacts"] = has_impacts(gen.db)
    return flag


def minmax(leg: list[tuple[int, float]]) -> dict[int, float]:
    """Scores of one leg mapped onto [0, 1] over its own candidates (all equal: 1)."""
    if not leg:
        return {}
    lo, hi = min(s for _, s in leg), max(s for _, s in leg)
    if hi <= lo:
        return {i: 1.0 for i, _ in leg}
    return {i: (s - lo) / (hi - lo) for i, s in leg}


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
            where, params = _filter_sql(filters)
            rows = self.gen.db.execute(
                f"SELECT c.chunk_id FROM chunks c JOIN docs d ON d.doc_id = c.doc_id WHERE {where}", params).fetchall()
            self._allowed = (key, np.array([r[0] for r in rows], dtype="int64"))
        return self._allowed[1]

    def keyword(self, query: str, n: int, filters: SearchFilters) -> list[tuple[int, float]]:
        match = fts_query(query, self.vocab)
        if not match:
            return []
        where, params = _filter_sql(filters)
        restrict = "" if not filters.active else (
            f" AND rowid IN (SELECT c.chunk_id FROM chunks c JOIN docs d ON d.doc_id = c.doc_id WHERE {where})")
        if self.weights == KEYWORD_WEIGHTS and _has_impacts(self.gen):  # frequent terms precomputed at build (index/keyword.py): same ranking, faster
            try:
                return keyword_search(self.gen.db, match.split(" OR "), n, self.weights, self.gen.counts["chunks"],
                                      restrict, params if filters.active else [], self.allowed_ids(filters))
            except sqlite3.OperationalError:
                return []
        wt, ws, wb = self.weights
        sql = (f"SELECT rowid, -bm25(chunks_fts, {wt}, {ws}, {wb}) AS s FROM chunks_fts "
               f"WHERE chunks_fts MATCH ?{restrict} ORDER BY bm25(chunks_fts, {wt}, {ws}, {wb}) LIMIT ?")
        try:
            rows = self.gen.db.execute(sql, [match, *(params if filters.active else []), n]).fetchall()
        except sqlite3.OperationalError:
            return []
        return [(int(r), float(s)) for r, s in rows]

    def dense(self, qvec: np.ndarray, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        scores, ids = self.gen.vectors.search(qvec, n, allowed)
        return [(int(i), float(s)) for i, s in zip(ids, scores)]

    def fuse(self, dense: list[tuple[int, float]], keyword: list[tuple[int, float]]) -> list[Candidate]:
        """Convex mix of min-max normalised scores (or, for comparison, RRF); a passage missing from a leg scores 0."""
        if self.fusion == "rrf":  # kept for comparison (kb eval --fusion rrf)
            nd = {cid: 1.0 / (self.rrf_k + r + 1) for r, (cid, _) in enumerate(dense)}
            nk = {cid: 1.0 / (self.rrf_k + r + 1) for r, (cid, _) in enumerate(keyword)}
            wd = wk = 1.0
        else:
            nd, nk = minmax(dense), minmax(keyword)
            wd, wk = self.alpha, 1 - self.alpha
        raw_d, raw_k = dict(dense), dict(keyword)
        cands = [Candidate(cid, wd * nd.get(cid, 0.0) + wk * nk.get(cid, 0.0), dense=raw_d.get(cid),
                           keyword=raw_k.get(cid)) for cid in set(nd) | set(nk)]
        return sorted(cands, key=lambda c: (-c.score, c.chunk_id))

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
                 mode: str = "hybrid") -> list[Candidate]:
        """Ranked chunk candidates for a query."""
        depth = max(n, self.depth)
        if mode == "bm25":
            return [Candidate(cid, s, keyword=s) for cid, s in self.keyword(query, depth, filters)][:n]
        allowed = self.allowed_ids(filters)
        if mode == "dense":
            return [Candidate(cid, s, dense=s) for cid, s in self.dense(qvec, depth, allowed)][:n]
        keyword = self.keyword(query, depth, filters)
        first = self.fuse(self.dense(qvec, depth, allowed), keyword)
        if self.fusion == "convex-prf" and self.prf_passages:
            q2 = self.feedback_query(qvec, [c.chunk_id for c in first[:self.prf_passages]])
            first = self.fuse(self.dense(q2, depth, allowed), keyword)
        return first[:n]


def load_hits(gen: Generation, cands: list[Candidate]) -> list[Hit]:
    if not cands:
        return []
    ids = [c.chunk_id for c in cands]
    rows = gen.db.execute(
        f"SELECT c.chunk_id, c.doc_id, c.text, c.section, c.page, c.start, c.\"end\", d.title, d.doc_type, d.source, "
        f"d.published, d.reviewed, d.tags, d.filename FROM chunks c JOIN docs d ON d.doc_id = c.doc_id "
        f"WHERE c.chunk_id IN ({','.join('?' * len(ids))})", ids).fetchall()
    by_id = {r[0]: r for r in rows}
    hits = []
    for c in cands:
        r = by_id.get(c.chunk_id)
        if r is None:
            continue
        hits.append(Hit(doc_id=r[1], chunk_id=r[0], title=r[7], text=r[2], score=round(float(c.score), 6),
                        section=r[3], page=r[4], doc_type=r[8], source=r[9], date=r[10], reviewed=r[11],
                        tags=json.loads(r[12]), start=r[5], end=r[6], filename=r[13]))
    return hits


def diversify(cands: list[Candidate], gen: Generation, k: int, per_doc: int) -> list[Candidate]:
    """At most `per_doc` passages from one document, so k results cover more than one source."""
    if not cands:
        return []
    ids = [c.chunk_id for c in cands]
    docs = dict(gen.db.execute(f"SELECT chunk_id, doc_id FROM chunks WHERE chunk_id IN ({','.join('?' * len(ids))})",
                               ids).fetchall())
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
    from .answer import is_definition_question
    from .units import is_glossary_title

    if is_definition_question(query):
        return hits
    head = [h for h in hits[:top] if not is_glossary_title(h.title)]
    moved = [h for h in hits[:top] if is_glossary_title(h.title)]
    rest = hits[top:]
    fill = [h for h in rest if not is_glossary_title(h.title)][:len(moved)]
    rest = [h for h in rest if h not in fill]
    return head + fill + moved + rest
