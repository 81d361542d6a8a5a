"""The keyword leg's precomputed contributions (terms and vocabulary phrases) rank exactly like FTS5's bm25() on the
corpus questions."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index import keyword
from index.generation import Generation
from index.publishing import read_current
from index.search import Retriever
from index.types import SearchFilters

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [json.loads(line)["text"] for line in (ROOT / "corpus" / "eval" / "questions.jsonl").read_text().splitlines()
             if line.strip()]


@pytest.fixture(scope="module")
def corpus_gens(tmp_path_factory, embedder):
    """The sample corpus as a real generation (vectors zeroed: only the keyword leg is under test), with every
    term in two or more chunks precomputed, plus the same generation read without its precomputed table."""
    from fixtures import make_kb
    from index.embedder import Embedder

    mp = pytest.MonkeyPatch()
    mp.setattr(keyword, "IMPACT_MIN_ROWS", 2)
    # Zero vectors for passages and answer units alike: encoding the corpus is most of a build's time, and no
    # vector is read here. Only this fixture's build sees the patch; the shared model is left as it was.
    mp.setattr(Embedder, "encode", lambda self, texts, batch_size=32, progress=None:
               np.zeros((len(texts), self.dimension), "float32"))
    try:
        kb = make_kb(tmp_path_factory.mktemp("corpus") / "kb")
        report = kb.ingest_paths([ROOT / "corpus"], screen=False)
        assert report.failed == 0
    finally:
        mp.undo()
    gen_dir = kb.home / "generations" / read_current(kb.home)
    fast = Generation.load(gen_dir)
    plain = Generation.load(gen_dir)
    plain.reader._impacts = False  # the FTS5-only path the product used before
    assert fast.reader.postings is not None and fast.reader.has_impacts()
    assert fast.manifest["keyword_impacts"]["terms"] > 100
    assert fast.manifest["keyword_impacts"]["phrases"] > 10  # the vocabulary's multi-word terms ("chronic pain")
    return kb, fast, plain


def _same(a: list[tuple[int, float]], b: list[tuple[int, float]]) -> bool:
    """Same scores in the same order, and the same ids wherever scores are not tied."""
    if len(a) != len(b) or not np.allclose([s for _, s in a], [s for _, s in b], rtol=1e-9, atol=1e-9):
        return False
    by_score: dict[float, set] = {}
    for (ia, sa), (ib, _) in zip(a, b):
        by_score.setdefault(round(sa, 6), set()).add(ia)
    cut = round(min(s for _, s in a), 6) if a else None  # ties at the cut-off are cut arbitrarily by either path
    return all(round(sb, 6) == cut or ib in by_score.get(round(sb, 6), set()) for ib, sb in b)


@pytest.mark.parametrize("filters", [SearchFilters(), SearchFilters(doc_types=("echo-case",))],
                         ids=["all", "filtered"])
def test_keyword_leg_ranks_like_fts5_on_the_corpus_questions(corpus_gens, filters):
    kb, fast, plain = corpus_gens
    differ = []
    for q in QUESTIONS:
        a = Retriever(fast, kb.vocabulary).keyword(q, 20, filters)
        b = Retriever(plain, kb.vocabulary).keyword(q, 20, filters)
        if not a or not _same(a, b):
            differ.append(q)
    assert not differ, differ[:3]


def test_stems_that_are_not_fixed_points_are_reachable():
    assert keyword.fts_tokens("causes") == ("caus",)
    word = keyword.surface_word("caus")
    assert word is not None and keyword.fts_tokens(word) == ("caus",)


def test_a_phrase_is_keyed_by_its_stems():
    assert keyword.impact_key(["chronic", "pain"]) == "chronic pain"
    assert keyword.impact_key(["opioid", "use", "disorders"]) == "opioid us disord"
    assert keyword.impact_key(["causes"]) == "caus"


def test_runs_and_the_older_blob_layout_give_the_same_results(tmp_path):
    """Generations built before the runs moved to kw_rows.npy / kw_scores.npy kept them as blobs: both are read."""
    import sqlite3

    texts = ["chronic pain and opioids", "opioid taper for chronic pain", "naloxone for opioid overdose",
             "pain in the knee", "opioids, opioids and more opioids", "chronic cough"]
    db = sqlite3.connect(":memory:", isolation_level=None)  # as the generation build opens it
    db.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(title, section, body, tokenize='porter unicode61')")
    db.executemany("INSERT INTO chunks_fts (rowid, title, section, body) VALUES (?, '', '', ?)", enumerate(texts))
    weights = (10.0, 1.0, 1.0)
    stats = keyword.build_impacts(db, weights, tmp_path, min_rows=2, phrases=["chronic pain"])
    assert stats["phrases"] == 1 and stats["postings"] > 0
    assert not list(tmp_path.glob("*.raw"))
    postings = keyword.load_postings(tmp_path)
    assert len(postings[0]) == len(postings[1]) == stats["postings"]

    old = sqlite3.connect(":memory:")
    old.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(title, section, body, tokenize='porter unicode61')")
    old.executemany("INSERT INTO chunks_fts (rowid, title, section, body) VALUES (?, '', '', ?)", enumerate(texts))
    old.execute(f"CREATE TABLE {keyword.IMPACT_TABLE} (term TEXT PRIMARY KEY, n_rows INTEGER, rowids BLOB, "
                "scores BLOB) WITHOUT ROWID")
    for term, count, start in db.execute(f"SELECT term, n_rows, start FROM {keyword.IMPACT_TABLE}"):
        run = slice(start, start + count)
        old.execute(f"INSERT INTO {keyword.IMPACT_TABLE} VALUES (?,?,?,?)",
                    (term, count, postings[0][run].astype("<i4").tobytes(), postings[1][run].astype("<f8").tobytes()))
    phrases = ['"opioids"', '"opioid"', '"chronic pain"', '"knee"']
    new = keyword.keyword_search(db, phrases, 4, weights, len(texts), postings=postings)
    before = keyword.keyword_search(old, phrases, 4, weights, len(texts))
    plain = db.execute(f"SELECT rowid, -{keyword.bm25_sql(weights)} FROM chunks_fts WHERE chunks_fts MATCH ? "
                       f"ORDER BY 2 DESC LIMIT 4", [" OR ".join(phrases)]).fetchall()
    assert _same(new, before) and _same(new, [(r, s) for r, s in plain])


def test_contributions_are_added_in_bounded_batches():
    runs = [(np.zeros(n, dtype=np.int32), None, 1) for n in (5, 3, 4, 9, 1)]
    sizes = [[len(r[0]) for r in b] for b in keyword._batches(runs, 8)]
    assert sizes == [[5, 3], [4], [9], [1]]  # at most 8 per batch, a longer run alone, order kept
    assert keyword._batches([], 8) == []
