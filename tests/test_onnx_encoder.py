"""The ONNX query path: same vectors as torch, cached and checked export, and serving without torch."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from fixtures import make_kb

ROOT = Path(__file__).resolve().parent.parent

# A fixed set: short questions, abbreviations, numbers, accents, and one text longer than the model's 256 pieces.
SENTENCES = [
    "How do I taper oxycodone 120 mg a day?",
    "bup micro-dosing while still using fentanyl",
    "What is a safe MME threshold for a patient over 65?",
    "Naloxone kits should be offered to everyone on long-term opioids.",
    "Pregabalin misuse with anxiety disorder",
    "CBT and mindfulness reduce pain catastrophizing in fibromyalgia.",
    "Méthadone et intervalle QTc prolongé",
    "UDT",
    "Acetaminophen dosing in cirrhosis: no more than 2 g per day.",
    "The 2022 CDC guideline stresses that opioids should not be discontinued abruptly.",
    " ".join(["Buprenorphine induction at home requires a clear plan for withdrawal symptoms, a follow-up call and "
              "naloxone."] * 25),
]

# Measured on this fixed set (2026-12-02): fp32 agrees with torch to 1.0000 (min); int8 (dynamic, per-channel,
# MatMul only) to a minimum of 0.992 and a mean of 0.993. The bounds leave a margin for other CPUs' int8 kernels.
FP32_MIN_COSINE = 0.99
INT8_MIN_COSINE = 0.97
INT8_MEAN_COSINE = 0.985


@pytest.fixture(scope="module")
def encoders(built_kb_home, embedder):
    from index.embedder import get_query_encoder

    fp32 = get_query_encoder("", built_kb_home, "onnx-fp32")
    int8 = get_query_encoder("", built_kb_home, "onnx-int8")
    return embedder, fp32, int8


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_fp32_onnx_matches_torch(encoders):
    torch_enc, fp32, _ = encoders
    cos = _cosines(torch_enc.encode(SENTENCES), fp32.encode(SENTENCES))
    assert cos.min() >= FP32_MIN_COSINE, cos
    queries = np.vstack([fp32.encode_query(s) for s in SENTENCES[:5]])
    assert _cosines(queries, torch_enc.encode(SENTENCES[:5])).min() >= FP32_MIN_COSINE
    assert np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-5)


def test_int8_onnx_within_measured_bound(encoders):
    torch_enc, _, int8 = encoders
    cos = _cosines(torch_enc.encode(SENTENCES), int8.encode(SENTENCES))
    assert cos.min() >= INT8_MIN_COSINE, cos
    assert cos.mean() >= INT8_MEAN_COSINE, cos


def test_batched_encoding_keeps_input_order(encoders):
    _, fp32, _ = encoders
    batch = fp32.encode(SENTENCES, batch_size=3)
    one_by_one = np.vstack([fp32.encode_query(s) for s in SENTENCES])
    assert np.allclose(batch, one_by_one, atol=1e-4)


def test_token_counts_match_the_transformers_tokenizer(encoders):
    """Chunking now counts with `tokenizers` alone; it must agree with the tokenizer it replaced."""
    from transformers import AutoTokenizer

    torch_enc, fp32, _ = encoders
    ref = AutoTokenizer.from_pretrained(str(torch_enc.path), local_files_only=True)
    enc = ref(SENTENCES, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
    expected = [[(int(a), int(b)) for a, b in offs] for offs in enc["offset_mapping"]]
    assert fp32.token_spans(SENTENCES) == expected
    assert torch_enc.token_spans(SENTENCES) == expected
    for s in SENTENCES:
        n = len(ref(s, add_special_tokens=True, truncation=False, verbose=False)["input_ids"])
        assert fp32.count_tokens(s) == torch_enc.count_tokens(s) == n


def test_export_is_cached_under_the_home_with_checksums(built_kb_home, embedder):
    from index.onnx_encoder import onnx_dir, read_onnx_manifest
    from index.onnx_export import export_onnx

    directory = onnx_dir(built_kb_home, embedder.fingerprint)
    manifest = read_onnx_manifest(directory, embedder.fingerprint)
    assert manifest is not None and set(manifest["files"]) == {"model.onnx", "model.int8.onnx", "word_embeddings.npy"}
    assert read_onnx_manifest(directory, "another-model") is None
    before = (directory / "model.onnx").stat().st_mtime_ns
    assert export_onnx(embedder.path, embedder.fingerprint, built_kb_home) == directory
    assert (directory / "model.onnx").stat().st_mtime_ns == before  # reused, not exported again


def test_workers_share_the_embedding_table_through_a_read_only_map(built_kb_home, tmp_path, embedder):
    """The graphs' 47 MB word-piece table is read from a memory-mapped file (one copy per host), with the very
    vectors the graph's own copy gives; an export made before the file existed still serves, and a writer adds it."""
    from index import onnx_encoder as oe
    from index.onnx_export import export_onnx

    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    directory = oe.onnx_dir(home, embedder.fingerprint)
    shared = oe.OnnxEncoder(embedder.path, directory, embedder.fingerprint, "int8", 1, 256)
    kept = shared.session.kb_shared_initializers
    assert len(kept) == 1 and isinstance(kept[0][0], np.memmap) and not kept[0][0].flags.writeable
    # the same export as it was before the table was saved beside it
    manifest = json.loads((directory / "manifest.json").read_text())
    del manifest["files"]["word_embeddings.npy"], manifest["shared_initializers"]
    (directory / "manifest.json").unlink()
    (directory / "word_embeddings.npy").unlink()
    (directory / "manifest.json").write_text(json.dumps(manifest))
    oe._SHARED.clear()  # a new process
    own = oe.OnnxEncoder(embedder.path, directory, embedder.fingerprint, "int8", 1, 256)
    assert own.session.kb_shared_initializers == []
    for s in SENTENCES:
        assert np.array_equal(own.encode_query(s), shared.encode_query(s))
    assert export_onnx(embedder.path, embedder.fingerprint, home) == directory  # a writer upgrades it
    assert "word_embeddings.npy" in oe.read_onnx_manifest(directory, embedder.fingerprint)["files"]


def test_damaged_export_falls_back_to_torch(built_kb_home, tmp_path, embedder):
    from index.embedder import get_query_encoder
    from index.onnx_encoder import onnx_dir

    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    path = onnx_dir(home, embedder.fingerprint) / "model.int8.onnx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert get_query_encoder("", home, "auto").backend == "torch"
    kb = make_kb(home)
    assert kb.search("naloxone", k=3).hits  # still answers, with torch
    assert kb.query_encoder.backend == "torch"
    # the fallback is not kept: once the export is whole again (a re-index makes it), the next search uses it
    shutil.copy2(onnx_dir(built_kb_home, embedder.fingerprint) / "model.int8.onnx", path)
    assert kb.query_encoder.backend == "onnx-int8" and kb.query_encoder is kb.query_encoder


SERVE_CHECK = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {root!r})
    from kb_settings import Settings
    from webapp import create_app
    import kb_cli
    app = create_app(Settings.from_env(home={home!r}), test_config={{"TESTING": True}})
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    r = client.get("/api/search?q=taper+oxycodone")
    assert r.status_code == 200 and r.get_json()["hits"], r.status_code
    try:
        kb_cli.cli.main(["--home", {home!r}, "search", "naloxone kit", "--json"], standalone_mode=False)
    except SystemExit:
        pass
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "sentence_transformers", "transformers"))
    print("HEAVY=" + json.dumps(heavy))
""")


def test_serving_and_search_never_import_torch(built_kb_home, tmp_path):
    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    code = SERVE_CHECK.format(root=str(ROOT), home=str(home))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "KB_SEARCH_RATE_LIMIT": "off"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    heavy = json.loads(proc.stdout.rsplit("HEAVY=", 1)[1])
    assert heavy == [], heavy
