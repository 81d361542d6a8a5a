"""Immutable index generations: built in a temporary directory, fsynced, checksummed, then handed to publishing.

The one owner of the generation format (schema, builder, manifest, unit-vector file, verified loading); which
generation is live (CURRENT, published.log) is index/publishing.py's job, reading its database index/genread.py's.
It stays one module past ~300 lines on purpose: the format's invariants (what is written, in which order,
fsynced, then checked on load) are read and changed together.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.models import sections_from_json

from .checksum import Checksum, bytes_entry, file_entry
from .errors import CorruptIndex, KBError, ModelMismatch
from .genread import GenerationReader
from . import shared_db
from .keyword import POSTING_ROWS, POSTING_SCORES, build_impacts, load_postings
from .publishing import GEN_DIR, crash_point, fsync_path, next_name, publish, write_bytes
from .shared_db import MemoryCopy, SharedCopy
from .vectors import VectorIndex

POSTING_FILES = (POSTING_ROWS, POSTING_SCORES)
KEYWORD_WEIGHTS = (10.0, 1.0, 1.0)  # FTS5 bm25 column weights (title, section, body); the search uses the same

FORMAT = "practice-partner-kb"
FORMAT_VERSION = 2  # 2: typed blocks, chunk kinds and indexed text, original-file records
MANIFEST_SUM = "manifest.sha256"  # the manifest's own checksum, so a flip in it is caught too

GEN_SCHEMA = """
CREATE TABLE docs (doc_id TEXT PRIMARY KEY, title TEXT, doc_type TEXT, source TEXT, published TEXT, reviewed TEXT,
  tags TEXT, filename TEXT, basis TEXT, text TEXT, sections TEXT, content_hash TEXT, n_chunks INTEGER,
  original TEXT, parser_version INTEGER);
CREATE TABLE doc_tags (doc_id TEXT, tag TEXT);
CREATE INDEX doc_tags_tag ON doc_tags(tag);
CREATE TABLE chunks (chunk_id INTEGER PRIMARY KEY, doc_id TEXT, ordinal INTEGER, text TEXT, start INTEGER,
  "end" INTEGER, section TEXT, heading_path TEXT, page INTEGER, kind TEXT, index_text TEXT);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE TABLE blocks (doc_id TEXT, ordinal INTEGER, kind TEXT, start INTEGER, "end" INTEGER, level INTEGER,
  depth INTEGER, number INTEGER, page INTEGER, heading_path TEXT, header INTEGER, rows TEXT,
  PRIMARY KEY (doc_id, ordinal));
CREATE INDEX blocks_span ON blocks(doc_id, start);
CREATE VIRTUAL TABLE chunks_fts USING fts5(title, section, body, content='', tokenize='porter unicode61');
CREATE TABLE units (unit_id INTEGER PRIMARY KEY, chunk_id INTEGER, start INTEGER, "end" INTEGER, role TEXT,
  advice INTEGER, in_case INTEGER, amount INTEGER, imperative INTEGER, context TEXT, stems TEXT, pops INTEGER);
CREATE INDEX units_chunk ON units(chunk_id);
CREATE TABLE terms (term TEXT PRIMARY KEY, n INTEGER);
"""
UNIT_VECTORS = "units.npy"  # int8 rows, one per unit; cosine = int8 dot / scale (scale in the manifest)
_UNIT_BLOCK = 65536  # rows quantised at a time when writing units.npy


@dataclass
class BuildInput:
    docs: list[dict]            # rows from Catalog.iter_documents()
    vectors: np.ndarray         # one row per chunk, in docs/chunks order
    model: dict                 # name, fingerprint, dimension, max_seq_length
    chunking: dict
    catalog_version: int
    hnsw_threshold: int
    units: list[tuple] = field(default_factory=list)   # index.units.unit_row() tuples, in chunk-id order
    unit_vectors: np.ndarray | None = None              # float32, one row per unit: its own vector[, its placed one]
    terms: dict[str, int] = field(default_factory=dict)  # the generation's term dictionary: word -> count
    phrases: list[str] = field(default_factory=list)     # multi-word vocabulary terms whose bm25 is precomputed
    build_threads: int = 1                               # OpenMP threads for an HNSW graph (KB_BUILD_THREADS)


def build(home: Path, inp: BuildInput, progress=None) -> str:
    """Write a complete generation beside the live one and publish it; returns its name."""
    root = home / GEN_DIR
    root.mkdir(parents=True, exist_ok=True)
    name = next_name(home)
    tmp = root / f".tmp-{name}-{os.getpid()}"
    tmp.mkdir()
    try:
        return _build_into(home, root, tmp, name, inp, progress)
    except (OSError, sqlite3.OperationalError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        free = shutil.disk_usage(root).free // 2**20
        raise KBError(f"could not write generation {name} under {root} ({reason}; {free} MB free on that disk); "
                      "the previous generation is still live. Free disk space and run the command again") from exc


def _build_into(home: Path, root: Path, tmp: Path, name: str, inp: BuildInput, progress) -> str:
    started = time.time()
    n_chunks = int(inp.vectors.shape[0])

    vindex = VectorIndex.build(inp.vectors, inp.hnsw_threshold, threads=inp.build_threads)
    vbytes = vindex.to_bytes()
    write_bytes(tmp / "vectors.faiss", vbytes)
    crash_point("after-vectors")
    if progress:
        progress("vectors", n_chunks, n_chunks)

    db_path = tmp / "chunks.db"
    db = sqlite3.connect(str(db_path), isolation_level=None)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + GEN_SCHEMA)
    db.execute("BEGIN")
    chunk_id = 0
    for i, d in enumerate(inp.docs):
        original = d.get("original")
        db.execute("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (d["doc_id"], d["title"], d["doc_type"], d["source"], d["published"], d["reviewed"],
                    json.dumps(d["tags"]), d["filename"], d["basis"], d["text"], d["sections"], d["content_hash"],
                    len(d["chunks"]), json.dumps(original) if original else "", int(d.get("parser_version") or 0)))
        db.executemany("INSERT INTO doc_tags VALUES (?,?)", [(d["doc_id"], t) for t in d["tags"]])
        db.executemany('INSERT INTO blocks VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
                       [(d["doc_id"], n, b.kind, b.start, b.end, b.level, b.depth, b.number, b.page,
                         json.dumps(list(b.heading_path)), int(b.header),
                         json.dumps([list(r) for r in b.rows]) if b.rows else "")
                        for n, b in enumerate(sections_from_json(d["sections"]))])
        for c in d["chunks"]:
            section = " › ".join(c["heading_path"])
            kind, index_text = c.get("kind") or "text", c.get("index_text") or ""
            db.execute("INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       (chunk_id, d["doc_id"], c["ordinal"], c["text"], c["start"], c["end"], section,
                        json.dumps(c["heading_path"]), c["page"], kind, index_text))
            db.execute("INSERT INTO chunks_fts (rowid, title, section, body) VALUES (?,?,?,?)",
                       (chunk_id, d["title"], section, index_text or c["text"]))
            chunk_id += 1
        if progress and (i % 200 == 0 or i == len(inp.docs) - 1):
            progress("database", i + 1, len(inp.docs))
    # unit_id is the row of the unit's vector in units.npy: numbered from 0, in build order
    db.executemany('INSERT INTO units (unit_id, chunk_id, start, "end", role, advice, in_case, amount, imperative, '
                   'context, stems, pops) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)', ((i, *u) for i, u in enumerate(inp.units)))
    db.executemany("INSERT INTO terms VALUES (?,?)", sorted(inp.terms.items()))
    db.execute("COMMIT")
    db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES('optimize')")
    keyword_stats = build_impacts(db, KEYWORD_WEIGHTS, tmp, progress=progress, phrases=inp.phrases)
    db.close()
    if chunk_id != n_chunks:
        raise KBError(f"internal error: {chunk_id} chunks but {n_chunks} vectors")
    fsync_path(db_path)
    crash_point("after-database")

    files = {
        "vectors.faiss": bytes_entry(vbytes, kind=vindex.kind),
        "chunks.db": file_entry(db_path),
    }
    for posting in POSTING_FILES:  # the keyword leg's precomputed contributions (index/keyword.py)
        files[posting] = file_entry(tmp / posting)
    if inp.unit_vectors is not None:
        files[UNIT_VECTORS] = _write_unit_vectors(tmp / UNIT_VECTORS, inp.unit_vectors, len(inp.units),
                                                  int(inp.model.get("dimension") or inp.vectors.shape[1]))
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "generation": name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.time() - started, 3),
        "model": inp.model, "chunking": inp.chunking,
        "counts": {"documents": len(inp.docs), "chunks": n_chunks, "units": len(inp.units)},
        "catalog_version": inp.catalog_version,
        "keyword_impacts": keyword_stats,
        "files": files,
    }
    mbytes = json.dumps(manifest, indent=2).encode()
    write_bytes(tmp / "manifest.json", mbytes)
    write_bytes(tmp / MANIFEST_SUM, (hashlib.sha256(mbytes).hexdigest() + "\n").encode())
    fsync_path(tmp)
    final = root / name
    os.replace(tmp, final)
    fsync_path(root)
    publish(home, name)
    return name


def _write_unit_vectors(path: Path, vectors: np.ndarray, n_units: int, dimension: int) -> dict:
    """Unit vectors as int8 (a quarter of float32; cosine error ~0.003), scaled so the largest component is 127.

    A row holds one vector per entry of its "layout": "text" (the unit alone) and, when present, "placed" (the
    unit under its heading path; see index/units.placed_text).
    """
    if vectors.shape[0] != n_units:
        raise KBError(f"internal error: {n_units} answer units but {vectors.shape[0]} unit vectors")
    width = int(vectors.shape[1]) if len(vectors.shape) == 2 else dimension
    layout = ["text", "placed"] if width == 2 * dimension else ["text"]
    if width != dimension * len(layout):
        raise KBError(f"internal error: unit vectors of width {width} for a {dimension}-dimension model")
    # in blocks of rows: a million-chunk KB has millions of units, and whole-array temporaries would need several
    # times the float32 matrix in memory; the bytes written are those of np.save of the whole int8 array
    peak = max((float(np.abs(vectors[s:s + _UNIT_BLOCK]).max()) for s in range(0, len(vectors), _UNIT_BLOCK)),
               default=0.0) if vectors.size else 1.0
    scale = 127.0 / peak if peak > 0 else 1.0
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": np.lib.format.dtype_to_descr(np.dtype("int8")),
                                                  "fortran_order": False, "shape": tuple(vectors.shape)})
        for s in range(0, len(vectors), _UNIT_BLOCK):
            fh.write(np.clip(np.rint(vectors[s:s + _UNIT_BLOCK] * scale), -127, 127).astype("int8").tobytes())
        fh.flush()
        os.fsync(fh.fileno())
    return file_entry(path, dtype="int8", scale=scale, rows=int(vectors.shape[0]), layout=layout)


def read_manifest(gen_dir: Path) -> dict:
    try:
        raw = (gen_dir / "manifest.json").read_bytes()
        if (gen_dir / MANIFEST_SUM).exists() and \
                (gen_dir / MANIFEST_SUM).read_bytes().strip().decode("ascii", "replace") != hashlib.sha256(raw).hexdigest():
            raise CorruptIndex(f"generation {gen_dir.name}: manifest.json does not match its checksum")
        manifest = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise CorruptIndex(f"generation {gen_dir.name}: manifest unreadable ({exc.__class__.__name__})") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise CorruptIndex(f"generation {gen_dir.name}: format {manifest.get('format')!r} version "
                           f"{manifest.get('format_version')!r} is not readable by this version; run `kb reindex`")
    return manifest


def _verify_file(gen_dir: Path, name: str, files: dict) -> None:
    """Raise CorruptIndex unless the generation's file `name` matches the checksum its manifest gives."""
    try:
        ok = Checksum.of_entry(files[name]).matches_file(gen_dir / name)
    except OSError as exc:
        raise CorruptIndex(f"generation {gen_dir.name}: {name} unreadable ({exc.strerror})") from exc
    if not ok:
        raise CorruptIndex(f"generation {gen_dir.name}: {name} does not match its checksum")


class _Connections:
    """One read-only connection per thread onto the verified copy of chunks.db."""

    def __init__(self, copy: MemoryCopy | SharedCopy):
        self.copy = copy
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        conn = getattr(self._local, "db", None)
        if conn is None:
            conn = self.copy.connect()
            self._local.db = conn
        return conn


class Generation:
    """A loaded, verified, read-only generation; safe to share between threads."""

    def __init__(self, gen_dir: Path, manifest: dict, vectors: VectorIndex, memory: MemoryCopy | SharedCopy,
                 unit_vectors: np.ndarray | None = None, postings: tuple[np.ndarray, np.ndarray] | None = None):
        self.dir = gen_dir
        self.name = gen_dir.name
        self.manifest = manifest
        self.vectors = vectors
        self._memory = memory  # the verified copy of chunks.db that is served (index/shared_db.py)
        self.unit_vectors = unit_vectors  # int8, memory-mapped; None for a generation built before answer units
        self.unit_scale = float(manifest["files"].get(UNIT_VECTORS, {}).get("scale", 1.0))
        # which vectors a row of units.npy holds, side by side; ["text"] for a generation built before placed ones
        self.unit_layout = list(manifest["files"].get(UNIT_VECTORS, {}).get("layout", ["text"]))
        self.cache: dict = {}  # per-generation derived data (term dictionary, speller), built on first use
        # no reference back to the generation: a dropped one is freed (and its shared copy let go) at once
        self._connections = _Connections(memory)
        # typed queries; the only reader of chunks.db (and of the keyword runs mapped beside it, when built with them)
        self.reader = GenerationReader(self._connections.get, postings)
        self._stamps = self._stat()

    def _stat(self) -> dict:
        out = {}
        for name in (*self.manifest["files"], "manifest.json"):  # every verified file, mapped ones included
            try:
                st = (self.dir / name).stat()
                out[name] = (st.st_mtime_ns, st.st_size)
            except OSError:
                out[name] = None
        return out

    def damaged_on_disk(self) -> str | None:
        """Whether a file of this generation changed on disk since it was verified (cheap: a stat per file; a
        changed one is hashed again). What is served is unaffected (the verified copy in memory); this tells the
        operator before the next restart needs the fallback. The served copy itself is checked the same way."""
        served = self._memory.damaged()
        if served:
            return f"generation {self.name}: {served}"
        now = self._stat()
        if now == self._stamps:
            return None
        self._stamps = now
        files = self.manifest["files"]
        for name in files:
            try:
                if not Checksum.of_entry(files[name]).matches_file(self.dir / name):
                    return f"generation {self.name}: {name} no longer matches its checksum on disk"
            except OSError as exc:
                return f"generation {self.name}: {name} unreadable on disk ({exc.strerror})"
        try:
            read_manifest(self.dir)
        except CorruptIndex as exc:
            return str(exc)
        return None

    @classmethod
    def load(cls, gen_dir: Path, expected_model: str | None = None, mmap: bool = True,
             shared_dir: Path | None = None) -> "Generation":
        """Verify every file against the manifest and load it; chunks.db is served from a verified copy, shared by
        the host's processes in `shared_dir` (see index/shared_db.py) or, when None, held in this process."""
        manifest = read_manifest(gen_dir)
        if expected_model and manifest["model"]["fingerprint"] != expected_model:
            raise ModelMismatch(
                f"generation {gen_dir.name} was built with model {manifest['model']['name']} "
                f"({manifest['model']['fingerprint']}) but KB_MODEL now gives {expected_model}; "
                "set KB_MODEL back or run `kb reindex` to rebuild with the new model")
        files = manifest["files"]
        vpath = gen_dir / "vectors.faiss"
        # hashed as a stream: the file lands in the page cache once, and the index below maps it from there
        _verify_file(gen_dir, "vectors.faiss", files)
        try:
            vectors = VectorIndex.load(vpath, files["vectors.faiss"]["kind"], mmap=mmap)
        except Exception as exc:  # noqa: BLE001 - faiss raises RuntimeError on damaged data
            raise CorruptIndex(f"generation {gen_dir.name}: vectors.faiss cannot be read ({exc})") from exc
        unit_vectors = postings = None
        try:
            if UNIT_VECTORS in files:
                _verify_file(gen_dir, UNIT_VECTORS, files)
                unit_vectors = np.load(gen_dir / UNIT_VECTORS, mmap_mode="r", allow_pickle=False)
            if all(name in files for name in POSTING_FILES):
                for name in POSTING_FILES:
                    _verify_file(gen_dir, name, files)
                postings = load_postings(gen_dir)
        except (OSError, ValueError) as exc:
            raise CorruptIndex(f"generation {gen_dir.name}: a memory-mapped file is unreadable ({exc})") from exc
        db = files["chunks.db"]
        served = shared_db.load(gen_dir / "chunks.db", Checksum.of_entry(db), int(db["bytes"]), gen_dir.name,
                                shared_dir)
        return cls(gen_dir, manifest, vectors, served, unit_vectors, postings)

    @property
    def served_path(self) -> Path | None:
        """The shared file chunks.db is served from, or None when this process holds its own copy."""
        return self._memory.path

    def release(self) -> None:
        """This process is done with the generation: its shared copy of chunks.db goes once no process holds it."""
        if isinstance(self._memory, SharedCopy):
            self._memory.release()

    @property
    def db(self) -> sqlite3.Connection:
        """One read-only connection per thread, onto the copy whose checksum was verified (in RAM)."""
        return self._connections.get()

    @property
    def counts(self) -> dict:
        return self.manifest["counts"]

