"""The vector index: the only module that imports faiss. Exact search when small, HNSW when large."""
from __future__ import annotations

import contextlib
import hashlib
from typing import Iterator

import faiss
import numpy as np

# Measured on synthetic mixtures of real embeddings, 445 real queries (BENCHMARKS.md "Vector-index recall at a
# million"): efConstruction 80 gave recall@10 0.93 at 100k (efSearch 128), 0.89 at 1M (512); 160 gives 0.96 at
# 100k (efSearch 128) and 0.96 at 1M (efSearch 736: 2.4 ms of CPU per search, p50).
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 160
HNSW_EF_SEARCH = 128  # the served efSearch up to HNSW_EF_SEARCH_BASE vectors; it grows above (ef_search_for)
HNSW_EF_SEARCH_BASE = 100_000
HNSW_EF_SEARCH_GROWTH = 0.75  # 128 at 100k, 224 at 200k, 448 at 500k, 736 at 1M
HNSW_EF_SEARCH_MAX = 2048
SEARCH_THREADS = 1  # single queries are fastest on one OpenMP thread (FACTS.md: 8.7 ms vs 43.9 ms with 2)


def ef_search_for(n: int) -> int:
    """The efSearch an HNSW index of n vectors serves: a graph search needs a longer candidate list to keep its
    recall as the graph grows (recall@10 against exact search, BENCHMARKS.md "Vector-index recall at a million");
    HNSW_EF_SEARCH times (n / HNSW_EF_SEARCH_BASE) ** HNSW_EF_SEARCH_GROWTH, in steps of 32, capped."""
    if n <= HNSW_EF_SEARCH_BASE:
        return HNSW_EF_SEARCH
    ef = HNSW_EF_SEARCH * (n / HNSW_EF_SEARCH_BASE) ** HNSW_EF_SEARCH_GROWTH
    return int(min(HNSW_EF_SEARCH_MAX, -(-ef // 32) * 32))


@contextlib.contextmanager
def omp_threads(n: int) -> Iterator[None]:
    """Run faiss with `n` OpenMP threads and restore the caller's count afterwards.

    faiss and torch share the OpenMP runtime's per-thread setting: a bare `omp_set_num_threads` here would
    silently override KB_TORCH_THREADS for every later encoding on that thread.
    """
    before = faiss.omp_get_max_threads()
    n = max(1, int(n))
    if n == before:
        yield
        return
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class VectorIndex:
    """Inner-product search over unit vectors; row i of the build matrix is chunk id i."""

    def __init__(self, index, kind: str, threads: int = SEARCH_THREADS):
        self._index = index
        self.kind = kind
        self.threads = threads  # OpenMP threads for one search, set around the call only

    @classmethod
    def build(cls, vectors: np.ndarray, hnsw_threshold: int, threads: int = 1) -> "VectorIndex":
        """The index over `vectors`; an HNSW graph is built with `threads` OpenMP threads (search uses its own)."""
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else 384
        if len(vectors) >= hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            kind = "hnsw"
        else:
            index = faiss.IndexFlatIP(dim)
            kind = "flat"
        if len(vectors):
            with omp_threads(threads if kind == "hnsw" else 1):
                index.add(np.ascontiguousarray(vectors, dtype="float32"))
        if kind == "hnsw":
            index.hnsw.efSearch = ef_search_for(index.ntotal)
        return cls(index, kind)

    @property
    def ef_search(self) -> int | None:
        """The HNSW search breadth served by default, which grows with the index (None for exact search)."""
        return ef_search_for(self.size) if self.kind == "hnsw" else None

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def to_bytes(self) -> bytes:
        return faiss.serialize_index(self._index).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, kind: str) -> "VectorIndex":
        index = faiss.deserialize_index(np.frombuffer(data, dtype="uint8"))
        if kind == "hnsw":
            faiss.downcast_index(index).hnsw.efSearch = ef_search_for(index.ntotal)
        return cls(index, kind)

    @classmethod
    def load(cls, path, kind: str, mmap: bool = True) -> "VectorIndex":
        """Read an index file; with mmap the vectors stay in the page cache, shared by every process reading it.

        IO_FLAG_MMAP_IFC maps the codes of flat storage (IndexFlat, and the storage of IndexHNSWFlat) instead of
        copying them, so N gunicorn workers hold one copy of the vectors; only the HNSW graph is private.
        """
        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mmap else 0
        index = faiss.read_index(str(path), flags)
        if kind == "hnsw":
            faiss.downcast_index(index).hnsw.efSearch = ef_search_for(index.ntotal)
        return cls(index, kind)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None,
               ef_search: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids); `allowed` restricts the search to those ids inside faiss itself; `ef_search`
        overrides the HNSW search breadth for this call (benchmarks measure recall against it)."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype="float32"), np.zeros(0, dtype="int64")
        ef = self._ef(k, ef_search)
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return np.zeros(0, dtype="float32"), np.zeros(0, dtype="int64")
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype="int64"))
            if self.kind == "hnsw":
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
            else:
                params = faiss.SearchParameters(sel=selector)
        elif self.kind == "hnsw" and ef != self.ef_search:
            params = faiss.SearchParametersHNSW(efSearch=ef)
        with omp_threads(self.threads):
            scores, ids = self._index.search(np.ascontiguousarray(query.reshape(1, -1), dtype="float32"), k,
                                             params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def _ef(self, k: int, ef_search: int | None) -> int:
        """The HNSW candidate list for a top-k search: the given or served breadth, never below k."""
        return max(int(ef_search or self.ef_search or HNSW_EF_SEARCH), k)

    def reconstruct(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of the given ids, one row each (in one call into faiss)."""
        if not len(ids):
            return np.zeros((0, self.dimension), "float32")
        return self._index.reconstruct_batch(np.asarray(ids, dtype="int64"))


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
