"""`kb bench` at scale: the block-wise synthetic build, reusing a generation, and recall against exact search.

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
    from index.generation import Generation, GEN_DIR

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
