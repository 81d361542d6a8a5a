"""The embedding model as an ONNX graph run by ONNX Runtime: queries (and batches) encoded without torch.

The graphs are exported once by index/onnx_export.py into `KB_HOME/models/<model fingerprint>/` (the format,
its names and the manifest reader live here, with the one reader of it). Encoding needs only `onnxruntime`,
`tokenizers` and numpy: the model's own fast tokenizer, the transformer, mean pooling over the attention mask and
L2 normalisation, exactly the modules sentence-transformers runs for all-MiniLM-L6-v2 (Transformer →
Pooling(mean) → Normalize).
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import numpy as np

from .errors import KBError

ONNX_FORMAT_VERSION = 1
MODELS_DIR = "models"
FP32 = "model.onnx"
INT8 = "model.int8.onnx"
VARIANTS = {"fp32": FP32, "int8": INT8}
# The word-piece embedding table (30522 x 384 float32, 47 MB; the same in both graphs), saved beside them. Each
# worker hands ONNX Runtime a read-only memory map of it in place of the graph's own copy, so the workers of a host
# share one copy in the page cache instead of holding one each (BENCHMARKS.md "One embedding table per host").
EMBEDDINGS = "word_embeddings.npy"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def load_tokenizer(model_path: Path, max_length: int | None = None):
    """The model's fast tokenizer from tokenizer.json: no truncation or padding unless max_length is given."""
    from tokenizers import Tokenizer

    tok_file = model_path / "tokenizer.json"
    if not tok_file.exists():
        raise KBError(f"{model_path} has no tokenizer.json; the ONNX encoder needs the model's fast tokenizer")
    tok = Tokenizer.from_file(str(tok_file))
    tok.no_padding()
    if max_length:
        tok.enable_truncation(max_length)
    else:
        tok.no_truncation()
    return tok


def onnx_dir(home: Path, fingerprint: str) -> Path:
    """Where the exported graphs of one model live under a KB home."""
    return Path(home) / MODELS_DIR / fingerprint


_HASHED: dict[tuple, str] = {}  # (device, inode, size, mtime, ctime) -> sha256 of a file this process has read
_SHARED: dict[tuple, object] = {}  # (sha256 of the graph, threads) or (tokenizer path, length) -> loaded object
_SHARED_LOCK = threading.Lock()


def file_sha256(path: Path) -> str:
    """A file's SHA-256, read once per process while the file is unchanged: each KB home links the same export,
    and re-reading ~110 MB for every home opened (and again for its first query) was most of opening one."""
    st = os.stat(path)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    known = _HASHED.get(key)
    if known is not None:
        return known
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    _HASHED[key] = h.hexdigest()
    return _HASHED[key]


def _shared(key: tuple, load):
    """One loaded session or tokenizer per identical input in this process (they are safe to share between
    threads), so homes that link the same export do not each hold a copy."""
    with _SHARED_LOCK:
        found = _SHARED.get(key)
    if found is None:
        found = load()
        with _SHARED_LOCK:
            found = _SHARED.setdefault(key, found)
    return found


def read_onnx_manifest(directory: Path, fingerprint: str, verify: bool = True) -> dict | None:
    """The export's manifest when it is complete, for this model, and (verify=True) matches its checksums."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if manifest.get("format_version") != ONNX_FORMAT_VERSION or manifest.get("model_fingerprint") != fingerprint:
        return None
    for name, info in manifest.get("files", {}).items():
        path = directory / name
        if not path.exists() or path.stat().st_size != info["bytes"]:
            return None
        if verify and file_sha256(path) != info["sha256"]:
            return None
    return manifest


class OnnxEncoder:
    """Normalised float32 sentence vectors from an exported graph; the same interface as `Embedder`."""

    def __init__(self, model_path: Path, directory: Path, fingerprint: str, variant: str = "fp32",
                 threads: int = 1, max_seq_length: int = 256, name: str = "all-MiniLM-L6-v2", dimension: int = 384):
        if variant not in VARIANTS:
            raise KBError(f"ONNX variant must be one of {', '.join(VARIANTS)}")
        self.path = model_path
        self.directory = directory
        self.fingerprint = fingerprint
        self.variant = variant
        self.backend = f"onnx-{variant}"
        self.threads = threads
        self.name = name
        self._max_seq_length = max_seq_length
        self._dimension = dimension
        self._session = None
        self._tokenizer = None
        self._counter = None
        self._lock = threading.Lock()

    @property
    def max_seq_length(self) -> int:
        return self._max_seq_length

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def session(self):
        if self._session is None:
            with self._lock:
                if self._session is None:
                    graph = self.directory / VARIANTS[self.variant]
                    session = _shared((file_sha256(graph), max(1, self.threads)), lambda: self._load_session(graph))
                    self._input_names = {i.name for i in session.get_inputs()}
                    self._session = session
        return self._session

    def _load_session(self, graph: Path):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, self.threads)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        # the embedding table from a read-only memory map (checked with the export's other files): ONNX Runtime
        # reads it in place, so every worker of the host shares one copy in the page cache
        manifest = read_onnx_manifest(self.directory, self.fingerprint, verify=False) or {}
        kept = []
        for name, file in manifest.get("shared_initializers", {}).items():
            table = np.load(self.directory / file, mmap_mode="r")
            value = ort.OrtValue.ortvalue_from_numpy(table)
            opts.add_initializer(name, value)
            kept.append((table, value))
        session = ort.InferenceSession(str(graph), opts, providers=["CPUExecutionProvider"])
        session.kb_shared_initializers = kept  # ONNX Runtime reads these buffers for as long as the session lives
        return session

    @property
    def tokenizer(self):
        """The tokenizer as the model sees it: special tokens added, truncated at max_seq_length."""
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = _shared((str(self.path), self.max_seq_length),
                                              lambda: load_tokenizer(self.path, self.max_seq_length))
        return self._tokenizer

    @property
    def counter(self):
        """The same tokenizer without truncation, for sizing chunks."""
        if self._counter is None:
            with self._lock:
                if self._counter is None:
                    self._counter = _shared((str(self.path), None), lambda: load_tokenizer(self.path))
        return self._counter

    def count_tokens(self, text: str) -> int:
        return len(self.counter.encode(text, add_special_tokens=True).ids)

    def token_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """Character span of each word piece of each text, without special tokens."""
        if not texts:
            return []
        return [[(int(a), int(b)) for a, b in enc.offsets]
                for enc in self.counter.encode_batch(list(texts), add_special_tokens=False)]

    def _run(self, texts: list[str]) -> np.ndarray:
        encs = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for row, e in enumerate(encs):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        session = self.session
        hidden = session.run(None, {k: v for k, v in feeds.items() if k in self._input_names})[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(self, texts: list[str], batch_size: int = 32, progress=None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (batched by length, like sentence-transformers)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            idx = order[i:i + batch_size]
            out[idx] = self._run([texts[j] for j in idx])
            if progress:
                progress(len(idx))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self._run([text])
