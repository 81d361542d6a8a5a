"""The vector index's search breadth: the served HNSW efSearch, and a per-search override that benchmarks use."""
from __future__ import annotations

import numpy as np

from index.vectors import HNSW_EF_SEARCH, VectorIndex


def _unit(n: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, 384)).astype("float32")
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_ef_search_override_reaches_exact_results_and_the_default_is_served():
    vectors = _unit(3000, 1)
    hnsw = VectorIndex.build(vectors, hnsw_threshold=1)
    flat = VectorIndex.build(vectors, hnsw_threshold=10**9)
    assert hnsw.kind == "hnsw" and hnsw.ef_search == HNSW_EF_SEARCH and flat.ef_search is None
    narrow, wide = [], []
    for q in _unit(25, 2):
        _, want = flat.search(q, 10)
        _, got_wide = hnsw.search(q, 10, ef_search=3000)  # a breadth of the whole index: every node is reachable
        _, got_narrow = hnsw.search(q, 10, ef_search=10)
        _, served = hnsw.search(q, 10)
        _, same = hnsw.search(q, 10, ef_search=hnsw.ef_search)
        assert served.tolist() == same.tolist()
        wide.append(len(set(want.tolist()) & set(got_wide.tolist())))
        narrow.append(len(set(want.tolist()) & set(got_narrow.tolist())))
    assert sum(wide) == 250  # random 384-d vectors are hard for a graph: only a full breadth finds every one
    assert sum(narrow) < sum(wide)
    # a breadth below k still returns k hits, and a filter keeps the override
    assert len(hnsw.search(_unit(1, 3)[0], 50, ef_search=8)[1]) == 50
    allowed = np.arange(0, 3000, 3, dtype="int64")
    _, ids = hnsw.search(_unit(1, 4)[0], 10, allowed=allowed, ef_search=3000)
    _, want = flat.search(_unit(1, 4)[0], 10, allowed=allowed)
    assert ids.tolist() == want.tolist()


def test_served_ef_search_grows_with_the_index_and_stays_bounded(monkeypatch):
    import index.vectors as iv

    sizes = [1, 50_000, iv.HNSW_EF_SEARCH_BASE, 200_000, 1_000_000, 10**7, 10**9]
    efs = [iv.ef_search_for(n) for n in sizes]
    assert efs[:3] == [iv.HNSW_EF_SEARCH] * 3
    assert efs == sorted(efs) and efs[4] > efs[3] > iv.HNSW_EF_SEARCH and efs[-1] == iv.HNSW_EF_SEARCH_MAX
    assert all(ef % 32 == 0 for ef in efs)
    # an index reports and serves the breadth of its size, built or read back from its bytes
    monkeypatch.setattr(iv, "HNSW_EF_SEARCH_BASE", 1000)
    hnsw = VectorIndex.build(_unit(4000, 5), hnsw_threshold=1)
    assert hnsw.ef_search == iv.ef_search_for(4000) > iv.HNSW_EF_SEARCH
    again = VectorIndex.from_bytes(hnsw.to_bytes(), "hnsw")
    assert again.ef_search == hnsw.ef_search
    assert again._index.hnsw.efSearch == hnsw.ef_search


def test_an_hnsw_graph_built_on_two_threads_finds_what_one_thread_finds():
    """KB_BUILD_THREADS: the graph is built in parallel (not bit-identical), with the same search quality, and the
    caller's OpenMP thread count is restored afterwards."""
    import faiss

    rng = np.random.default_rng(3)
    x = rng.standard_normal((3000, 32)).astype("float32")
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    before = faiss.omp_get_max_threads()
    one = VectorIndex.build(x, hnsw_threshold=1000, threads=1)
    two = VectorIndex.build(x, hnsw_threshold=1000, threads=2)
    assert faiss.omp_get_max_threads() == before
    assert one.kind == two.kind == "hnsw" and one.size == two.size == 3000
    hits_one = hits_two = 0
    exact = x[:200] @ x.T
    truth = np.argsort(-exact, axis=1)[:, :10]
    for i, q in enumerate(x[:200]):
        hits_one += len(set(one.search(q, 10)[1].tolist()) & set(truth[i].tolist()))
        hits_two += len(set(two.search(q, 10)[1].tolist()) & set(truth[i].tolist()))
    assert hits_two >= 0.97 * hits_one
