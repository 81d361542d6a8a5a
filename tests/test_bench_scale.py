"""`kb bench` at scale: the block-wise synthetic build, the synthetic vectors, reusing a generation, and recall
against exact search (also as benchmarks/vector_recall.py measures it).

Run at a tiny size (2,000 chunks); what is checked is that the pieces a million-chunk run depends on give the same
numbers as the whole-array code they replace, and that the recall figure is computed against the stored vectors.
"""
from __future__ import annotations

import io
import shutil

import numpy as np
import pytest

from fixtures import load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench")


@pytest.fixture
def base(bench, built_kb_home, tmp_path):
    from index.kb import KnowledgeBase
    from kb_settings import Settings

    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    return bench.Base(KnowledgeBase(Settings.from_env(home=home)))


def test_noisy_rows_read_by_slices_across_blocks(bench, monkeypatch):
    monkeypatch.setattr(bench, "NOISE_BLOCK", 100)
    basis = np.random.default_rng(0).normal(size=(30, 384)).astype("float32")
    lazy = bench.NoisyRows(basis, np.random.default_rng(1).integers(0, 30, 1234), 0.05, seed=7)
    whole = lazy.materialize()
    assert len(lazy) == 1234 and lazy.shape == (1234, 384) and lazy.size == 1234 * 384
    for a, b in ((0, 1234), (99, 101), (250, 250), (1200, 5000), (0, 1)):
        assert np.array_equal(lazy[a:b], whole[a:b])
    assert np.array_equal(bench.NoisyRows(basis, lazy.owners, 0.05, seed=7)[300:700], whole[300:700])


def test_noisy_rows_in_blocks_equal_one_whole_draw(bench, monkeypatch):
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(40, 384)).astype("float32")
    owners = rng.integers(0, 40, 5000)
    monkeypatch.setattr(bench, "NOISE_BLOCK", 777)  # several blocks, the last one partial
    got = bench.noisy_rows(basis, owners, 0.025, np.random.default_rng(13))
    r = np.random.default_rng(13)
    want = basis[owners] + r.normal(0.0, 0.025, size=(len(owners), 384))
    want = (want / np.linalg.norm(want, axis=1, keepdims=True)).astype("float32")
    assert got.dtype == np.float32 and np.array_equal(got, want)


def test_unit_vectors_written_in_blocks_are_the_bytes_of_one_np_save(tmp_path, monkeypatch):
    from index import generation as gens

    monkeypatch.setattr(gens, "_UNIT_BLOCK", 1000)
    v = np.random.default_rng(3).normal(size=(2500, 384)).astype("float32")
    meta = gens._write_unit_vectors(tmp_path / "u.npy", v, len(v), 384)
    scale = 127.0 / float(np.abs(v).max())
    buf = io.BytesIO()
    np.save(buf, np.clip(np.rint(v * scale), -127, 127).astype("int8"), allow_pickle=False)
    assert (tmp_path / "u.npy").read_bytes() == buf.getvalue()
    assert meta["scale"] == scale and meta["rows"] == 2500


def test_synthetic_docs_are_made_again_identically_on_every_pass(bench, base):
    docs, vecs = base.synthesize(203, 0.025)
    lazy = bench.SyntheticDocs(base, 203)
    assert len(lazy) == len(docs) == 26 and list(lazy) == docs and list(lazy) == docs
    assert sum(len(d["chunks"]) for d in lazy) == 203 == len(vecs)


def test_synthetic_units_lie_inside_their_chunks_and_match_the_segmenter_in_number(bench, base):
    import json

    from index.units import segment

    docs = bench.SyntheticDocs(base, 400)
    vecs = base.synthetic_vectors(400, 0.025)
    rows, uvecs = bench.synthetic_units(docs, vecs, 0.025)
    texts = [c["text"] for d in docs for c in d["chunks"]]
    assert len(rows) == len(uvecs) and uvecs.dtype == np.float32
    whole = uvecs.materialize()
    # two vectors per unit side by side, as the product stores its own and its placed vector
    assert whole.shape == (len(rows), 768)
    own, placed = whole[:, :384], whole[:, 384:]
    assert np.allclose(np.linalg.norm(own, axis=1), 1.0, atol=1e-5)
    assert np.allclose(np.linalg.norm(placed, axis=1), 1.0, atol=1e-5) and not np.array_equal(own, placed)
    # any slice reads the same rows as the whole, across block edges
    assert np.array_equal(uvecs[5:len(rows) - 3], whole[5:len(rows) - 3])
    owners = np.asarray([r[0] for r in rows])
    assert ((own * vecs[owners]).sum(1) > 0.5).all()  # each unit's vectors lie near its chunk's
    assert ((placed * vecs[owners]).sum(1) > 0.5).all()
    assert all(0 <= r[1] < r[2] <= len(texts[r[0]]) and texts[r[0]][r[1]:r[2]].strip() for r in rows)
    exact = sum(len(segment(d["text"], d["title"], json.loads(d["sections"]), c["start"], c["end"]))
                for d in docs for c in d["chunks"])
    assert 0.7 * exact <= len(rows) <= 1.5 * exact


def test_synthetic_build_at_2000_chunks_is_hnsw_reusable_and_recall_is_against_stored_vectors(bench, base, tmp_path):
    from index.generation import Generation
    from index.publishing import GEN_DIR

    home = tmp_path / "size-2000"
    out = bench.build_synthetic(base, home, 2000, 0.025, hnsw_threshold=1000)
    vecs = out.pop("_vectors")
    assert out["index_kind"] == "hnsw" and out["chunks"] == 2000 and not out["reused"]
    assert out["units"] > 0 and set(out["phases_s"]) >= {"synthesize_vectors", "build_vectors_index",
                                                         "build_database_fts5"}
    assert out["size_bytes"]["total"] >= out["size_bytes"]["vectors.faiss"] + out["size_bytes"]["chunks.db"]

    again = bench.build_synthetic(base, home, 2000, 0.025, hnsw_threshold=1000, reuse=True)
    assert again["reused"] and again["generation"] == out["generation"] and again["_vectors"] is None
    # --reuse-any serves what the folder holds, made from other inputs, and never builds
    kept = bench.build_synthetic(base, home, 2000, 0.05, hnsw_threshold=1000, reuse="any")
    assert kept["reused"] and kept["generation"] == out["generation"] and kept["stamp_matches"] is False
    with pytest.raises(SystemExit, match="no 2000-chunk generation"):
        bench.build_synthetic(base, tmp_path / "empty", 2000, 0.025, hnsw_threshold=1000, reuse="any")
    assert not (tmp_path / "empty").exists()
    other = bench.build_synthetic(base, home, 2000, 0.05, hnsw_threshold=1000, reuse=True)  # different noise
    assert not other["reused"]

    gen = Generation.load(home / GEN_DIR / other["generation"])
    other_vecs = other.pop("_vectors")
    stored = bench.stored_vectors(gen.vectors, 2000)
    assert np.array_equal(stored, other_vecs) and not np.array_equal(stored, vecs)

    queries = base.vectors  # real embeddings of real text
    rec = bench.index_recall(gen.vectors, stored, queries)
    assert rec["vectors"] == 2000 and rec["queries"] == len(queries) > 0 and rec["index_kind"] == "hnsw"
    assert set(rec["by_ef_search"]) == {str(ef) for ef in bench.EF_SWEEP}
    assert 0.0 <= rec["recall_at_10"] <= 1.0
    # a query equal to a stored vector finds it at rank 1 in exact search: recall cannot be computed against
    # anything but the stored rows
    from index.vectors import VectorIndex

    flat = VectorIndex.build(stored, hnsw_threshold=10**9)
    assert bench.index_recall(flat, stored, stored[:10])["recall_at_10"] == 1.0


def test_mixed_rows_are_positive_mixtures_of_their_base_and_two_to_four_real_vectors(bench, monkeypatch):
    monkeypatch.setattr(bench, "NOISE_BLOCK", 500)  # several blocks, the last one partial
    eye = np.eye(384, dtype="float32")
    first, pool = eye[:50], eye[50:350]  # orthonormal: a row's coordinates are its mixture weights
    firsts = np.random.default_rng(2).integers(0, 50, 3000)
    rows = bench.mixed_rows(first, pool, firsts, 0.0, seed=13)
    assert rows.dtype == np.float32 and rows.shape == (3000, 384)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert (rows > -1e-7).all()  # positive weights, no noise
    assert (rows[np.arange(3000), firsts] > 0).all()  # the base chunk's vector is always in the mixture
    assert (rows[:, :50] > 0).sum(1).max() == 1  # and no other base chunk's
    parts = (rows > 0).sum(1)
    assert parts.min() >= 1 and parts.max() <= 4
    for k in (2, 3, 4):  # the number of components is drawn uniformly (a repeated pool draw can merge two)
        assert 0.2 < np.mean(parts == k) < 0.45
    assert np.array_equal(rows, bench.mixed_rows(first, pool, firsts, 0.0, seed=13))  # seeded
    assert not np.array_equal(rows, bench.mixed_rows(first, pool, firsts, 0.0, seed=14))
    noisy = bench.mixed_rows(first, pool, firsts, 0.01, seed=13)
    assert 0.9 < float(np.median((noisy * rows).sum(1))) < 0.999  # small isotropic noise


def test_mixtures_are_not_clusters_of_copies(bench, base):
    """The exact top 10 of a query over noisy copies of a few real vectors is decided by the noise (ranks 1 and
    10 nearly tie); over mixtures of real vectors it is not."""
    queries = base.vectors[:40]
    n = 40 * len(base.vectors)
    mixed = bench.vector_realism(base.synthetic_vectors(n, 0.01), queries)
    copies = bench.vector_realism(bench.noisy_rows(base.vectors, np.arange(n) % len(base.vectors), 0.025,
                                                   np.random.default_rng(1)), queries)
    assert mixed["vectors"] == copies["vectors"] == n
    assert mixed["query_rank1_minus_rank10"][1] > 2 * copies["query_rank1_minus_rank10"][1]


def test_exact_top_k_across_blocks_is_the_full_sort(bench, monkeypatch):
    monkeypatch.setattr(bench, "EXACT_BLOCK", 333)
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(2000, 384)).astype("float32")
    queries = rng.normal(size=(30, 384)).astype("float32")
    scores, ids = bench.exact_top_k(vectors, queries, 10)
    full = queries @ vectors.T
    want = np.argsort(-full, axis=1)[:, :10]
    assert np.array_equal(ids, want)
    assert np.allclose(scores, np.take_along_axis(full, want, 1), atol=1e-4)


def test_a_generation_of_another_generator_is_rebuilt(bench, base, tmp_path, monkeypatch):
    home = tmp_path / "size-300"
    out = bench.build_synthetic(base, home, 300, 0.01, hnsw_threshold=10**6)
    stamp = bench.synthetic_stamp(base, 300, 0.01, 10**6)
    assert bench.reusable(home, stamp) == out["generation"]
    assert stamp["generator"] == bench.GENERATOR and stamp["pool_vectors"] == len(base.mix_pool)
    monkeypatch.setattr(bench, "GENERATOR", "another-generator")
    assert bench.reusable(home, bench.synthetic_stamp(base, 300, 0.01, 10**6)) is None


def test_vector_recall_study_builds_the_index_only_and_sweeps_ef_search(base, tmp_path):
    study = load_benchmark("vector_recall")
    queries = base.vectors[:30]
    out = study.study_size(base, queries, 3000, 0.01, (16, 64), threads=1, save_dir=tmp_path / "saved",
                           from_saved=False, realism=True)
    rec = out["recall"]
    # the served efSearch is measured whatever the sweep
    assert rec["vectors"] == 3000 and set(rec["by_ef_search"]) == {"16", "64", str(rec["ef_search_served"])}
    assert 0.0 <= rec["by_ef_search"]["16"]["recall_at_10"] <= rec["by_ef_search"]["64"]["recall_at_10"] <= 1.0
    assert out["build_s"] is not None and out["realism"]["vectors"] == 3000
    again = study.study_size(base, queries, 3000, 0.01, (16, 64), threads=1, save_dir=tmp_path / "saved",
                             from_saved=True, realism=False)
    assert again["build_s"] is None
    # the kept index finds the same neighbours (only the timings differ)
    assert {ef: v["recall_at_10"] for ef, v in again["recall"]["by_ef_search"].items()} == {
        ef: v["recall_at_10"] for ef, v in rec["by_ef_search"].items()}
