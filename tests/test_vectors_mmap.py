"""Memory-mapped vector indexes: the same hits as in memory, and really mapped (shared between workers)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from index.generation import Generation
from index.publishing import read_current
from index.search import Retriever
from index.types import SearchFilters
from index.vectors import VectorIndex


def _unit(n: int, dim: int = 384, seed: int = 7) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype("float32")
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _mapped(path: Path) -> bool:
    return str(path) in Path("/proc/self/maps").read_text()


@pytest.mark.parametrize("threshold", [10**9, 1], ids=["flat", "hnsw"])
def test_mmap_index_gives_the_same_hits(tmp_path, threshold):
    vectors = _unit(3000)
    built = VectorIndex.build(vectors, threshold)
    path = tmp_path / "vectors.faiss"
    path.write_bytes(built.to_bytes())
    in_memory = VectorIndex.from_bytes(path.read_bytes(), built.kind)
    mapped = VectorIndex.load(path, built.kind, mmap=True)
    assert mapped.kind == built.kind and mapped.size == 3000
    if sys.platform.startswith("linux"):
        assert _mapped(path)
    allowed = np.arange(0, 3000, 7, dtype="int64")
    for q in _unit(20, seed=11):
        s1, i1 = in_memory.search(q, 50)
        s2, i2 = mapped.search(q, 50)
        assert i1.tolist() == i2.tolist() and np.allclose(s1, s2)
        s1, i1 = in_memory.search(q, 10, allowed)
        s2, i2 = mapped.search(q, 10, allowed)
        assert i1.tolist() == i2.tolist() and set(i2.tolist()) <= set(allowed.tolist())
    assert np.allclose(in_memory.reconstruct([0, 5, 2999]), mapped.reconstruct([0, 5, 2999]))


def test_generation_maps_its_vectors_and_searches_alike(built_kb, embedder):
    gen_dir = built_kb.home / "generations" / read_current(built_kb.home)
    mapped = Generation.load(gen_dir, embedder.fingerprint, mmap=True)
    copied = Generation.load(gen_dir, embedder.fingerprint, mmap=False)
    if sys.platform.startswith("linux"):
        assert _mapped(gen_dir / "vectors.faiss")
    for q in ("taper oxycodone", "naloxone kit for patients at home", "pregabalin misuse"):
        qvec = embedder.encode_query(q)
        a = Retriever(mapped, built_kb.vocabulary).retrieve(q, qvec, 20, SearchFilters())
        b = Retriever(copied, built_kb.vocabulary).retrieve(q, qvec, 20, SearchFilters())
        assert [c.chunk_id for c in a] == [c.chunk_id for c in b]
