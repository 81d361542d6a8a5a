"""Search and ingest benchmark: latency next to its floor, ingest next to bare encoding, memory, index size, recall.

    python benchmarks/bench.py [--sizes 1000,10000,100000] [--queries N] [--json] [--home DIR] [--skip-http]

Everything is measured in one run, on the same machine state:

* Ingest (corpus/ into a fresh KB): the whole first ingest, the embedding stage of that ingest (chunks/s), bare
  `Embedder.encode` on the same chunk texts with the same batching (chunks/s), and a second ingest of the unchanged
  corpus (seconds, and its ratio to the first).
* For each size N (chunks): a synthetic knowledge base built through index.generation.build():
  - text: documents of 8 chunks; each chunk takes the sentences of one real corpus chunk (its "base"), drops one
    sentence at random when it has several, and adds one or two sentences drawn from the whole corpus, so FTS5 sees
    the real vocabulary and realistic term statistics; titles, sections, doc types, sources and tags are those of
    the base chunk's document (titles get a variant number);
  - vectors: a random positive mixture of 2-4 real embeddings, the first the base chunk's, the others drawn
    from the corpus chunks and (when present) the NFCorpus documents, plus isotropic Gaussian noise (sigma
    --noise per dimension, default 0.01), re-normalised (mixed_rows): a continuous distribution near the real
    embeddings rather than clusters of copies. So N = 100k costs no 100k-chunk embedding run; index type follows
    KB_HNSW_THRESHOLD like a real build.
  - answer units: the product's segmenter, run once per distinct sentence (the sentences recur across chunks) and
    on whole chunks where a line's structure decides (table rows); see synthetic_units.
  - built for a million chunks: documents are made again on each pass instead of held in memory, vectors in
    blocks; each build phase is timed and the build's peak RSS reported; --reuse --home DIR keeps a size's
    generation built earlier from the same inputs.
  Then, per timed query (the questions of corpus/eval/questions.jsonl (122), cycled to --queries, after a warm-up):
  - floor = encode_query (the model alone) + VectorIndex.search(qvec, 100) (FAISS alone) + a plain FTS5
    `SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT 100` with an OR of the query terms;
  - in-process: KnowledgeBase.search(q, k=10) (hybrid, default settings), plus a per-stage breakdown;
  - HTTP: GET /api/search?q=..&k=10 on a real `kb serve` (1 worker) on 127.0.0.1, one keep-alive client;
  the three are interleaved query by query so machine noise hits them alike; then the same questions over HTTP
  alone, back to back (http_alone_ms: no in-process search between two requests to take the server's CPU caches,
  which is how a served worker meets its requests). Reported: p50/p95/p99 of each, the
  ratios to the floor, the server's resident memory (VmRSS/VmHWM of master and worker), build time
  (manifest build_seconds) and size on disk.
* Recall: HNSW recall@10 against exact search (IndexFlatIP) on real embeddings of real text: the corpus chunks plus,
  when ../shared/data/nfcorpus beside the checkout (or $PP_NFCORPUS) exists, the NFCorpus documents embedded with the packaged model
  (cached under KB_EVAL_CACHE/bench); queries: the corpus questions plus the NFCorpus test queries. Also reported
  at every size whose index is HNSW: the served index against exact search over the very vectors it stores,
  with the same real queries encoded by the query encoder (efSearch 128 as served, and 256, 512 for the cost of
  more); the 1M targets (issue #15: HTTP p50, worker RSS, recall@10) are named fields.

`--json` prints every figure; the floor, the ratios and the targets are named fields.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import importlib.util  # noqa: E402

import numpy as np  # noqa: E402


def _load_module(name: str, path: Path):
    """benchmarks/ is not a package: load a sibling file under a private module name."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


loadmod = _load_module("pp_bench_load", Path(__file__).resolve().with_name("load.py"))  # server launcher, helpers

NFCORPUS = Path(os.environ.get("PP_NFCORPUS", Path(__file__).resolve().parents[2] / "shared" / "data" / "nfcorpus"))
CHUNKS_PER_DOC = 8
WARMUP = 10
TARGETS = {  # name: (limit, "le" | "ge")
    "http_p50_vs_floor_at_100k": (1.5, "le"),
    "http_p95_vs_floor_at_100k": (2.5, "le"),
    "ingest_embed_vs_bare_encode": (0.85, "ge"),
    "reingest_unchanged_vs_first": (0.05, "le"),
    "hnsw_recall_at_10_real": (0.98, "ge"),
    # issue #15, absolute (quiet machine): checked only when that size is in --sizes
    "http_p50_ms_at_100k": (25.0, "le"),
    "second_worker_adds_mb_at_100k": (100.0, "le"),
    "http_p50_ms_at_1m": (60.0, "le"),
    "worker_rss_mb_at_1m": (2500.0, "le"),
    "index_recall_at_10_at_1m": (0.95, "ge"),
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values) -> dict:
    a = np.asarray(list(values), dtype=float)
    if a.size == 0:
        return {"n": 0}
    return {"n": int(a.size), "p50": round(float(np.percentile(a, 50)), 3),
            "p95": round(float(np.percentile(a, 95)), 3), "p99": round(float(np.percentile(a, 99)), 3),
            "mean": round(float(a.mean()), 3), "min": round(float(a.min()), 3), "max": round(float(a.max()), 3)}


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------------------ ingest
def bench_ingest(home: Path, corpus: Path) -> tuple[dict, object]:
    """First ingest (timed, with its embedding stage), bare encode of the same chunks, unchanged re-ingest."""
    from index.kb import KnowledgeBase
    from kb_settings import Settings

    kb = KnowledgeBase(Settings.from_env(home=home))
    emb = kb.embedder
    emb.encode(["warm up the model", "and its tokenizer"])  # model loading is not ingest throughput
    import torch

    ingest_threads = torch.get_num_threads()
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        marks.setdefault(f"{stage}_first", now)
        marks[f"{stage}_last"] = now
        if stage == "reading" and done == total:
            marks["reading_done"] = now

    t0 = time.perf_counter()
    report = kb.ingest_paths([corpus], progress=progress)
    first = time.perf_counter() - t0
    gen = kb.generation()
    texts = [c.text for c in gen.reader.chunks()]
    unique = list(dict.fromkeys(texts))
    embedded = report.chunks_embedded
    # the embedding stage: from the end of reading to the last embedded batch (cache look-ups included)
    embed_s = (marks["embedding_last"] - marks.get("reading_done", t0)) if "embedding_last" in marks else None

    # Loading a generation calls faiss.omp_set_num_threads(1), which (shared OpenMP runtime) also changes torch's
    # intra-op threads: encode with the thread count the ingest had, so only the ingest's own overhead differs.
    after_threads = torch.get_num_threads()
    torch.set_num_threads(ingest_threads)
    t1 = time.perf_counter()
    emb.encode(unique)  # same default batch size (32) and the same 256-text slices as ingest
    bare_s = time.perf_counter() - t1
    torch.set_num_threads(after_threads)

    t2 = time.perf_counter()
    report2 = kb.ingest_paths([corpus])
    second = time.perf_counter() - t2
    out = {
        "files": len(report.files), "failed_files": report.failed, "documents": gen.counts["documents"],
        "chunks": gen.counts["chunks"], "chunks_embedded": embedded,
        "first_ingest_s": round(first, 3), "first_ingest_chunks_per_s": round(len(texts) / first, 2),
        "embed_stage_s": round(embed_s, 3) if embed_s else None,
        "ingest_embed_chunks_per_s": round(embedded / embed_s, 2) if embed_s else None,
        "bare_encode_s": round(bare_s, 3), "bare_encode_chunks_per_s": round(len(unique) / bare_s, 2),
        "torch_threads": ingest_threads, "torch_threads_after_generation_load": after_threads,
        "second_ingest_s": round(second, 3), "second_ingest_chunks_embedded": report2.chunks_embedded,
        "stages_s": {k[:-5]: round(marks[k] - marks[k[:-5] + "_first"], 3) for k in marks if k.endswith("_last")},
    }
    out["ingest_embed_vs_bare_encode"] = ratio(out["ingest_embed_chunks_per_s"], out["bare_encode_chunks_per_s"])
    out["ingest_total_vs_bare_encode"] = ratio(out["first_ingest_chunks_per_s"], out["bare_encode_chunks_per_s"])
    out["reingest_unchanged_vs_first"] = ratio(second, first)
    return out, kb


# ------------------------------------------------------------------------------------------------ synthetic KBs
class Base:
    """The real corpus chunks, their documents and embeddings: the material synthetic KBs are made of."""

    def __init__(self, kb, pool_vectors: np.ndarray | None = None):
        """`pool_vectors`: more real embeddings (the NFCorpus documents) that synthetic vectors mix in."""
        from ingest.sentences import sentence_spans

        gen = kb.generation()
        self.kb = kb
        self.manifest = gen.manifest
        keep = ("doc_id", "title", "doc_type", "source", "published", "reviewed", "tags", "filename", "basis")
        docs = {d.doc_id: {f: getattr(d, f) for f in keep} for d in gen.reader.documents()}
        self.chunks = []
        for c in gen.reader.chunks():
            sents = [c.text[s:e].strip() for s, e in sentence_spans(c.text)]
            self.chunks.append({"id": c.chunk_id, "doc": docs[c.doc_id], "heading_path": c.heading_path,
                                "sentences": [s for s in sents if s]})
        self.vectors = gen.vectors.reconstruct(list(range(len(self.chunks)))).astype("float32")
        self.pool = [s for c in self.chunks for s in c["sentences"]]
        extra = [] if pool_vectors is None or not len(pool_vectors) else [np.asarray(pool_vectors, dtype="float32")]
        self.mix_pool = np.vstack([self.vectors, *extra])  # the real vectors a synthetic vector mixes

    def _bases(self, n: int, seed: int) -> tuple[random.Random, list[int]]:
        rng = random.Random(seed)
        return rng, [rng.randrange(len(self.chunks)) for _ in range(n)]

    def iter_docs(self, n: int, seed: int = 13):
        """The synthetic documents one at a time (the same ones on every call: the draws are seeded)."""
        rng, bases = self._bases(n, seed)
        for d0 in range(0, n, CHUNKS_PER_DOC):
            first = self.chunks[bases[d0]]
            meta = first["doc"]
            doc_id = f"syn-{d0 // CHUNKS_PER_DOC:06d}"
            parts, chunks, pos = [], [], 0
            for ordinal, b in enumerate(bases[d0:d0 + CHUNKS_PER_DOC]):
                src = self.chunks[b]
                sents = list(src["sentences"]) or [rng.choice(self.pool)]
                if len(sents) > 2:
                    sents.pop(rng.randrange(len(sents)))
                for _ in range(rng.randint(1, 2)):
                    sents.insert(rng.randrange(len(sents) + 1), rng.choice(self.pool))
                text = " ".join(sents)
                if parts:
                    pos += 2
                chunks.append({"ordinal": ordinal, "text": text, "start": pos, "end": pos + len(text),
                               "heading_path": src["heading_path"], "page": None, "_sentences": sents})
                parts.append(text)
                pos += len(text)
            full = "\n\n".join(parts)
            sections = [[c["start"], c["end"], c["heading_path"], None] for c in chunks]
            yield {"doc_id": doc_id, "title": f"{meta['title']} (variant {d0 // CHUNKS_PER_DOC})",
                   "doc_type": meta["doc_type"], "source": meta["source"], "published": meta["published"],
                   "reviewed": meta["reviewed"], "tags": meta["tags"], "filename": f"{doc_id}.md",
                   "basis": meta["basis"], "text": full, "sections": json.dumps(sections),
                   "content_hash": f"synthetic-{seed}-{doc_id}", "chunks": chunks, "_base_title": meta["title"]}

    def synthetic_vectors(self, n: int, noise: float, seed: int = 13) -> np.ndarray:
        """Chunk i's vector: a random mixture of its base chunk's real embedding and 1-3 other real embeddings
        of the pool, plus isotropic noise, re-normalised (mixed_rows)."""
        _, bases = self._bases(n, seed)
        return mixed_rows(self.vectors, self.mix_pool, np.asarray(bases), noise, seed)

    def synthesize(self, n: int, noise: float, seed: int = 13) -> tuple[list[dict], np.ndarray]:
        return list(self.iter_docs(n, seed)), self.synthetic_vectors(n, noise, seed)


class SyntheticDocs:
    """The synthetic documents as a sequence that is made again on every pass instead of held in memory (a
    million chunks as dicts would take gigabytes); generation.build only iterates its docs and takes their count."""

    def __init__(self, base: Base, n: int, seed: int = 13):
        self.base, self.n, self.seed = base, n, seed

    def __len__(self) -> int:
        return -(-self.n // CHUNKS_PER_DOC)

    def __iter__(self):
        return self.base.iter_docs(self.n, self.seed)


NOISE_BLOCK = 65536  # rows of noisy vectors made at a time


def noisy_rows(base: np.ndarray, owners: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """base[owners] plus Gaussian noise, each row re-normalised, as float32; made in blocks of rows so a million
    rows never need whole float64 temporaries (the numbers are those of one big draw: same stream, same order)."""
    dim = base.shape[1]
    out = np.empty((len(owners), dim), dtype="float32")
    for s in range(0, len(owners), NOISE_BLOCK):
        e = min(s + NOISE_BLOCK, len(owners))
        v = base[owners[s:e]] + rng.normal(0.0, sigma, size=(e - s, dim))
        out[s:e] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


MIX_COMPONENTS = (2, 4)  # a synthetic chunk vector mixes between 2 and 4 real vectors
GENERATOR = "mixture-v1"  # recorded in the --reuse stamp: a generation made by another generator is rebuilt


def mixed_rows(first: np.ndarray, pool: np.ndarray, firsts: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """Row i = normalise(w_0 first[firsts[i]] + w_1 pool[r_1] + ... + noise), float32, made in blocks.

    Copies of a few hundred real vectors plus noise made clusters of near-identical vectors whose exact top 10 is
    decided by the noise alone (recall of any graph index collapses on them; BENCHMARKS.md, "A million chunks").
    A random positive mixture of a few real embeddings is a continuous distribution that stays near the real
    ones: per row, k components drawn uniformly from MIX_COMPONENTS, the first its base chunk's vector (so the
    chunk's text and vector still share a topic), the others drawn uniformly from `pool`; weights
    Dirichlet(1, ..., 1); isotropic Gaussian noise of sigma per dimension. Each block of NOISE_BLOCK rows has its
    own generator seeded (seed, block), so the numbers do not depend on the order blocks are made in."""
    lo, hi = MIX_COMPONENTS
    dim = first.shape[1]
    out = np.empty((len(firsts), dim), dtype="float32")
    for b, s in enumerate(range(0, len(firsts), NOISE_BLOCK)):
        e = min(s + NOISE_BLOCK, len(firsts))
        rng = np.random.default_rng([seed, b])
        k = rng.integers(lo, hi + 1, e - s)
        w = rng.exponential(1.0, (e - s, hi)).astype("float32")  # normalised exponentials: Dirichlet(1)
        w[np.arange(hi)[None, :] >= k[:, None]] = 0.0
        w /= w.sum(1, keepdims=True)
        v = w[:, :1] * first[firsts[s:e]]
        for j in range(1, hi):
            v += w[:, j:j + 1] * pool[rng.integers(0, len(pool), e - s)]
        v += rng.standard_normal((e - s, dim), dtype="float32") * np.float32(sigma)
        out[s:e] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


_PAD = "Filler sentence here."
_ITEM_START = __import__("re").compile(r"^\s*(?:[-*•▪◦]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")  # index.units' list marker


class NoisyRows:
    """base[owners] plus noise, re-normalised, made block by block whenever rows are read instead of held: the
    unit vectors of a million chunks (several units each) would be ~10 GB of float32. Each block of NOISE_BLOCK
    rows has its own seeded generator, so any read of a row gives the same numbers. Read by slices only, as
    generation.build does when it writes units.npy. copies=2 puts two draws side by side, as the product stores a
    unit's own and its placed vector (index/units.placed_text)."""

    dtype = np.dtype("float32")

    def __init__(self, base: np.ndarray, owners: np.ndarray, sigma: float, seed: int, copies: int = 1):
        self.base, self.owners, self.sigma, self.seed, self.copies = base, owners, sigma, seed, copies
        self.shape = (len(owners), base.shape[1] * copies)
        self.size = self.shape[0] * self.shape[1]

    def __len__(self) -> int:
        return self.shape[0]

    def _block(self, b: int) -> np.ndarray:
        rows = self.owners[b * NOISE_BLOCK:(b + 1) * NOISE_BLOCK]
        rng = np.random.default_rng([self.seed, b])
        draws = [noisy_rows(self.base, rows, self.sigma, rng) for _ in range(self.copies)]
        return draws[0] if self.copies == 1 else np.hstack(draws)

    def __getitem__(self, key) -> np.ndarray:
        if not isinstance(key, slice):
            raise TypeError("NoisyRows is read by slices of rows")
        start, stop, step = key.indices(self.shape[0])
        if step != 1:
            raise TypeError("NoisyRows is read by contiguous slices")
        if stop <= start:
            return np.zeros((0, self.shape[1]), dtype="float32")
        parts = [self._block(b) for b in range(start // NOISE_BLOCK, (stop - 1) // NOISE_BLOCK + 1)]
        first = (start // NOISE_BLOCK) * NOISE_BLOCK
        return np.concatenate(parts)[start - first:stop - first]

    def materialize(self) -> np.ndarray:
        return self[0:self.shape[0]]


def synthetic_units(docs, vecs: np.ndarray, noise: float) -> tuple[list[tuple], "NoisyRows"]:
    """Answer units cut by the product's own rules; each unit's vector is its chunk's plus noise (speed only).

    A synthetic chunk is a few corpus sentences joined by spaces, and the same sentences recur in thousands of
    chunks; so each distinct sentence is segmented once (alone, under the chunk's headings and its document's
    base title) and its units are shifted to where it sits, and each distinct unit text's stored fields (stems,
    population mask) are computed once. Segmenting whole chunks took ~2 ms a chunk (over half an hour at a
    million); this differs from it only where the segmenter would group two adjacent sentences."""
    from index.units import Unit, is_glossary_title, section_kind, segment, unit_row

    rows, owners = [], []
    seg_cache: dict[tuple, list] = {}
    ctx_cache: dict[tuple, tuple] = {}
    tail_cache: dict[tuple, tuple] = {}
    cid = 0
    for d in docs:
        for c in d["chunks"]:
            text, pos = c["text"], 0
            if "|" in text or "\n" in text or _ITEM_START.match(text):
                # a table row, several lines, or a list item: the line's structure decides, segment it whole
                units = segment(d["text"], d["title"], json.loads(d["sections"]), c["start"], c["end"])
            else:
                path = tuple(c["heading_path"])
                ctx = ctx_cache.get((d["_base_title"], path))
                if ctx is None:
                    ctx = ctx_cache[(d["_base_title"], path)] = (*section_kind(path), is_glossary_title(
                        d["_base_title"]) or any(is_glossary_title(h) for h in path[1:]))
                advice, case, glossary = ctx
                units = []
                for k, sent in enumerate(c["_sentences"]):
                    found = seg_cache.get((sent, k == 0))
                    if found is None:
                        # between neutral sentences, as in the chunk: never alone on its line, and only the
                        # chunk's first sentence starts the line; under a neutral heading (patched below)
                        lead = "" if k == 0 else _PAD + " "
                        padded = lead + sent + " " + _PAD
                        a, b = len(lead), len(lead) + len(sent)
                        found = seg_cache[(sent, k == 0)] = [
                            Unit(max(u.start, a) - a, min(u.end, b) - a, u.role, u.advice, u.case, u.amount,
                                 u.imperative, u.context)
                            for u in segment(padded, _PAD, [[0, len(padded), [_PAD], None]], 0, len(padded))
                            if u.end > a and u.start < b]
                    # the heading's part of the rules: advice / case section, and a glossary's sentences
                    units += [Unit(u.start + pos, u.end + pos,
                                   "definition" if glossary and u.role in ("sentence", "item") else u.role,
                                   advice, case, u.amount, u.imperative, u.context) for u in found]
                    pos += len(sent) + 1
            for u in units:
                tkey = (text[u.start:u.end], u.context)
                tail = tail_cache.get(tkey)
                if tail is None:
                    tail = tail_cache[tkey] = unit_row(cid, text, u)[9:]
                rows.append((cid, u.start, u.end, u.role, int(u.advice), int(u.case), int(u.amount),
                             int(u.imperative), u.context) + tail)
                owners.append(cid)
            cid += 1
    return rows, NoisyRows(vecs, np.asarray(owners, dtype="int32"), 2 * noise, seed=7, copies=2)


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM (Linux: writing 5 to /proc/self/clear_refs), so a phase's peak can be read."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float | None:
    return loadmod.proc_memory_mb(os.getpid()).get("peak_rss_mb")


def synthetic_stamp(base: Base, n: int, noise: float, hnsw_threshold: int) -> dict:
    """What a synthetic generation was made from: a generation is reused only when all of it matches."""
    return {"chunks": n, "noise": noise, "seed": 13, "chunks_per_doc": CHUNKS_PER_DOC, "hnsw_threshold": hnsw_threshold,
            "model": base.manifest["model"]["fingerprint"], "base_chunks": len(base.chunks),
            "base_vectors_sum": round(float(base.vectors.astype("float64").sum()), 6),
            "generator": GENERATOR, "mix_components": list(MIX_COMPONENTS), "pool_vectors": len(base.mix_pool),
            "pool_vectors_sum": round(float(base.mix_pool.astype("float64").sum()), 6),
            "unit_vectors_per_unit": 2}  # own and placed (a generation made with one is rebuilt)


STAMP = "bench-synthetic.json"


def reusable(home: Path, stamp: dict) -> str | None:
    """The live generation under `home` when it was built by this benchmark from the same inputs, else None."""
    from index import generation as gens
    from index import publishing

    try:
        if json.loads((home / STAMP).read_text()) != stamp:
            return None
        name = publishing.read_current(home)
        if name and gens.read_manifest(home / publishing.GEN_DIR / name)["counts"]["chunks"] == stamp["chunks"]:
            return name
    except Exception:  # noqa: BLE001 - anything missing or unreadable means "build again"
        return None
    return None


def stored_vectors(vectors, n: int, block: int = 8192) -> np.ndarray:
    """The float32 vectors a VectorIndex stores (flat or HNSW storage), row i = chunk id i."""
    out = np.empty((n, vectors.dimension), dtype="float32")
    for s in range(0, n, block):
        out[s:s + block] = vectors.reconstruct(list(range(s, min(n, s + block))))
    return out


def mem_available_mb() -> float | None:
    try:
        with open("/proc/meminfo") as fh:
            return next(int(line.split()[1]) / 1024 for line in fh if line.startswith("MemAvailable:"))
    except (OSError, StopIteration):
        return None


def memory_short(db_path: Path, shared: bool = False) -> str | None:
    """Why starting a worker could exhaust this shared machine's memory, or None. With a shared copy of chunks.db
    (KB_SHARED_DB_DIR) the host holds it once, and this process has already made it; without one, each worker
    verifies chunks.db and holds it in memory (file bytes, a staging copy and the served copy at once while it
    loads)."""
    avail_mb = mem_available_mb()
    if avail_mb is None:
        return None
    avail = avail_mb * 2**20
    size = db_path.stat().st_size
    need = (0 if shared else 3 * size) + (1 << 30)
    if avail < need:
        how = "beside the shared copy" if shared else f"while loading chunks.db ({size / 2**30:.1f} GiB)"
        return f"a worker would need about {need / 2**30:.1f} GiB {how} and {avail / 2**30:.1f} GiB are available"
    return None


def kept_generation(home: Path, n: int) -> tuple[str, dict | None]:
    """--reuse-any: the N-chunk generation `home` holds and the stamp it was made with; an error when none."""
    from index import generation as gens
    from index import publishing

    try:
        name = publishing.read_current(home)
        if name and gens.read_manifest(home / publishing.GEN_DIR / name)["counts"]["chunks"] == n:
            try:
                return name, json.loads((home / STAMP).read_text())
            except (OSError, ValueError):
                return name, None
    except Exception as exc:  # noqa: BLE001 - reported below
        raise SystemExit(f"error: --reuse-any: {home} holds no readable {n}-chunk generation ({exc})") from exc
    raise SystemExit(f"error: --reuse-any: {home} holds no {n}-chunk generation (nothing is built with --reuse-any)")


def build_synthetic(base: Base, home: Path, n: int, noise: float, hnsw_threshold: int,
                    reuse: bool | str = False) -> dict:
    """Build (or, with reuse, keep) the N-chunk generation; times each phase and the build's peak memory.

    reuse="any" keeps whatever N-chunk generation `home` holds (its stamp is reported, not compared) and never
    builds: for serving a generation that took an hour to build after the inputs changed a little.
    """
    from index import generation as gens
    from index import publishing
    from index.spelling import count_terms
    from index.search import vocabulary_phrases
    from index.vocabulary import Vocabulary

    stamp = synthetic_stamp(base, n, noise, hnsw_threshold)
    kept_stamp = None
    if reuse == "any":
        name, kept_stamp = kept_generation(home, n)
    else:
        name = reusable(home, stamp) if reuse else None
    phases: dict[str, float] = {}
    peak = None
    vecs = None
    wall = None
    if name is None:
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        peak_ok = reset_peak_rss()
        t0 = time.perf_counter()
        docs = SyntheticDocs(base, n)
        vecs = base.synthetic_vectors(n, noise)
        phases["synthesize_vectors"] = time.perf_counter() - t0
        t = time.perf_counter()
        units, unit_vecs = synthetic_units(docs, vecs, noise)
        phases["synthetic_docs_and_units"] = time.perf_counter() - t
        log(f"{n} chunks: vectors {phases['synthesize_vectors']:.0f} s, units {phases['synthetic_docs_and_units']:.0f} s")
        t = time.perf_counter()
        terms = count_terms(d["text"] for d in docs)
        phases["synthetic_docs_and_term_counts"] = time.perf_counter() - t
        inp = gens.BuildInput(docs=docs, vectors=vecs, model=base.manifest["model"],
                              chunking=base.manifest["chunking"], catalog_version=1, hnsw_threshold=hnsw_threshold,
                              units=units, unit_vectors=unit_vecs, terms=terms,
                              phrases=vocabulary_phrases(Vocabulary.load()),
                              build_threads=os.cpu_count() or 1)  # the product's default (KB_BUILD_THREADS=0)
        marks: dict[str, list[float]] = {}

        def progress(stage: str, done: int, total: int) -> None:
            now = time.perf_counter()
            if stage not in marks:
                log(f"{n} chunks: build stage {stage} reached after {now - t1:.0f} s")
            marks.setdefault(stage, [now, now])[1] = now
            if stage == "keyword" and done == 1:
                log(f"{n} chunks: keyword contributions of {total} frequent terms")

        log(f"{n} chunks: {len(units)} answer units; gens.build")
        t1 = time.perf_counter()
        name = gens.build(home, inp, progress=progress)
        t2 = time.perf_counter()
        wall = t2 - t1
        del docs, units, unit_vecs, inp
        # phase edges from the build's own progress reports (the keyword phase ends at its last report, every
        # 500 terms; the remainder lands in the last phase)
        v_end = marks.get("vectors", [t1, t1])[1]
        k0, k1 = marks.get("keyword", [None, None])
        db_end = k0 if k0 is not None else marks.get("database", [v_end, v_end])[1]
        phases["build_vectors_index"] = v_end - t1
        phases["build_database_fts5"] = db_end - v_end
        if k0 is not None:
            phases["build_keyword_contributions"] = k1 - k0
        phases["build_checksums_units_publish"] = t2 - (k1 if k1 is not None else db_end)
        peak = peak_rss_mb() if peak_ok else None
        (home / STAMP).write_text(json.dumps(stamp))
    gdir = home / publishing.GEN_DIR / name
    manifest = gens.read_manifest(gdir)
    return {"generation": name, "reused": wall is None, "documents": manifest["counts"]["documents"], "chunks": n,
            **({"reused_stamp": kept_stamp, "stamp_matches": kept_stamp == stamp,
                "unit_layout": manifest["files"].get("units.npy", {}).get("layout", ["text"])}
               if reuse == "any" else {}),
            "units": manifest["counts"].get("units"),
            "index_kind": manifest["files"]["vectors.faiss"]["kind"],
            "build_seconds": manifest["build_seconds"], "build_wall_s": round(wall, 3) if wall else None,
            "phases_s": {k: round(v, 2) for k, v in phases.items()},
            "build_total_s": round(sum(phases.values()), 2) if phases else None,
            "build_peak_rss_mb": peak, "keyword_impacts": manifest.get("keyword_impacts"),
            "size_bytes": {"total": dir_bytes(gdir), **{f: (gdir / f).stat().st_size for f in manifest["files"]}},
            "_vectors": vecs}


# ------------------------------------------------------------------------------------------------ timing
def plain_fts_query(q: str) -> str:
    from index.search import query_terms

    return " OR ".join(f'"{t}"' for t in dict.fromkeys(query_terms(q)))


def time_floor(kb, gen, q: str) -> dict:
    emb = kb.query_encoder
    t0 = time.perf_counter()
    qvec = emb.encode_query(q)
    t1 = time.perf_counter()
    gen.vectors.search(qvec, 100)
    t2 = time.perf_counter()
    match = plain_fts_query(q)
    if match:
        gen.reader.plain_fts(match, 100)
    t3 = time.perf_counter()
    return {"encode": (t1 - t0) * 1e3, "faiss": (t2 - t1) * 1e3, "fts5": (t3 - t2) * 1e3, "floor": (t3 - t0) * 1e3}


def time_breakdown(kb, q: str) -> dict:
    """The stages of KnowledgeBase.search (hybrid, k=10, per_doc=2), as the search itself times them."""
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    result = kb.search(q, k=10, timings=stages)
    t1 = time.perf_counter()
    json.dumps(result.to_dict())
    stages["to_json"] = (time.perf_counter() - t1) * 1e3
    stages["search_total"] = (t1 - t0) * 1e3
    return stages


def bench_size(base: Base, home: Path, n: int, questions: list[str], n_queries: int, noise: float,
               skip_http: bool, hnsw_threshold: int, load_seconds: float = 0.0, users: int = 20,
               reuse: bool | str = False, skip_recall: bool = False) -> dict:
    from index.kb import KnowledgeBase
    from kb_settings import Settings

    log(f"{n} chunks: building")
    out = build_synthetic(base, home, n, noise, hnsw_threshold, reuse=reuse)
    vecs = out.pop("_vectors")
    log(f"{n} chunks: {'reused' if out['reused'] else 'built'} {out['generation']} "
        f"({out['size_bytes']['total'] / 2**20:.0f} MB; phases {out['phases_s']}; peak RSS {out['build_peak_rss_mb']} MB)")
    kb = KnowledgeBase(Settings.from_env(home=home, hnsw_threshold=hnsw_threshold))
    kb.export_encoder()  # what a real build leaves beside the generation: the ONNX query encoder
    out["query_encoder"] = kb.query_encoder.backend
    t0 = time.perf_counter()
    gen = kb.generation()
    out["load_s"] = round(time.perf_counter() - t0, 3)
    out["chunks_db_served_from"] = str(gen.served_path) if gen.served_path else "a private in-memory copy"
    server = None
    conn = None
    short = memory_short(home / "generations" / out["generation"] / "chunks.db", gen.served_path is not None)
    out["memory_available_mb_before_serve"] = mem_available_mb()
    if short and not skip_http:
        log(f"{n} chunks: no `kb serve`: {short}")
        out["http_skipped"] = short
        skip_http = True
    if not skip_http:
        log(f"{n} chunks: starting kb serve")
        t0 = time.perf_counter()
        server = loadmod.start_server(home, workers=1, log_dir=home,
                                      env={"KB_HNSW_THRESHOLD": str(hnsw_threshold)})
        out["server_ready_s"] = round(time.perf_counter() - t0, 3)
        out["healthz_s"] = server.healthz_s
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)

    def http_once(q: str) -> float:
        nonlocal conn
        path = "/api/search?" + urllib.parse.urlencode({"q": q, "k": 10})
        for attempt in (1, 2):
            t = time.perf_counter()
            try:
                conn.request("GET", path)
                r = conn.getresponse()
                body = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                # gunicorn closes a keep-alive connection idle for 2 s (slow in-process timing between two
                # requests): reconnect and time the request again
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
                if attempt == 2:
                    raise
        ms = (time.perf_counter() - t) * 1e3
        if r.status != 200:
            raise RuntimeError(f"/api/search answered {r.status}: {body[:200]!r}")
        return ms

    try:
        log(f"{n} chunks: warm-up and {n_queries} timed queries")
        for q in questions[:WARMUP]:
            time_floor(kb, gen, q)
            kb.search(q, k=10)
            time_breakdown(kb, q)
            if conn:
                http_once(q)
        floor, inproc, http_ms, parts, stages = [], [], [], {"encode": [], "faiss": [], "fts5": []}, {}
        log_offset = server.log_path.stat().st_size if server else 0
        for i in range(n_queries):
            q = questions[i % len(questions)]
            f = time_floor(kb, gen, q)
            floor.append(f["floor"])
            for k in parts:
                parts[k].append(f[k])
            t = time.perf_counter()
            kb.search(q, k=10)
            inproc.append((time.perf_counter() - t) * 1e3)
            for k, v in time_breakdown(kb, q).items():
                stages.setdefault(k, []).append(v)
            if conn:
                http_ms.append(http_once(q))
        # the same questions over HTTP back to back, as a physician's request finds a server: the interleaved
        # figure above also pays for the caches that the bench's own in-process searches took from the server
        http_alone = [http_once(questions[i % len(questions)]) for i in range(n_queries)] if conn else []
        if http_alone:
            out["http_alone_ms"] = pct(http_alone)
        if server:
            out["server_memory"] = server.memory()
            out["server_app_ms"] = pct(server_times(server.log_path, log_offset))
    finally:
        if conn:
            conn.close()
        if server:
            server.stop()
    if not skip_http and load_seconds > 0:
        out["load"] = bench_load(home, hnsw_threshold, questions, load_seconds, users)
    out["floor_ms"] = pct(floor)
    try:
        import torch

        # the floor's encode runs with this many intra-op threads (the server's may differ: see the report)
        out["torch_threads_bench_process"] = torch.get_num_threads()
    except ImportError:
        pass
    out["floor_parts_ms"] = {k: pct(v) for k, v in parts.items()}
    out["inprocess_ms"] = pct(inproc)
    out["breakdown_ms"] = {k: pct(v) for k, v in stages.items()}
    out["http_ms"] = pct(http_ms) if http_ms else None
    fl = out["floor_ms"]
    out["ratios"] = {
        "inprocess_p50_vs_floor": ratio(out["inprocess_ms"]["p50"], fl["p50"]),
        "inprocess_p95_vs_floor": ratio(out["inprocess_ms"]["p95"], fl["p95"]),
        "inprocess_p99_vs_floor": ratio(out["inprocess_ms"]["p99"], fl["p99"]),
    }
    if http_ms:
        out["ratios"].update({
            "http_p50_vs_floor": ratio(out["http_ms"]["p50"], fl["p50"]),
            "http_p95_vs_floor": ratio(out["http_ms"]["p95"], fl["p95"]),
            "http_p99_vs_floor": ratio(out["http_ms"]["p99"], fl["p99"]),
        })
    if out["index_kind"] == "hnsw" and not skip_recall:
        log(f"{n} chunks: recall@10 of the served HNSW index against exact search over the same vectors")
        if vecs is None:
            vecs = stored_vectors(gen.vectors, n)
        out["index_recall_at_10"] = index_recall(gen.vectors, vecs, query_vectors(kb, questions, kb.query_encoder))
    return out


def bench_load(home: Path, hnsw_threshold: int, questions: list[str], seconds: float, users: int) -> dict:
    """`kb serve` with 2 workers x 2 threads (the default): time to /healthz, memory per worker (RSS, and the
    private part a second worker adds), and closed-loop throughput with `users` concurrent clients."""
    import threading

    log(f"load: 2 workers, {users} users, {seconds:.0f} s")
    server = loadmod.start_server(home, workers=2, threads=2, log_dir=home,
                                  env={"KB_HNSW_THRESHOLD": str(hnsw_threshold)})
    try:
        out = {"workers": 2, "threads": 2, "users": users, "healthz_s": server.healthz_s,
               "memory_idle": server.memory()}
        stop = threading.Event()
        holder: dict = {}
        th = threading.Thread(target=lambda: holder.setdefault(
            "records", loadmod.run_threads(server.base, questions, users, stop)), daemon=True)
        cpu_before = server.cpu()
        t0 = time.perf_counter()
        th.start()
        time.sleep(seconds)
        stop.set()
        th.join()
        wall = time.perf_counter() - t0
        # how the load spread: each worker's share of the workers' CPU (one worker taking every connection
        # halves what two cores serve)
        out["worker_cpu_shares"] = loadmod.cpu_shares(cpu_before, server.cpu())
        out["memory_loaded"] = server.memory()
    finally:
        server.stop()
    records = holder.get("records", [])
    ok = [r.latency_ms for r in records if r.status == 200 and not r.error]
    out.update({"requests": len(records), "errors": len(records) - len(ok),
                "throughput_rps": round(len(records) / wall, 2), "latency_ms": pct(ok)})
    uss = [w["uss_mb"] for w in out["memory_loaded"]["workers"] if w.get("uss_mb") is not None]
    # shared pages (mapped vectors, the model file, libraries) are counted once for all workers: what another
    # worker adds is its private memory
    out["second_worker_adds_mb"] = min(uss) if len(uss) >= 2 else None
    return out


def bench_encoders(kb, questions: list[str], rounds: int = 3) -> dict:
    """Query encoding alone, each available encoder on the same questions, interleaved; cosine to torch."""
    from index.embedder import get_query_encoder

    encs = {"torch": kb.embedder}
    for choice in ("onnx-fp32", "onnx-int8"):
        try:
            encs[choice] = get_query_encoder(kb.settings.model, kb.home, choice, kb.settings.torch_threads)
        except Exception as exc:  # noqa: BLE001 - no export: reported, not fatal
            log(f"encoders: {choice} unavailable ({exc})")
    for e in encs.values():
        e.encode_query("warm up")
    times: dict[str, list[float]] = {k: [] for k in encs}
    vecs: dict[str, list] = {k: [] for k in encs}
    for r in range(rounds):
        for q in questions:
            for name, e in encs.items():
                t = time.perf_counter()
                v = e.encode_query(q)
                times[name].append((time.perf_counter() - t) * 1e3)
                if r == 0:
                    vecs[name].append(v.reshape(-1))
    ref = np.vstack(vecs["torch"])
    out = {}
    for name in encs:
        m = np.vstack(vecs[name])
        cos = (m * ref).sum(1)
        out[name] = {"ms": pct(times[name]), "cosine_to_torch_mean": round(float(cos.mean()), 5),
                     "cosine_to_torch_min": round(float(cos.min()), 5)}
    return out


def bench_agreement(kb) -> dict:
    """Cosine between the document encoder (what built the index) and the query encoder on every corpus chunk."""
    from index.kb import embed_input

    gen = kb.generation()
    texts = [embed_input(d.title, c.text) for c, d in gen.reader.with_docs(c.chunk_id for c in gen.reader.chunks())]
    stored = gen.vectors.reconstruct(list(range(len(texts))))
    q = kb.query_encoder
    t = time.perf_counter()
    cos = (q.encode(texts) * stored).sum(1)
    out = {"chunks": len(texts), "document_encoder": kb.embedder.backend, "query_encoder": q.backend,
           "cosine_mean": round(float(cos.mean()), 5), "cosine_min": round(float(cos.min()), 5),
           "cosine_p01": round(float(np.percentile(cos, 1)), 5),
           "batch_chunks_per_s": {q.backend: round(len(texts) / (time.perf_counter() - t), 2)}}
    # ingest could encode documents with ONNX fp32 (the same vectors as torch): its batch speed, for the choice
    from index.embedder import get_query_encoder

    try:
        fp32 = get_query_encoder(kb.settings.model, kb.home, "onnx-fp32", kb.settings.torch_threads)
        t = time.perf_counter()
        fp32.encode(texts)
        out["batch_chunks_per_s"]["onnx-fp32"] = round(len(texts) / (time.perf_counter() - t), 2)
    except Exception as exc:  # noqa: BLE001
        log(f"agreement: onnx-fp32 unavailable ({exc})")
    return out


def server_times(log_path: Path, offset: int) -> list[float]:
    """Request times (ms, whole) of /api/search as gunicorn's access log (%(M)s) records them after `offset`:
    the time inside the server, without the client and the loopback."""
    import re

    with open(log_path, "rb") as fh:
        fh.seek(offset)
        text = fh.read().decode("utf-8", "replace")
    return [float(m.group(1)) for m in re.finditer(r'"GET /api/search" 200 \S+ (\d+)ms', text)]


# ------------------------------------------------------------------------------------------------ recall
def query_vectors(kb, questions: list[str], encoder=None) -> np.ndarray:
    """The corpus questions plus the NFCorpus test queries (when present), encoded by `encoder` (default torch)."""
    qs = list(questions)
    test = NFCORPUS / "queries.test.jsonl"
    if test.exists():
        qs += [json.loads(line)["text"] for line in test.read_text(encoding="utf-8").splitlines() if line.strip()]
    return np.asarray((encoder or kb.embedder).encode(qs), dtype="float32")


EF_SWEEP = (64, 128, 256, 512)  # HNSW search breadths measured (the served one is among them)
EXACT_BLOCK = 65536  # stored rows scored at a time by exact_top_k


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top k of every query (scores, ids), best first: a blocked matrix product, so a
    million stored rows cost seconds for hundreds of queries and never a whole score matrix in memory."""
    q = np.ascontiguousarray(queries, dtype="float32")
    best_s = np.full((len(q), 0), -np.inf, dtype="float32")
    best_i = np.zeros((len(q), 0), dtype="int64")
    for s in range(0, len(vectors), EXACT_BLOCK):
        block = np.asarray(vectors[s:s + EXACT_BLOCK], dtype="float32")
        scores = q @ block.T
        top = np.argpartition(-scores, min(k, scores.shape[1]) - 1, axis=1)[:, :k]
        best_s = np.hstack([best_s, np.take_along_axis(scores, top, 1)])
        best_i = np.hstack([best_i, top + s])
        keep = np.argsort(-best_s, axis=1, kind="stable")[:, :k]
        best_s, best_i = np.take_along_axis(best_s, keep, 1), np.take_along_axis(best_i, keep, 1)
    return best_s, best_i


def vector_realism(vectors: np.ndarray, queries: np.ndarray, sample: int = 1000, seed: int = 0) -> dict:
    """How a set of vectors looks from real queries and from itself, to compare synthetic with real embeddings:
    per query the cosine of its exact rank 1 and rank 10 and their gap (a gap near 0 means the top 10 is decided
    by noise), and per stored vector (a seeded sample) the cosine of its nearest other vector; p10/p50/p90."""
    scores, _ = exact_top_k(vectors, queries, 10)
    rows = np.random.default_rng(seed).choice(len(vectors), min(sample, len(vectors)), replace=False)
    nearest, _ = exact_top_k(vectors, np.asarray(vectors[np.sort(rows)]), 2)

    def q3(a: np.ndarray) -> list[float]:
        return [round(float(x), 3) for x in np.percentile(a, [10, 50, 90])]

    return {"vectors": int(len(vectors)), "queries": int(len(queries)), "percentiles": [10, 50, 90],
            "query_rank1_cosine": q3(scores[:, 0]), "query_rank10_cosine": q3(scores[:, 9]),
            "query_rank1_minus_rank10": q3(scores[:, 0] - scores[:, 9]),
            "nearest_other_vector_cosine": q3(nearest[:, 1])}


def index_recall(approx, vectors: np.ndarray, queries: np.ndarray, k: int = 10,
                 ef_values: tuple[int, ...] = EF_SWEEP) -> dict:
    """Recall@k of a served index against exact inner-product search over the very vectors it stores, at each
    HNSW search breadth in `ef_values` (one index, no rebuild: the breadth is a per-search parameter), with the
    single-query search time of each (the index's own thread setting, as served)."""
    t = time.perf_counter()
    _, truth_ids = exact_top_k(vectors, queries, k)
    exact_s = time.perf_counter() - t
    truth = [set(row.tolist()) for row in truth_ids]
    out = {"vectors": int(len(vectors)), "queries": int(len(queries)), "k": k, "index_kind": approx.kind,
           "exact_batch_s": round(exact_s, 3), "by_ef_search": {}}
    # the served breadth is always measured, whatever the sweep; the breadths take turns query by query, so a
    # change in the machine's load hits them alike
    sweep = sorted({*ef_values, approx.ef_search}) if approx.kind == "hnsw" else [None]
    hits: dict = {ef: [] for ef in sweep}
    ms: dict = {ef: [] for ef in sweep}
    cpu: dict = {ef: [] for ef in sweep}
    for qv, want in zip(queries, truth):
        for ef in sweep:
            t, c = time.perf_counter(), time.thread_time()
            _, ids = approx.search(qv, k, ef_search=ef)
            # CPU time of this thread too: on a shared machine a search of a few ms is often preempted, and its
            # wall time then says more about the other jobs than about the search
            cpu[ef].append((time.thread_time() - c) * 1e3)
            ms[ef].append((time.perf_counter() - t) * 1e3)
            hits[ef].append(len(want & set(ids[:k].tolist())) / max(1, len(want)))
    for ef in sweep:
        out["by_ef_search"][str(ef)] = {"recall_at_10": round(float(np.mean(hits[ef])), 4),
                                        "min_recall_at_10": round(float(np.min(hits[ef])), 4),
                                        "share_of_queries_at_1": round(float(np.mean(np.asarray(hits[ef]) == 1.0)), 4),
                                        "ms": pct(ms[ef]), "cpu_ms": pct(cpu[ef])}
    out["ef_search_served"] = approx.ef_search
    served = out["by_ef_search"][str(approx.ef_search)]
    out["recall_at_10"] = served["recall_at_10"]
    out["min_recall_at_10"] = served["min_recall_at_10"]
    return out


def recall_at_10(vectors: np.ndarray, queries: np.ndarray, kind_given=None) -> dict:
    """Mean |HNSW top-10 ∩ exact top-10| / 10; the HNSW index is `kind_given` or built with VectorIndex."""
    from index.vectors import VectorIndex

    exact = VectorIndex.build(vectors, hnsw_threshold=len(vectors) + 1)
    approx = kind_given or VectorIndex.build(vectors, hnsw_threshold=1)
    assert exact.kind == "flat" and approx.kind == "hnsw"
    hits = []
    for qv in queries:
        _, e = exact.search(qv, 10)
        _, a = approx.search(qv, 10)
        hits.append(len(set(e.tolist()) & set(a.tolist())) / max(1, len(e)))
    return {"vectors": int(len(vectors)), "queries": int(len(queries)), "recall_at_10": round(float(np.mean(hits)), 4),
            "min_recall_at_10": round(float(np.min(hits)), 4)}


def nfcorpus_doc_vectors(kb) -> np.ndarray | None:
    """The NFCorpus documents (title. text) embedded by the packaged model, cached under KB_EVAL_CACHE/bench;
    None when the NFCorpus data is not beside the checkout (nor at $PP_NFCORPUS)."""
    from kb_settings import Settings

    corpus = NFCORPUS / "corpus.jsonl"
    if not corpus.exists():
        return None
    emb = kb.embedder
    cache = Settings.from_env().eval_cache / "bench" / f"nfcorpus-{emb.fingerprint}.npy"
    if cache.exists():
        return np.load(cache)
    docs = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    log(f"embedding {len(docs)} NFCorpus documents (cached in {cache})")
    nf = emb.encode([(d.get("title", "") + ". " + d.get("text", "")).strip(". ") for d in docs])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, nf)
    return nf


def bench_recall(kb, base: Base, questions: list[str]) -> dict:
    """HNSW against exact search on the real embeddings only: the corpus chunks and the NFCorpus documents."""
    out = recall_at_10(base.mix_pool, query_vectors(kb, questions))
    with_nf = len(base.mix_pool) > len(base.vectors)
    out["sources"] = ["corpus/ chunks"] + (["NFCorpus documents"] if with_nf else [])
    if not with_nf:
        out["note"] = f"{NFCORPUS} not found: recall measured on the corpus/ chunks only"
    return out


# ------------------------------------------------------------------------------------------------ main
def machine() -> dict:
    info = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        info["torch"] = torch.__version__
    except ImportError:
        pass
    try:
        info["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return info


def one_worker_rss(size: dict | None) -> float | None:
    """RSS of the single worker of the latency phase (after its timed queries)."""
    workers = ((size or {}).get("server_memory") or {}).get("workers") or []
    return workers[0].get("rss_mb") if len(workers) == 1 else None


def targets(result: dict) -> dict:
    sizes = {s["chunks"]: s for s in result["sizes"]}
    big = sizes.get(100000) or (sizes[max(sizes)] if sizes else None)
    values = {
        "http_p50_vs_floor_at_100k": (big or {}).get("ratios", {}).get("http_p50_vs_floor"),
        "http_p95_vs_floor_at_100k": (big or {}).get("ratios", {}).get("http_p95_vs_floor"),
        "ingest_embed_vs_bare_encode": (result.get("ingest") or {}).get("ingest_embed_vs_bare_encode"),
        "reingest_unchanged_vs_first": (result.get("ingest") or {}).get("reingest_unchanged_vs_first"),
        "hnsw_recall_at_10_real": (result.get("recall") or {}).get("recall_at_10"),
        "http_p50_ms_at_100k": ((sizes.get(100000) or {}).get("http_ms") or {}).get("p50"),
        "second_worker_adds_mb_at_100k": ((sizes.get(100000) or {}).get("load") or {}).get("second_worker_adds_mb"),
        "http_p50_ms_at_1m": ((sizes.get(1000000) or {}).get("http_ms") or {}).get("p50"),
        "worker_rss_mb_at_1m": one_worker_rss(sizes.get(1000000)),
        "index_recall_at_10_at_1m": ((sizes.get(1000000) or {}).get("index_recall_at_10") or {}).get("recall_at_10"),
    }
    out = {}
    for name, (limit, how) in TARGETS.items():
        v = values[name]
        out[name] = {"value": v, "limit": limit, "rule": "<=" if how == "le" else ">=",
                     "ok": None if v is None else (v <= limit if how == "le" else v >= limit)}
    if big and big["chunks"] != 100000:
        for name in ("http_p50_vs_floor_at_100k", "http_p95_vs_floor_at_100k"):
            out[name]["note"] = f"measured at {big['chunks']} chunks (100000 not in --sizes)"
    return out


def print_human(res: dict) -> None:
    ing = res.get("ingest")
    if ing:
        print(f"ingest corpus/: {ing['chunks']} chunks; first {ing['first_ingest_s']} s "
              f"({ing['first_ingest_chunks_per_s']} chunks/s overall); embedding stage {ing['ingest_embed_chunks_per_s']} "
              f"chunks/s vs bare encode {ing['bare_encode_chunks_per_s']} chunks/s "
              f"(ratio {ing['ingest_embed_vs_bare_encode']}); unchanged re-ingest {ing['second_ingest_s']} s "
              f"(ratio {ing['reingest_unchanged_vs_first']})")
    hdr = f"{'chunks':>7} {'kind':>5} {'build s':>8} {'MB':>7} | {'floor p50/p95':>15} | {'in-proc p50/p95':>15} | " \
          f"{'http p50/p95/p99':>21} | {'http/floor p50 p95':>18} | {'RSS MB':>7}"
    print(hdr)
    for s in res["sizes"]:
        fl, ip, ht = s["floor_ms"], s["inprocess_ms"], s.get("http_ms") or {}
        r = s["ratios"]
        rss = ", ".join(str(w["rss_mb"]) for w in s.get("server_memory", {}).get("workers", [])) or "-"
        print(f"{s['chunks']:>7} {s['index_kind']:>5} {s['build_seconds']:>8} {s['size_bytes']['total'] / 2**20:>7.1f} | "
              f"{fl['p50']:>7.1f}/{fl['p95']:<7.1f} | {ip['p50']:>7.1f}/{ip['p95']:<7.1f} | "
              f"{ht.get('p50', '-'):>6}/{ht.get('p95', '-')}/{ht.get('p99', '-')} | "
              f"{r.get('http_p50_vs_floor', '-')} {r.get('http_p95_vs_floor', '-')} | {rss}")
        top = sorted(s["breakdown_ms"].items(), key=lambda kv: -kv[1]["p50"])
        print("        breakdown p50 ms: " + ", ".join(f"{k} {v['p50']:.2f}" for k, v in top))
        if s.get("http_alone_ms"):
            print(f"        http alone (back to back, nothing in between): p50 {s['http_alone_ms']['p50']:.1f} "
                  f"p95 {s['http_alone_ms']['p95']:.1f}")
        if s.get("server_app_ms", {}).get("n"):
            print(f"        inside the server (gunicorn access log, whole ms): p50 {s['server_app_ms']['p50']} "
                  f"p95 {s['server_app_ms']['p95']}")
    for name, e in (res.get("encoders") or {}).items():
        print(f"query encoding {name:9}: p50 {e['ms']['p50']:.2f} ms, p95 {e['ms']['p95']:.2f} ms; cosine to torch "
              f"mean {e['cosine_to_torch_mean']}, min {e['cosine_to_torch_min']}")
    ag = res.get("agreement")
    if ag:
        print(f"document ({ag['document_encoder']}) vs query ({ag['query_encoder']}) encoder on {ag['chunks']} corpus "
              f"chunks: cosine mean {ag['cosine_mean']}, min {ag['cosine_min']}; batch chunks/s "
              + ", ".join(f"{k} {v}" for k, v in ag["batch_chunks_per_s"].items())
              + (f", torch (bare encode at ingest) {ing['bare_encode_chunks_per_s']}" if ing else ""))
    for s in res["sizes"]:
        ld = s.get("load")
        if ld:
            rss = ", ".join(f"{w['rss_mb']}/{w['uss_mb']}" for w in ld["memory_loaded"]["workers"])
            print(f"{s['chunks']:>7} chunks, 2 workers x 2 threads, {ld['users']} users: {ld['throughput_rps']} req/s, "
                  f"{ld['errors']} errors, p50 {ld['latency_ms'].get('p50')} ms, p95 {ld['latency_ms'].get('p95')} ms; "
                  f"worker RSS/private MB {rss}; a second worker adds {ld['second_worker_adds_mb']} MB; "
                  f"/healthz after {ld['healthz_s']} s")
    for s in res["sizes"]:
        print(f"{s['chunks']:>7} chunks: {s['documents']} documents, {s.get('units')} answer units; "
              + ("generation reused" if s.get("reused") else
                 f"build {s.get('build_total_s')} s, peak RSS {s.get('build_peak_rss_mb')} MB; phases s: "
                 + ", ".join(f"{k} {v}" for k, v in (s.get("phases_s") or {}).items()))
              + "; MB on disk: " + ", ".join(f"{k} {v / 2**20:.0f}" for k, v in s["size_bytes"].items()))
        ir = s.get("index_recall_at_10")
        if ir:
            print(f"        {ir['index_kind']} recall@10 vs exact over the same {ir['vectors']} vectors "
                  f"({ir['queries']} real queries, query encoder): "
                  + ", ".join(f"efSearch {ef} {v['recall_at_10']} (p50 {v['ms'].get('p50')} ms)"
                              for ef, v in ir["by_ef_search"].items())
                  + f"; exact top 10 of all queries in {ir['exact_batch_s']} s")
    rec = res.get("recall")
    if rec:
        print(f"HNSW recall@10 vs exact (real embeddings, {rec['vectors']} vectors, {rec['queries']} queries): "
              f"{rec['recall_at_10']}" + (f"  [{rec['note']}]" if rec.get("note") else ""))
    print("targets:")
    for name, t in res["targets"].items():
        flag = {True: "ok", False: "MISSED", None: "not measured"}[t["ok"]]
        print(f"  {name:30} {t['value']} {t['rule']} {t['limit']}  {flag}" + (f"  ({t['note']})" if t.get("note") else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="kb bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="chunk counts, comma-separated")
    ap.add_argument("--queries", type=int, default=0,
                    help="timed queries per size (default: the eval questions cycled to about 200)")
    ap.add_argument("--json", action="store_true", help="print every figure as JSON on stdout")
    ap.add_argument("--home", type=Path, help="scratch directory (default: a temporary one, removed afterwards)")
    ap.add_argument("--skip-http", action="store_true", help="no `kb serve` measurements")
    ap.add_argument("--skip-recall", action="store_true", help="no recall measurement")
    ap.add_argument("--load-seconds", type=float, default=20.0,
                    help="per size: seconds of 20-user load on 2 workers (throughput, memory); 0 skips")
    ap.add_argument("--load-max-chunks", type=int, default=0,
                    help="run the 2-worker load phase only for sizes up to this many chunks (0: every size)")
    ap.add_argument("--users", type=int, default=20, help="concurrent users of the load phase")
    ap.add_argument("--reuse", action="store_true",
                    help="with --home: keep a size's generation built by an earlier run from the same inputs")
    ap.add_argument("--reuse-any", action="store_true",
                    help="with --home: keep the generation a size's folder holds even if it was made from other "
                         "inputs (its stamp is reported); never builds, a size with none is an error")
    ap.add_argument("--noise", type=float, default=0.01,
                    help="sigma per dimension of the isotropic noise added to synthetic vectors (mixed_rows)")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    try:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    except ValueError:
        print(f"error: --sizes must be comma-separated whole numbers, not {args.sizes!r}", file=sys.stderr)
        return 2
    if args.reuse_any and not args.home:
        print("error: --reuse-any needs --home (the folder holding the generations to serve)", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from kb_settings import Settings

    questions = loadmod.load_questions()
    n_queries = args.queries or len(questions) * max(1, round(200 / len(questions)))
    scratch = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="pp-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env()
    result: dict = {"schema": 1, "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": machine(),
                    "settings": {"hnsw_threshold": settings.hnsw_threshold, "threads": settings.threads,
                                 "noise": args.noise, "chunks_per_doc": CHUNKS_PER_DOC},
                    "queries": {"distinct": len(questions), "timed_per_size": n_queries, "warmup": WARMUP},
                    "scratch": str(scratch), "sizes": []}
    try:
        ingest_home = scratch / "ingest"
        shutil.rmtree(ingest_home, ignore_errors=True)
        log("ingest: corpus/ into a fresh KB")
        result["ingest"], kb = bench_ingest(ingest_home, args.corpus)
        base = Base(kb, nfcorpus_doc_vectors(kb))  # the real vectors synthetic ones are mixed from
        log("encoders: query encoding with torch, ONNX fp32 and ONNX int8; document/query agreement")
        result["encoders"] = bench_encoders(kb, questions)
        result["agreement"] = bench_agreement(kb)
        for n in sizes:
            home = scratch / f"size-{n}"
            result["sizes"].append(bench_size(base, home, n, questions, n_queries, args.noise, args.skip_http,
                                              settings.hnsw_threshold,
                                              args.load_seconds if not args.load_max_chunks
                                              or n <= args.load_max_chunks else 0.0, args.users,
                                              reuse=("any" if args.reuse_any else args.reuse) if args.home else False,
                                              skip_recall=args.skip_recall))
            if not args.home:
                shutil.rmtree(home, ignore_errors=True)
        if not args.skip_recall:
            log("recall: HNSW vs exact on real embeddings")
            result["recall"] = bench_recall(kb, base, questions)
    finally:
        if not args.home:
            shutil.rmtree(scratch, ignore_errors=True)
    result["targets"] = targets(result)
    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_human(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
