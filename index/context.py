"""What the reader, the writer and the ingest pipeline share: settings, the models, the vocabulary."""
from __future__ import annotations

import logging
from pathlib import Path

from ingest.chunking import ChunkParams
from kb_settings import Settings

from .embedder import Embedder, get_embedder, get_query_encoder
from .vocabulary import Vocabulary

log = logging.getLogger("kb")


class KBContext:
    """One per KnowledgeBase: the models load lazily, on first use, and are shared by its parts."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.home = Path(settings.home)
        self._vocab: Vocabulary | None = None
        self._query_encoder = None

    @property
    def embedder(self) -> Embedder:
        return get_embedder(self.settings.model, self.settings.torch_threads)

    @property
    def query_encoder(self):
        """What encodes questions: the KB's ONNX export (no torch in the process) when present, else the embedder.

        Kept once found (asked on every search, the lookup resolves paths); the torch fallback is asked again, so
        an export made by a later re-index is picked up."""
        if self._query_encoder is None:
            enc = get_query_encoder(self.settings.model, self.home, self.settings.query_encoder,
                                    self.settings.torch_threads)
            if enc is self.embedder and self.settings.query_encoder != "torch":
                return enc
            self._query_encoder = enc
        return self._query_encoder

    def export_encoder(self) -> None:
        """Export the model to ONNX under the KB home once (writers call it; it needs torch)."""
        from .onnx_export import export_onnx

        emb = self.embedder
        try:
            cache = self.settings.onnx_cache
            export_onnx(emb.path, emb.fingerprint, self.home,
                        cache=None if cache.strip().lower() in ("", "off") else Path(cache).expanduser())
        except Exception as exc:  # noqa: BLE001 - the generation is published; queries fall back to torch
            log.warning("could not export the model to ONNX under %s (%s: %s); queries will use torch",
                        self.home, exc.__class__.__name__, exc)

    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocab is None:
            self._vocab = Vocabulary.load(self.settings.vocab or None)
        return self._vocab

    @property
    def chunk_params(self) -> ChunkParams:
        limit = min(self.settings.max_tokens, self.embedder.max_seq_length)
        return ChunkParams(max_tokens=limit, overlap_tokens=self.settings.overlap_tokens)
