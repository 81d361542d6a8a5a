"""Immutable index generations: built in a temporary directory, fsynced, checksummed, published by rename."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CorruptIndex, KBEmpty, KBError, ModelMismatch
from .keyword import build_impacts
from .vectors import VectorIndex

KEYWORD_WEIGHTS = (10.0, 1.0, 1.0)  # FTS5 bm25 column weights (title, section, body); the search uses the same

FORMAT = "practice-partner-kb"
FORMAT_VERSION = 1
CURRENT = "CURRENT"
GEN_DIR = "generations"

GEN_SCHEMA = """
CREATE TABLE docs (doc_id TEXT PRIMARY KEY, title TEXT, doc_type TEXT, source TEXT, published TEXT, reviewed TEXT,
  tags TEXT, filename TEXT, basis TEXT, text TEXT, sections TEXT, content_hash TEXT, n_chunks INTEGER);
CREATE TABLE doc_tags (doc_id TEXT, tag TEXT);
CREATE INDEX doc_tags_tag ON doc_tags(tag);
CREATE TABLE chunks (chunk_id INTEGER PRIMARY KEY, doc_id TEXT, ordinal INTEGER, text TEXT, start INTEGER,
  "end" INTEGER, section TEXT, heading_path TEXT, page INTEGER);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE chunks_fts USING fts5(title, section, body, content='', tokenize='porter unicode61');
"""


def _crash_point(stage: str) -> None:
    """Test hook: KB_TEST_CRASH_AT=stage kills this process there, to prove publication is atomic."""
    if os.environ.get("KB_TEST_CRASH_AT") == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_path(path: Path) -> None:
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(path: Path, data: bytes) -> None:
    """Write, flush and fsync; errors such as ENOSPC or EFBIG surface here, never silently."""
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_current(home: Path) -> str | None:
    try:
        name = (home / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    return name or None


def publish(home: Path, name: str) -> None:
    """Point CURRENT at a finished generation: temp file, fsync, os.replace, fsync the directory."""
    tmp = home / f".{CURRENT}.tmp"
    write_bytes(tmp, (name + "\n").encode())
    _crash_point("before-swap")
    os.replace(tmp, home / CURRENT)
    fsync_path(home)
    _crash_point("after-swap")


def list_generations(home: Path) -> list[str]:
    root = home / GEN_DIR
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.startswith("g") and
                  (p / "manifest.json").exists())


def next_name(home: Path) -> str:
    names = list_generations(home)
    root = home / GEN_DIR
    nums = [int(n[1:]) for n in names if n[1:].isdigit()]
    if root.exists():
        nums += [int(p.name.split("-")[1][1:]) for p in root.iterdir()
                 if p.name.startswith(".tmp-g") and p.name.split("-")[1][1:].isdigit()]
    return f"g{(max(nums) + 1) if nums else 1:06d}"


def clean_leftovers(home: Path) -> None:
    """Remove half-built generation directories left by a crash (only called under the write lock)."""
    root = home / GEN_DIR
    if root.exists():
        for p in root.iterdir():
            if p.name.startswith(".tmp-"):
                shutil.rmtree(p, ignore_errors=True)
    tmp = home / f".{CURRENT}.tmp"
    if tmp.exists():
        tmp.unlink()


def prune(home: Path, keep: int) -> None:
    """Keep the newest `keep` generations and always the live one."""
    live = read_current(home)
    names = list_generations(home)
    for name in names[:-keep] if keep > 0 else []:
        if name != live:
            shutil.rmtree(home / GEN_DIR / name, ignore_errors=True)


@dataclass
class BuildInput:
    docs: list[dict]            # rows from Catalog.iter_documents()
    vectors: np.ndarray         # one row per chunk, in docs/chunks order
    model: dict                 # name, fingerprint, dimension, max_seq_length
    chunking: dict
    catalog_version: int
    hnsw_threshold: int


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

    vindex = VectorIndex.build(inp.vectors, inp.hnsw_threshold)
    vbytes = vindex.to_bytes()
    write_bytes(tmp / "vectors.faiss", vbytes)
    _crash_point("after-vectors")
    if progress:
        progress("vectors", n_chunks, n_chunks)

    db_path = tmp / "chunks.db"
    db = sqlite3.connect(str(db_path), isolation_level=None)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + GEN_SCHEMA)
    db.execute("BEGIN")
    chunk_id = 0
    for i, d in enumerate(inp.docs):
        db.execute("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (d["doc_id"], d["title"], d["doc_type"], d["source"], d["published"], d["reviewed"],
                    json.dumps(d["tags"]), d["filename"], d["basis"], d["text"], d["sections"], d["content_hash"],
                    len(d["chunks"])))
        db.executemany("INSERT INTO doc_tags VALUES (?,?)", [(d["doc_id"], t) for t in d["tags"]])
        for c in d["chunks"]:
            section = " › ".join(c["heading_path"])
            db.execute("INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?)",
                       (chunk_id, d["doc_id"], c["ordinal"], c["text"], c["start"], c["end"], section,
                        json.dumps(c["heading_path"]), c["page"]))
            db.execute("INSERT INTO chunks_fts (rowid, title, section, body) VALUES (?,?,?,?)",
                       (chunk_id, d["title"], section, c["text"]))
            chunk_id += 1
        if progress and (i % 200 == 0 or i == len(inp.docs) - 1):
            progress("database", i + 1, len(inp.docs))
    db.execute("COMMIT")
    db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES('optimize')")
    keyword_stats = build_impacts(db, KEYWORD_WEIGHTS, progress=progress)
    db.close()
    if chunk_id != n_chunks:
        raise KBError(f"internal error: {chunk_id} chunks but {n_chunks} vectors")
    fsync_path(db_path)
    _crash_point("after-database")

    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "generation": name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.time() - started, 3),
        "model": inp.model, "chunking": inp.chunking,
        "counts": {"documents": len(inp.docs), "chunks": n_chunks},
        "catalog_version": inp.catalog_version,
        "keyword_impacts": keyword_stats,
        "files": {
            "vectors.faiss": {"sha256": hashlib.sha256(vbytes).hexdigest(), "bytes": len(vbytes), "kind": vindex.kind},
            "chunks.db": {"sha256": file_sha256(db_path), "bytes": db_path.stat().st_size},
        },
    }
    write_bytes(tmp / "manifest.json", json.dumps(manifest, indent=2).encode())
    fsync_path(tmp)
    final = root / name
    os.replace(tmp, final)
    fsync_path(root)
    publish(home, name)
    return name


def read_manifest(gen_dir: Path) -> dict:
    try:
        manifest = json.loads((gen_dir / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CorruptIndex(f"generation {gen_dir.name}: manifest unreadable ({exc.__class__.__name__})") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise CorruptIndex(f"generation {gen_dir.name}: format {manifest.get('format')!r} version "
                           f"{manifest.get('format_version')!r} is not readable by this version; run `kb reindex`")
    return manifest


class Generation:
    """A loaded, verified, read-only generation; safe to share between threads."""

    def __init__(self, gen_dir: Path, manifest: dict, vectors: VectorIndex):
        self.dir = gen_dir
        self.name = gen_dir.name
        self.manifest = manifest
        self.vectors = vectors
        self._local = threading.local()

    @classmethod
    def load(cls, gen_dir: Path, expected_model: str | None = None, mmap: bool = True) -> "Generation":
        manifest = read_manifest(gen_dir)
        if expected_model and manifest["model"]["fingerprint"] != expected_model:
            raise ModelMismatch(
                f"generation {gen_dir.name} was built with model {manifest['model']['name']} "
                f"({manifest['model']['fingerprint']}) but KB_MODEL now gives {expected_model}; "
                "set KB_MODEL back or run `kb reindex` to rebuild with the new model")
        files = manifest["files"]
        vpath = gen_dir / "vectors.faiss"
        try:
            # hashed as a stream: the file lands in the page cache once, and the index below maps it from there
            vsum = file_sha256(vpath)
        except OSError as exc:
            raise CorruptIndex(f"generation {gen_dir.name}: vectors.faiss unreadable ({exc.strerror})") from exc
        if vsum != files["vectors.faiss"]["sha256"]:
            raise CorruptIndex(f"generation {gen_dir.name}: vectors.faiss does not match its checksum")
        if file_sha256(gen_dir / "chunks.db") != files["chunks.db"]["sha256"]:
            raise CorruptIndex(f"generation {gen_dir.name}: chunks.db does not match its checksum")
        try:
            vectors = VectorIndex.load(vpath, files["vectors.faiss"]["kind"], mmap=mmap)
        except Exception as exc:  # noqa: BLE001 - faiss raises RuntimeError on damaged data
            raise CorruptIndex(f"generation {gen_dir.name}: vectors.faiss cannot be read ({exc})") from exc
        return cls(gen_dir, manifest, vectors)

    @property
    def db(self) -> sqlite3.Connection:
        """One read-only connection per thread."""
        conn = getattr(self._local, "db", None)
        if conn is None:
            uri = f"file:{self.dir / 'chunks.db'}?mode=ro&immutable=1"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._local.db = conn
        return conn

    @property
    def counts(self) -> dict:
        return self.manifest["counts"]


def open_current(home: Path, expected_model: str | None = None) -> Generation:
    name = read_current(home)
    if name is None:
        raise KBEmpty(f"the knowledge base at {home} is empty: run `kb ingest PATH` first")
    return Generation.load(home / GEN_DIR / name, expected_model)
