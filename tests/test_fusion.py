"""Fusion arithmetic of index/search.py against values worked out by hand (no model, no index)."""
from __future__ import annotations

import numpy as np
import pytest

from index.search import Retriever, minmax

# Two legs over chunks 1-4: chunk 1 is the dense leader, chunk 2 the keyword leader and second in dense,
# chunk 3 appears only in dense, chunk 4 only in keyword.
DENSE = [(1, 0.9), (2, 0.7), (3, 0.5)]
KEYWORD = [(2, 12.0), (4, 8.0), (1, 4.0)]


def fuse(fusion: str, dense=DENSE, keyword=KEYWORD, alpha: float | None = None):
    retriever = Retriever(gen=None, vocab=None, fusion=fusion)  # fuse() reads neither
    if alpha is not None:
        retriever.alpha = alpha
    return retriever.fuse(dense, keyword)


def test_minmax_by_hand():
    # dense: (0.9 - 0.5) / 0.4 = 1, (0.7 - 0.5) / 0.4 = 0.5, 0; keyword: (12 - 4) / 8 = 1, (8 - 4) / 8 = 0.5, 0
    assert minmax(DENSE) == pytest.approx({1: 1.0, 2: 0.5, 3: 0.0})
    assert minmax(KEYWORD) == pytest.approx({2: 1.0, 4: 0.5, 1: 0.0})
    assert minmax([(7, 3.0), (8, 3.0)]) == {7: 1.0, 8: 1.0}  # all equal: every candidate counts fully
    assert minmax([]) == {}


def test_convex_fusion_by_hand():
    # alpha 0.5: 1 -> .5*1 + .5*0 = .5; 2 -> .5*.5 + .5*1 = .75; 3 -> .5*0 + 0 = 0; 4 -> 0 + .5*.5 = .25
    cands = fuse("convex")
    assert [c.chunk_id for c in cands] == [2, 1, 4, 3]
    assert [c.score for c in cands] == pytest.approx([0.75, 0.5, 0.25, 0.0])
    by_id = {c.chunk_id: c for c in cands}
    assert (by_id[2].dense, by_id[2].keyword) == (0.7, 12.0)  # raw leg scores kept for display
    assert (by_id[3].dense, by_id[3].keyword) == (0.5, None)  # missing from a leg: no raw score, 0 in the mix
    assert (by_id[4].dense, by_id[4].keyword) == (None, 8.0)


def test_alpha_weights_the_dense_leg():
    # alpha 0.8: 1 -> .8*1 + .2*0 = .8; 2 -> .8*.5 + .2*1 = .6; 4 -> .2*.5 = .1; 3 -> 0
    cands = fuse("convex", alpha=0.8)
    assert [(c.chunk_id, c.score) for c in cands] == [(1, pytest.approx(0.8)), (2, pytest.approx(0.6)),
                                                      (4, pytest.approx(0.1)), (3, pytest.approx(0.0))]


def test_rrf_by_hand():
    # k = 60, ranks from 1: 1 -> 1/61 + 1/63; 2 -> 1/62 + 1/61; 3 -> 1/63; 4 -> 1/62
    cands = fuse("rrf")
    assert [c.chunk_id for c in cands] == [2, 1, 4, 3]
    assert [c.score for c in cands] == pytest.approx([1 / 62 + 1 / 61, 1 / 61 + 1 / 63, 1 / 62, 1 / 63])


def test_ties_break_on_chunk_id_and_one_empty_leg():
    # Keyword leg empty: dense alone, scaled by alpha; equal dense scores all normalise to 1 and tie.
    cands = fuse("convex", dense=[(9, 0.4), (5, 0.4)], keyword=[])
    assert [(c.chunk_id, c.score) for c in cands] == [(5, 0.5), (9, 0.5)]
    assert fuse("convex", dense=[], keyword=[]) == []


class _Vectors:
    """Stands in for the generation's vector store: only reconstruct() is used by the feedback step."""

    def __init__(self, rows: dict[int, list[float]]):
        self.rows = rows

    def reconstruct(self, ids):
        return np.array([self.rows[i] for i in ids], dtype="float32")


class _Gen:
    def __init__(self, rows):
        self.vectors = _Vectors(rows)


def test_feedback_query_by_hand():
    # top = [7, 8] with weights 1 and 1/2: centroid = (1*(0,1) + .5*(1,0)) / 1.5 = (1/3, 2/3)
    # v = .6*(1,0) + .4*(1/3, 2/3) = (11/15, 4/15); |v| = sqrt(137)/15; unit v = (11, 4) / sqrt(137)
    retriever = Retriever(gen=_Gen({7: [0.0, 1.0], 8: [1.0, 0.0]}), vocab=None)
    q = np.array([1.0, 0.0], dtype="float32")
    out = retriever.feedback_query(q, [7, 8])
    assert out == pytest.approx(np.array([11, 4]) / np.sqrt(137), abs=1e-6)
    assert retriever.feedback_query(q, []) is q  # no feedback passages: the query is unchanged
