"""Integrity figures: what serving chunks.db from its verified in-memory copy costs, and bit flips caught.

    python benchmarks/integrity.py [--sizes 10000,100000] [--home DIR] [--json]

* Cost, per size N (synthetic generations made as in benchmarks/bench.py, built by index.generation.build): in a
  fresh subprocess each, (1) `Generation.load` as served now: read each file once, SHA-256, and chunks.db copied
  into an in-memory SQLite database (memdb VFS, shared by the process's threads); (2) the former way: the same
  checks, then chunks.db read from disk through `?mode=ro&immutable=1`. Reported: load seconds, resident memory
  added by the load (VmRSS after − before), and the database part of a search timed per question (an FTS5 query
  of the question's terms, LIMIT 100, then the text of the top 10 chunks), p50/p95 over the corpus questions.
* Bit flips, on a KB built from corpus/ with two published generations: for each file of the live generation
  (chunks.db, vectors.faiss, manifest.json, manifest.sha256) one bit is flipped mid-file and a fresh
  KnowledgeBase answers every corpus question: reported are the generation it served and how many hits differ from
  the text as published. Then a running KnowledgeBase has bits flipped in its live chunks.db (every occurrence of
  a few common words) and answers every question again from new threads.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import importlib.util  # noqa: E402


def _module(name: str, file: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / file)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float]) -> dict:
    import numpy as np

    a = np.asarray(values)
    return {"p50": round(float(np.percentile(a, 50)), 3), "p95": round(float(np.percentile(a, 95)), 3)}


def measure(gen_dir: Path, mode: str, questions: list[str]) -> dict:
    """Run in a fresh process: load one generation the given way and time the database part of searching."""
    import gc

    from index import generation as gens
    from index.genread import GenerationReader
    from index.vectors import VectorIndex

    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    gen = gens.Generation.load(gen_dir)
    if mode == "memory":
        reader = gen.reader
    else:  # the former way: verified at load, then read from the file on every query
        reader = GenerationReader.open_file(gen_dir / "chunks.db")
        gen._memory = gen._connections = None  # drop the in-memory copy so only the file-backed cost is counted
        gc.collect()
    reader.chunk_count()
    load_s = time.perf_counter() - t0
    gc.collect()
    added = rss_mb() - before
    assert isinstance(gen.vectors, VectorIndex)
    times = []
    for q in questions * 3:
        terms = [t for t in "".join(c if c.isalnum() else " " for c in q.lower()).split() if len(t) > 2]
        match = " OR ".join(f'"{t}"' for t in terms) or '"opioid"'
        t1 = time.perf_counter()
        ids = reader.plain_fts(match, 100)
        for cid in ids[:10]:
            reader.chunks([cid])
        times.append((time.perf_counter() - t1) * 1000)
    return {"mode": mode, "load_s": round(load_s, 3), "rss_added_mb": round(added, 1),
            "db_query_ms": pct(times), "chunks_db_mb": round((gen_dir / "chunks.db").stat().st_size / 2**20, 1)}


def cost(scratch: Path, sizes: list[int], questions: list[str], kb) -> list[dict]:
    bench = _module("pp_bench", "bench.py")
    base = bench.Base(kb)
    out = []
    for n in sizes:
        home = scratch / f"size-{n}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        built = bench.build_synthetic(base, home, n, 0.025, kb.settings.hnsw_threshold)
        gen_dir = home / "generations" / built["generation"]
        row = {"chunks": n, "index_kind": built["index_kind"]}
        for mode in ("memory", "file"):
            proc = subprocess.run([sys.executable, __file__, "--measure", str(gen_dir), "--mode", mode],
                                  capture_output=True, text=True, cwd=str(ROOT), env={**os.environ,
                                                                                      "HF_HUB_OFFLINE": "1"})
            if proc.returncode:
                raise RuntimeError(proc.stderr[-2000:])
            row[mode] = json.loads(proc.stdout)
        print(f"size {n}: {row}", file=sys.stderr)
        out.append(row)
        shutil.rmtree(home, ignore_errors=True)
    return out


def published_texts(gen_dir: Path) -> dict[int, str]:
    from index.genread import GenerationReader

    reader = GenerationReader.open_file(gen_dir / "chunks.db")
    try:
        return {c.chunk_id: c.text for c in reader.chunks()}
    finally:
        reader.close()


def answer_all(kb, questions: list[str], threaded: bool = False) -> list:
    results = []

    def run(q: str) -> None:
        results.append(kb.search(q, k=10))

    for q in questions:
        if threaded:
            t = threading.Thread(target=run, args=(q,))
            t.start()
            t.join()
        else:
            run(q)
    return results


def wrong_hits(results: list, texts: dict[str, dict[int, str]]) -> tuple[int, int]:
    checked = wrong = 0
    for r in results:
        for h in r.hits:
            checked += 1
            wrong += texts[r.generation].get(h.chunk_id) != h.text
    return checked, wrong


def flips(scratch: Path, kb_home: Path, questions: list[str]) -> dict:
    from index import publishing
    from index.kb import KnowledgeBase
    from kb_settings import Settings

    load = _module("pp_load", "load.py")
    home = scratch / "two"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(kb_home, home, ignore=shutil.ignore_patterns("write.lock"))
    first = publishing.read_current(home)
    second = KnowledgeBase(Settings.from_env(home=home)).reindex()
    texts = {g: published_texts(home / "generations" / g) for g in (first, second)}
    out: dict = {"generations": [first, second], "restart": []}
    for name in ("chunks.db", "vectors.faiss", "manifest.json", "manifest.sha256"):
        copy = scratch / f"flip-{name}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(home, copy)
        path = copy / "generations" / second / name
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x04
        path.write_bytes(bytes(data))
        kb = KnowledgeBase(Settings.from_env(home=copy))
        results = answer_all(kb, questions)
        checked, wrong = wrong_hits(results, texts)
        served = sorted({r.generation for r in results})
        out["restart"].append({"file": name, "served": served, "damaged_generation_served": second in served,
                               "hits_checked": checked, "wrong_texts": wrong})
        print(f"flip {name}: {out['restart'][-1]}", file=sys.stderr)
        shutil.rmtree(copy, ignore_errors=True)
    kb = KnowledgeBase(Settings.from_env(home=home))
    answer_all(kb, questions)
    flipped = load.flip_live_text(home, scratch)
    results = answer_all(kb, questions, threaded=True)
    checked, wrong = wrong_hits(results, texts)
    out["running"] = {"bits_flipped": flipped["bits_flipped"], "served": sorted({r.generation for r in results}),
                      "hits_checked": checked, "wrong_texts": wrong}
    print(f"running: {out['running']}", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--home", type=Path, help="scratch directory (default: a temporary one, removed afterwards)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="memory", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    load = _module("pp_load", "load.py")
    questions = load.load_questions()
    if args.measure:
        print(json.dumps(measure(args.measure, args.mode, questions)))
        return 0
    scratch = Path(args.home or tempfile.mkdtemp(prefix="pp-integrity-"))
    scratch.mkdir(parents=True, exist_ok=True)
    result = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "load_average": os.getloadavg()}
    try:
        from index.kb import KnowledgeBase
        from kb_settings import Settings

        kb_home = scratch / "corpus-kb"
        if not (kb_home / "CURRENT").exists():
            print("building a KB from corpus/ ...", file=sys.stderr)
            KnowledgeBase(Settings.from_env(home=kb_home)).ingest_paths([ROOT / "corpus"])
        kb = KnowledgeBase(Settings.from_env(home=kb_home))
        result["flips"] = flips(scratch, kb_home, questions)
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
        result["cost"] = cost(scratch, sizes, questions, kb)
    finally:
        if not args.home:
            shutil.rmtree(scratch, ignore_errors=True)
    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    print(json.dumps(result, indent=2) if args.json else json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
