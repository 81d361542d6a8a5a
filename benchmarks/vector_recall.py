"""Recall of the vector index alone at large sizes: build only the HNSW index over N synthetic vectors, compare it
with exact search for real queries at several search breadths, and show how the synthetic vectors compare with
real embeddings.

    python benchmarks/vector_recall.py [--sizes 100000,1000000] [--ef 64,128,256,512] [--json] [--home DIR]

* Real material (as `kb bench`): corpus/ ingested into a KB under --home (kept and reused when it has a live
  generation), its chunk vectors, and the NFCorpus documents embedded by the packaged model when the NFCorpus
  data is present (cached under KB_EVAL_CACHE/bench). Queries: the 122 corpus questions and the 323 NFCorpus test
  queries, encoded by the int8 ONNX query encoder (what serves queries).
* Synthetic vectors: `kb bench`'s generator (bench.Base.synthetic_vectors: random mixtures of 2-4 real vectors
  plus small noise), the same seed, so a size here has the vectors of that size's `kb bench` generation.
* Per size: the product's build function (index.vectors.VectorIndex.build, its M / efConstruction unless
  --m / --ef-construction override them for a what-if) on --threads OpenMP threads (1: as `kb` builds), the
  exact top 10 by a blocked matrix product, then recall@10 and single-query search time (1 thread, as served)
  at each efSearch; --save-dir keeps each index so another sweep needs no rebuild (--from-saved).
* Realism: per query the cosine of its exact rank 1 and rank 10 and their gap, and per vector the cosine of its
  nearest other vector, for the real vectors and for synthetic sets of the same size and of each size.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import importlib.util  # noqa: E402


def _bench():
    """bench.py (a sibling script, not a package) as a module."""
    name = "pp_bench_bench"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().with_name("bench.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def real_material(home: Path):
    """The corpus/ KB under `home` (ingested once, then reused), the bench Base over it and the query vectors."""
    from index.kb import KnowledgeBase
    from kb_settings import Settings

    bench = _bench()
    kb = KnowledgeBase(Settings.from_env(home=home))
    if not _has_generation(home):
        bench.log(f"ingesting corpus/ into {home}")
        kb.ingest_paths([ROOT / "corpus"])
    kb.export_encoder()
    base = bench.Base(kb, bench.nfcorpus_doc_vectors(kb))
    queries = bench.query_vectors(kb, bench.loadmod.load_questions(), kb.query_encoder)
    return kb, base, queries


def _has_generation(home: Path) -> bool:
    from index import publishing

    try:
        return publishing.read_current(home) is not None
    except Exception:  # noqa: BLE001 - nothing readable: ingest
        return False


def build_index(vectors, threads: int):
    """The product's build of an HNSW index over `vectors` (whatever its threshold): (index, wall s, CPU s)."""
    from index.vectors import VectorIndex, omp_threads

    t, cpu = time.perf_counter(), time.process_time()
    with omp_threads(threads):
        index = VectorIndex.build(vectors, hnsw_threshold=1)
    # CPU seconds besides wall time: comparable across a shared machine's changing load
    return index, time.perf_counter() - t, time.process_time() - cpu


def study_size(base, queries, n: int, noise: float, ef_values: tuple[int, ...], threads: int,
               save_dir: Path | None, from_saved: bool, realism: bool) -> dict:
    from index.vectors import HNSW_EF_CONSTRUCTION, HNSW_M, VectorIndex

    bench = _bench()
    t = time.perf_counter()
    vecs = base.synthetic_vectors(n, noise)
    out = {"chunks": n, "synthesize_s": round(time.perf_counter() - t, 2), "hnsw_m": HNSW_M,
           "ef_construction": HNSW_EF_CONSTRUCTION, "build_threads": threads}
    if realism:
        out["realism"] = bench.vector_realism(vecs, queries)
    saved = save_dir / f"hnsw-{n}-m{HNSW_M}-efc{HNSW_EF_CONSTRUCTION}.faiss" if save_dir else None
    if from_saved and saved and saved.exists():
        bench.log(f"{n}: loading the saved index {saved}")
        index = VectorIndex.load(saved, "hnsw", mmap=False)
        out["build_s"] = None
        out["from_saved"] = str(saved)
    else:
        bench.log(f"{n}: building HNSW (M {HNSW_M}, efConstruction {HNSW_EF_CONSTRUCTION}, {threads} thread(s))")
        index, build_s, cpu_s = build_index(vecs, threads)
        out["build_s"] = round(build_s, 1)
        out["build_cpu_s"] = round(cpu_s, 1)
        bench.log(f"{n}: built in {build_s:.0f} s")
        if saved:
            saved.parent.mkdir(parents=True, exist_ok=True)
            tmp = saved.with_suffix(".tmp")
            tmp.write_bytes(index.to_bytes())
            os.replace(tmp, saved)
    for qv in queries[:20]:  # warm caches before the timed sweep
        index.search(qv, 10, ef_search=max(ef_values))
    out["recall"] = bench.index_recall(index, vecs, queries, ef_values=ef_values)
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vector_recall", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="synthetic vector counts, comma-separated")
    ap.add_argument("--ef", default="64,128,256,512", help="HNSW efSearch values to measure, comma-separated")
    ap.add_argument("--noise", type=float, default=0.01, help="as `kb bench --noise`")
    ap.add_argument("--home", type=Path, help="where the corpus/ KB is kept (default: a temporary directory)")
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads for the index build (kb builds on 1)")
    ap.add_argument("--m", type=int, help="what-if: HNSW M instead of the product's")
    ap.add_argument("--ef-construction", type=int, help="what-if: HNSW efConstruction instead of the product's")
    ap.add_argument("--save-dir", type=Path, help="keep each built index here")
    ap.add_argument("--from-saved", action="store_true", help="with --save-dir: load a kept index instead of building")
    ap.add_argument("--no-realism", action="store_true", help="skip the realism statistics")
    ap.add_argument("--json", action="store_true", help="print every figure as JSON")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import index.vectors as iv

    if args.m:
        iv.HNSW_M = args.m
    if args.ef_construction:
        iv.HNSW_EF_CONSTRUCTION = args.ef_construction
    bench = _bench()
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    ef_values = tuple(int(x) for x in args.ef.split(",") if x.strip())
    home = args.home or Path(tempfile.mkdtemp(prefix="pp-vector-recall-"))
    result = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
              "noise": args.noise, "generator": bench.GENERATOR, "sizes": []}
    kb, base, queries = real_material(home)
    result["queries"] = int(len(queries))
    result["query_encoder"] = kb.query_encoder.backend
    result["real_vectors"] = int(len(base.mix_pool))
    if not args.no_realism:
        result["realism_real"] = bench.vector_realism(base.mix_pool, queries)
        result["realism_synthetic_same_size"] = bench.vector_realism(
            base.synthetic_vectors(len(base.mix_pool), args.noise), queries)
    real_index = build_index(base.mix_pool, args.threads)[0]
    result["recall_real"] = bench.index_recall(real_index, base.mix_pool, queries, ef_values=ef_values)
    small = base.synthetic_vectors(len(base.mix_pool), args.noise)
    result["recall_synthetic_same_size"] = bench.index_recall(build_index(small, args.threads)[0], small, queries,
                                                              ef_values=ef_values)
    for n in sizes:
        result["sizes"].append(study_size(base, queries, n, args.noise, ef_values, args.threads, args.save_dir,
                                          args.from_saved, not args.no_realism))
        if args.json:  # a partial result survives a stopped run
            bench.log("partial: " + json.dumps(result["sizes"][-1]))
    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"real vectors: {result['real_vectors']}; queries: {result['queries']} ({result['query_encoder']})")
    rows = [("real", result["recall_real"], result.get("realism_real")),
            ("synthetic, same size", result["recall_synthetic_same_size"], result.get("realism_synthetic_same_size"))]
    rows += [(f"synthetic {s['chunks']}", s["recall"], s.get("realism")) for s in result["sizes"]]
    for name, rec, real in rows:
        print(f"{name:22} {rec['vectors']:>8}: " + ", ".join(
            f"ef {ef} r@10 {v['recall_at_10']} p50 {v['ms']['p50']} ms (CPU {v['cpu_ms']['p50']})"
            for ef, v in rec["by_ef_search"].items()))
        if real:
            print(f"{'':22} rank1 {real['query_rank1_cosine']} rank10 {real['query_rank10_cosine']} gap "
                  f"{real['query_rank1_minus_rank10']} nearest other {real['nearest_other_vector_cosine']}")
    for s in result["sizes"]:
        print(f"{s['chunks']}: build {s['build_s']} s (M {s['hnsw_m']}, efConstruction {s['ef_construction']}, "
              f"{s['build_threads']} thread(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
