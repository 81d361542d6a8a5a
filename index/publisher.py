"""From the catalogue to a published generation: chunk vectors and answer units through the embedding cache,
the term dictionary, then index/generation.py builds, publishes and prunes."""
from __future__ import annotations

import hashlib
import json
import os
from typing import Callable

import numpy as np

from . import generation as gens
from . import publishing
from . import shared_db
from .catalog import Catalog
from .context import KBContext

Progress = Callable[[str, int, int], None]


def embed_input(title: str, text: str) -> str:
    """What the model sees for a chunk: the document's title (already cut to its token budget), then the chunk.

    Every passage carries its document's subject this way, so a recommendation deep in a case still matches a
    question about that case. Kept in one place so the cache key and the build agree.
    """
    title = title.strip()
    if not title or text.startswith(title):
        return text
    return f"{title}\n{text}"


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Publisher:
    """Builds and publishes a generation from everything the catalogue holds (the caller holds the write lock)."""

    def __init__(self, ctx: KBContext):
        self.ctx = ctx

    def vectors(self, catalog: Catalog, docs: list[dict], progress: Progress | None) -> tuple[np.ndarray, int]:
        """Vectors for every chunk, from the cache where possible; returns (matrix, number newly embedded)."""
        emb = self.ctx.embedder
        titles = self.clipped_titles([d["title"] for d in docs])
        inputs = [embed_input(titles[d["title"]], c.get("index_text") or c["text"]) for d in docs for c in d["chunks"]]
        keys = [_key(t) for t in inputs]
        cached = catalog.cached_vectors(emb.fingerprint, list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(k for k in keys if k not in cached))
        if missing:
            todo = {k: t for k, t in zip(keys, inputs) if k in set(missing)}
            done = 0
            batch = 256
            if progress:
                progress("embedding", 0, len(missing))
            for i in range(0, len(missing), batch):
                part = missing[i:i + batch]
                vecs = emb.encode([todo[k] for k in part])
                catalog.store_vectors(emb.fingerprint, list(zip(part, vecs)))
                cached.update(zip(part, vecs))
                done += len(part)
                if progress:
                    progress("embedding", done, len(missing))
        dim = next(iter(cached.values())).shape[0] if cached else 384
        matrix = np.vstack([cached[k] for k in keys]).astype("float32") if keys else np.zeros((0, dim), "float32")
        return matrix, len(missing)

    def clipped_titles(self, titles: list[str]) -> dict[str, str]:
        """Each distinct title cut to the chunking's title budget in word pieces, so no input is truncated."""
        budget = self.ctx.chunk_params.title_tokens
        distinct = list(dict.fromkeys(titles))
        out = {}
        for title, spans in zip(distinct, self.ctx.embedder.token_spans(distinct)):
            out[title] = title if len(spans) <= budget else title[:spans[budget - 1][1]]
        return out

    def answer_units(self, catalog: Catalog, docs: list[dict], progress: Progress | None):
        """Answer units of every chunk (in chunk-id order) and their vectors, through the embedding cache.

        Each unit has two vectors side by side: its own text (as the Answer box quotes it) and the same text under
        its heading path (which says what the unit is about when the sentence does not name it).
        """
        from .units import embed_text, placed_text, segment, unit_row

        rows, own, placed = [], [], []
        chunk_id = 0
        for d in docs:
            sections = json.loads(d["sections"]) if isinstance(d["sections"], str) else d["sections"]
            for c in d["chunks"]:
                for u in segment(d["text"], d["title"], sections, c["start"], c["end"]):
                    rows.append(unit_row(chunk_id, c["text"], u))
                    own.append(embed_text(c["text"][u.start:u.end], u.context))
                    placed.append(placed_text(c["text"][u.start:u.end], u.context, u.path))
                chunk_id += 1
        emb = self.ctx.embedder
        inputs = own + placed
        keys = [_key(t) for t in inputs]
        cached = catalog.cached_vectors(emb.fingerprint, list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(k for k in keys if k not in cached))
        todo = dict(zip(keys, inputs))
        for i in range(0, len(missing), 512):
            part = missing[i:i + 512]
            vecs = emb.encode([todo[k] for k in part], batch_size=64)
            catalog.store_vectors(emb.fingerprint, list(zip(part, vecs)))
            cached.update(zip(part, vecs))
            if progress:
                progress("answer units", min(i + 512, len(missing)), len(missing))
        dim = emb.dimension if not cached else next(iter(cached.values())).shape[0]
        if not rows:
            return rows, np.zeros((0, 2 * dim), "float32")
        n = len(rows)
        matrix = np.vstack([cached[k] for k in keys]).astype("float32")
        return rows, np.hstack([matrix[:n], matrix[n:]])

    def build(self, catalog: Catalog, progress: Progress | None) -> tuple[str, int]:
        """Build and publish a generation of the whole catalogue; returns (its name, chunks newly embedded)."""
        from .search import vocabulary_phrases
        from .spelling import count_terms

        docs = list(catalog.iter_documents())
        vectors, embedded = self.vectors(catalog, docs, progress)
        units, unit_vectors = self.answer_units(catalog, docs, progress)
        terms = count_terms((t for d in docs for t in (d["title"], d["text"])),
                            [t for g in self.ctx.vocabulary.groups for t in g])
        emb = self.ctx.embedder
        inp = gens.BuildInput(
            docs=docs, vectors=vectors,
            model={"name": emb.name, "path": str(emb.path), "fingerprint": emb.fingerprint,
                   "dimension": int(vectors.shape[1]) if len(vectors) else 384,
                   "max_seq_length": emb.max_seq_length},
            chunking=self.ctx.chunk_params.to_dict(), catalog_version=catalog.version,
            hnsw_threshold=self.ctx.settings.hnsw_threshold, units=units, unit_vectors=unit_vectors, terms=terms,
            phrases=vocabulary_phrases(self.ctx.vocabulary),
            build_threads=self.ctx.settings.build_threads or (os.cpu_count() or 1))
        publishing.crash_point("before-build")
        name = gens.build(self.ctx.home, inp, progress)
        publishing.prune(self.ctx.home, self.ctx.settings.keep_generations)
        # shared copies of chunks.db no process serves any more (the last worker usually removes its own)
        shared_db.sweep(shared_db.shared_dir(self.ctx.settings.shared_db_dir))
        self.ctx.export_encoder()
        return name, embedded
