"""Exporting the embedding model to ONNX (writers only: the export needs torch), once per machine and KB home.

The transformer is exported from the packaged sentence-transformers model into `KB_HOME/models/<fingerprint>/`
(the format index/onnx_encoder.py reads), beside a dynamically quantised int8 copy, the word-piece embedding table
that workers memory-map, and a manifest with checksums; everything is published by renaming complete files and
directories.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np

from .onnx_encoder import (EMBEDDINGS, FP32, INPUTS, INT8, ONNX_FORMAT_VERSION, file_sha256, onnx_dir,
                           read_onnx_manifest)
from .publishing import fsync_path, write_bytes

log = logging.getLogger("kb")
_EXPORTED: dict[str, Path] = {}  # fingerprint -> a finished export made by this process


def _embedding_table(graph: Path) -> tuple[str, np.ndarray] | None:
    """The name and values of the table the graph's Gather reads with input_ids (the word-piece embeddings)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(graph))
    names = {n.input[0] for n in model.graph.node if n.op_type == "Gather" and list(n.input[1:2]) == ["input_ids"]}
    for init in model.graph.initializer:
        if init.name in names:
            return init.name, numpy_helper.to_array(init)
    return None


def _write_embeddings(directory: Path, manifest: dict) -> dict:
    """Save the graphs' shared embedding table beside them and return the manifest naming it (unchanged when the
    graphs have none, or it differs between them)."""
    table = _embedding_table(directory / FP32)
    if table is None:
        return manifest
    name, values = table
    for variant in manifest["files"]:
        if variant != FP32:
            other = _embedding_table(directory / variant)
            if other is None or other[0] != name or not np.array_equal(other[1], values):
                return manifest
    tmp = directory / f".{EMBEDDINGS}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        np.save(fh, np.ascontiguousarray(values, dtype=np.float32))
    fsync_path(tmp)
    os.replace(tmp, directory / EMBEDDINGS)
    out = dict(manifest, files=dict(manifest["files"]), shared_initializers={name: EMBEDDINGS})
    out["files"][EMBEDDINGS] = {"sha256": file_sha256(directory / EMBEDDINGS), "bytes": (directory / EMBEDDINGS).stat().st_size}
    return out


def _write_manifest(directory: Path, manifest: dict) -> None:
    """Write manifest.json by renaming a complete file over it (a reader sees the old one or the new one)."""
    tmp = directory / f".manifest.{os.getpid()}.tmp"
    write_bytes(tmp, json.dumps(manifest, indent=2).encode())
    os.replace(tmp, directory / "manifest.json")


def _share_embeddings(directory: Path, fingerprint: str) -> None:
    """Give an export made before the embedding table was saved beside the graphs its table (writers only)."""
    quick = read_onnx_manifest(directory, fingerprint, verify=False)
    if quick is None or EMBEDDINGS in quick["files"]:
        return
    manifest = read_onnx_manifest(directory, fingerprint)  # the graphs the table is read from must be intact
    if manifest is None:
        return
    updated = _write_embeddings(directory, manifest)
    if updated is not manifest:
        _write_manifest(directory, updated)


def _try_share_embeddings(directory: Path, fingerprint: str) -> None:
    """_share_embeddings, best effort: without the file the export still serves (each worker keeps its own table)."""
    try:
        _share_embeddings(directory, fingerprint)
    except Exception as exc:  # noqa: BLE001
        log.warning("could not save the embedding table beside the ONNX export in %s (%s: %s)", directory,
                    exc.__class__.__name__, exc)


def _valid(directory: Path, fingerprint: str) -> bool:
    return read_onnx_manifest(directory, fingerprint, verify=False) is not None


def _publish_dir(tmp: Path, dest: Path, fingerprint: str) -> None:
    """Rename a complete directory into place; a concurrent writer that got there first wins."""
    if dest.exists() and not _valid(dest, fingerprint):
        shutil.rmtree(dest, ignore_errors=True)  # an older, incomplete or damaged export
    try:
        os.replace(tmp, dest)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not _valid(dest, fingerprint):
            raise


def export_onnx(model_path: Path, fingerprint: str, home: Path, quantize: bool = True,
                cache: Path | None = None) -> Path:
    """Export the transformer to ONNX (and an int8 copy) under the KB home, once; returns the directory.

    Needs torch and transformers (the writer has them). With `cache` (KB_ONNX_CACHE), the export is made once per
    machine there and linked (or copied) into each KB home. Everything is published by renaming a complete
    temporary directory, so a reader never sees half an export.
    """
    dest = onnx_dir(home, fingerprint)
    if _valid(dest, fingerprint):
        _try_share_embeddings(dest, fingerprint)
        return dest
    source = _EXPORTED.get(fingerprint)
    if (source is None or not _valid(source, fingerprint)) and cache is not None:
        source = Path(cache).expanduser() / fingerprint
        if not _valid(source, fingerprint):
            source.parent.mkdir(parents=True, exist_ok=True)
            _export_into(model_path, fingerprint, source, quantize)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if source is not None and read_onnx_manifest(source, fingerprint) is not None:
        _try_share_embeddings(source, fingerprint)  # an older cached export: every home linked from it shares then
        tmp = dest.parent / f".tmp-{fingerprint}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            for f in os.listdir(source):
                try:
                    os.link(source / f, tmp / f)
                except OSError:
                    shutil.copy2(source / f, tmp / f)
            _publish_dir(tmp, dest, fingerprint)
            _try_share_embeddings(dest, fingerprint)
            return dest
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
    _export_into(model_path, fingerprint, dest, quantize)
    return dest


def _export_into(model_path: Path, fingerprint: str, dest: Path, quantize: bool) -> None:
    """The export itself, into a temporary sibling of `dest` renamed into place when complete."""
    tmp = dest.parent / f".tmp-{fingerprint}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        started = time.time()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel

        class _Hidden(torch.nn.Module):
            """The transformer alone, with keyword inputs, returning the last hidden state."""

            def __init__(self, model):
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.model(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        model = _Hidden(AutoModel.from_pretrained(str(model_path), local_files_only=True).eval())
        dummy = tuple(torch.ones((1, 8), dtype=torch.long) for _ in INPUTS)
        axes = {name: {0: "batch", 1: "sequence"} for name in (*INPUTS, "last_hidden_state")}
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, dummy, str(tmp / FP32), input_names=list(INPUTS),
                              output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17,
                              dynamo=False)
        files = [FP32]
        if quantize:
            import logging

            from onnxruntime.quantization import QuantType, quantize_dynamic

            logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
            # Per-channel weights on the MatMuls only: per-tensor int8 (the default) moved vectors to a mean cosine
            # of 0.95 against fp32; per-channel keeps it at 0.995 for the same speed (BENCHMARKS.md).
            quantize_dynamic(str(tmp / FP32), str(tmp / INT8), weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul"])
            files.append(INT8)
        manifest = {
            "format_version": ONNX_FORMAT_VERSION, "model_fingerprint": fingerprint, "model_path": str(model_path),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "export_seconds": round(time.time() - started, 2), "opset": 17, "torch": torch.__version__,
            "pooling": "mean", "normalize": True, "int8": "dynamic, per-channel, MatMul only",
            "files": {f: {"sha256": file_sha256(tmp / f), "bytes": (tmp / f).stat().st_size} for f in files},
        }
        manifest = _write_embeddings(tmp, manifest)
        files = list(manifest["files"])
        write_bytes(tmp / "manifest.json", json.dumps(manifest, indent=2).encode())
        for f in files:
            fsync_path(tmp / f)
        _publish_dir(tmp, dest, fingerprint)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _EXPORTED[fingerprint] = dest
