"""Practice Partner against txtai on a BEIR set (NFCorpus): index build time, single-query latency, nDCG@10.

Both sides index the same documents (title + text) with the same packaged model, from scratch: ours through
`KnowledgeBase.ingest_paths` into a fresh KB home (no embedding cache, a fresh ONNX export) exactly as `kb eval
--beir` ingests, txtai as `Embeddings(path=<model>, content=True, hybrid=True)` (dense + BM25) in a subprocess run
by a separate venv's python (benchmarks/txtai_side.py; txtai is never installed into the product's environment).
Then every judged query of the split runs one at a time through each (after a warm-up): ours through
`KnowledgeBase.search` as `kb eval` calls it, txtai through `Embeddings.search`. Both rankings are scored here by
the same ranx code `index/evaluate.py` uses. Evaluation data only; never shipped.

    python benchmarks/txtai_compare.py --data ../shared/data/nfcorpus --txtai-python /work/txtai-venv/bin/python \
        [--split test] [--json] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Issue #15's targets against txtai: how many times faster (build, query p50) and nDCG@10 higher.
TARGET_BUILD_X = 2.0
TARGET_P50_X = 3.0


@dataclass
class Side:
    """One product's figures: build seconds, per-query latencies (seconds) and nDCG@10."""

    name: str
    build_s: float
    latencies_s: list[float]
    ndcg10: float
    indexed: str = ""                     # what was indexed, e.g. "3633 documents, 5012 chunks"
    threads: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_s, 50) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies_s, 95) * 1000


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile with linear interpolation (numpy's default), without needing numpy."""
    if not values:
        raise ValueError("no values")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def ratios(ours: Side, theirs: Side) -> dict:
    """How ours compares with txtai against issue #15's targets (a ratio > 1 means ours is faster)."""
    build_x = theirs.build_s / ours.build_s
    p50_x = theirs.p50_ms / ours.p50_ms
    p95_x = theirs.p95_ms / ours.p95_ms
    delta = ours.ndcg10 - theirs.ndcg10
    return {"build_x": round(build_x, 2), "build_met": build_x >= TARGET_BUILD_X,
            "p50_x": round(p50_x, 2), "p50_met": p50_x >= TARGET_P50_X, "p95_x": round(p95_x, 2),
            "ndcg_delta": round(delta, 4), "ndcg_met": delta > 0}


def markdown_table(ours: Side, theirs: Side) -> str:
    """The results as a markdown table: both products' figures, the ratios and whether each target holds."""
    r = ratios(ours, theirs)

    def mark(ok: bool) -> str:
        return "✔" if ok else "✘"

    rows = [
        "| figure | Practice Partner | txtai | ours vs txtai | target (issue #15) |",
        "|---|---:|---:|---:|---|",
        f"| what was indexed | {ours.indexed} | {theirs.indexed} | | |",
        f"| index build | {ours.build_s:.1f} s | {theirs.build_s:.1f} s | {r['build_x']:.2f} × faster "
        f"| ≥ {TARGET_BUILD_X:g} × {mark(r['build_met'])} |",
        f"| hybrid query p50 | {ours.p50_ms:.1f} ms | {theirs.p50_ms:.1f} ms | {r['p50_x']:.2f} × faster "
        f"| ≥ {TARGET_P50_X:g} × {mark(r['p50_met'])} |",
        f"| hybrid query p95 | {ours.p95_ms:.1f} ms | {theirs.p95_ms:.1f} ms | {r['p95_x']:.2f} × faster | |",
        f"| nDCG@10 | {ours.ndcg10:.4f} | {theirs.ndcg10:.4f} | {r['ndcg_delta']:+.4f} "
        f"| higher {mark(r['ndcg_met'])} |",
    ]
    return "\n".join(rows)


def score_ndcg10(qrels: dict[str, dict[str, int]], ranked: dict[str, list[str]]) -> float:
    """nDCG@10 of ranked document ids per query, scored exactly as index/evaluate.run scores the product's hits
    (rank-based scores, no ties; ranx with make_comparable), so both products meet the same metric code."""
    from ranx import Qrels, Run, evaluate

    run_dict = {}
    for qid in qrels:
        ids = list(dict.fromkeys(ranked.get(qid, [])))  # a document once, at its best rank
        n = len(ids)
        run_dict[qid] = {d: float(n - rank) for rank, d in enumerate(ids)} or {"__none__": 0.0}
    return round(float(evaluate(Qrels(qrels), Run(run_dict), "ndcg@10", make_comparable=True)), 4)


class StageClock:
    """A progress callback that notes when each ingest stage is first and last reported, for the breakdown."""

    def __init__(self):
        self.t0 = time.perf_counter()
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def __call__(self, stage: str, done: int = 0, total: int = 0) -> None:
        now = time.perf_counter() - self.t0
        self.first.setdefault(stage, now)
        self.last[stage] = now

    def stages(self) -> dict[str, list[float]]:
        """Each stage's [first, last] report, in seconds from the build's start."""
        return {s: [round(self.first[s], 1), round(self.last[s], 1)] for s in self.first}


def build_ours(es, workdir: Path, build_threads: int, query_threads: int):
    """Build our KB from scratch in workdir, as `kb eval --beir` ingests; returns (kb, seconds, stage clock)."""
    import sentence_transformers  # noqa: F401 - imported before the clock, as the txtai side imports torch first

    from index.kb import KnowledgeBase
    from kb_settings import Settings

    # a fresh home and a fresh ONNX cache: no embedding or export is reused from an earlier run
    settings = Settings.from_env(home=workdir / "kb", onnx_cache=str(workdir / "onnx"), torch_threads=build_threads)
    clock = StageClock()
    t0 = time.perf_counter()
    report = KnowledgeBase(settings).ingest_paths(es.corpus, progress=clock, screen=False)  # as index/evaluate.run
    build_s = time.perf_counter() - t0
    if report.failed:
        raise RuntimeError("the corpus failed to ingest")
    kb = KnowledgeBase(replace(settings, torch_threads=query_threads or Settings.torch_threads))
    kb.warm_up()
    return kb, build_s, clock


def search_ours(kb, text: str, k: int) -> tuple[float, list[str]]:
    """One query through the physicians' search, called as `kb eval` calls it: (seconds, document ids)."""
    t0 = time.perf_counter()
    result = kb.search(text, k=k, mode="hybrid", fusion="convex-prf", per_doc=1, answer=False)
    return time.perf_counter() - t0, [h.doc_id for h in result.hits]


class TxtaiWorker:
    """benchmarks/txtai_side.py run by the txtai venv's python: it builds on start, then answers one query at a
    time (its latency is measured inside its own process, so the pipe is not counted)."""

    def __init__(self, es, workdir: Path, python: str, model: Path, build_threads: int, query_threads: int,
                 k: int, maxlength: str):
        job = {"corpus": str(es.corpus[0]), "model": str(model), "build_threads": build_threads,
               "query_threads": query_threads, "k": k, "maxlength": maxlength}
        job_path = workdir / "txtai-job.json"
        job_path.write_text(json.dumps(job))
        env = {key: v for key, v in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env["HF_HUB_OFFLINE"] = "1"  # the model is a local folder; nothing may be downloaded
        env["TOKENIZERS_PARALLELISM"] = "false"
        self._stderr = open(workdir / "txtai-stderr.log", "w+", encoding="utf-8")
        self.proc = subprocess.Popen([python, str(Path(__file__).with_name("txtai_side.py")), str(job_path)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                     env=env, cwd=workdir)
        self.info = self._read()  # the build, timed inside the worker

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self._stderr.seek(0)
            raise RuntimeError(f"the txtai side failed ({self.proc.returncode}): {self._stderr.read()[-2000:]}")
        return json.loads(line)

    def search(self, text: str) -> tuple[float, list[str]]:
        """One query: (seconds, document ids)."""
        self.proc.stdin.write(json.dumps({"text": text}) + "\n")
        self.proc.stdin.flush()
        out = self._read()
        return out["latency_s"], out["ids"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self._stderr.close()


def compare(es, workdir: Path, python: str, build_threads: int = 2, query_threads: int = 0, k: int = 10,
            warmup: int = 10, maxlength: str = "model", log=None) -> tuple[Side, Side]:
    """Build ours, then txtai's (one after the other, never at once), then run every query through both,
    alternating which goes first, so a change in the machine's load falls on both alike."""
    from index.embedder import resolve_model_path

    load_before = os.getloadavg()[0]
    kb, our_build_s, clock = build_ours(es, workdir / "ours", build_threads, query_threads)
    our_load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    if log:
        log(f"ours built in {our_build_s:.1f} s, stages {clock.stages()}; now txtai")
    worker = TxtaiWorker(es, workdir, python, resolve_model_path(""), build_threads, query_threads, k, maxlength)
    try:
        if log:
            log(f"txtai built in {worker.info['build_s']:.1f} s; now the queries")
        queries = list(es.queries.items())
        for _, text in queries[:warmup]:
            search_ours(kb, text, k)
            worker.search(text)
        lat = {"ours": [], "txtai": []}
        ranked: dict[str, dict[str, list[str]]] = {"ours": {}, "txtai": {}}
        for i, (qid, text) in enumerate(queries):
            for name in (("ours", "txtai") if i % 2 == 0 else ("txtai", "ours")):
                seconds, ids = search_ours(kb, text, k) if name == "ours" else worker.search(text)
                lat[name].append(seconds)
                ranked[name][qid] = ids
    finally:
        worker.close()
    stats = kb.stats()
    ours = Side("Practice Partner", our_build_s, lat["ours"], score_ndcg10(es.qrels, ranked["ours"]),
                f"{stats.get('documents', '?')} documents, {stats.get('chunks', '?')} chunks",
                {"build": build_threads, "query": kb.ctx.settings.torch_threads},
                {"stages_s": clock.stages(), "query_encoder": getattr(kb.query_encoder, "backend", "?"),
                 "build_load_average": our_load})
    info = worker.info
    theirs = Side(f"txtai {info['versions'].get('txtai', '?')}", info["build_s"], lat["txtai"],
                  score_ndcg10(es.qrels, ranked["txtai"]), f"{info['documents']} documents", info["threads"],
                  {"config": info["config"], "versions": info["versions"],
                   "build_load_average": [round(x, 2) for x in info["load_average"]]})
    return ours, theirs


def our_versions() -> dict[str, str]:
    """The versions of what our side ran, and the commit."""
    from importlib.metadata import version

    out = {"python": sys.version.split()[0]}
    for name in ("torch", "sentence-transformers", "onnxruntime", "faiss-cpu", "numpy", "ranx"):
        try:
            out[name] = version(name)
        except Exception:  # noqa: BLE001 - reported as missing, not fatal
            out[name] = "not installed"
    git = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    out["commit"] = git.stdout.strip() or "?"
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (a function, so a test can check the defaults without data or a txtai venv)."""
    p = argparse.ArgumentParser(description="Practice Partner against txtai: build, query latency, nDCG@10.")
    p.add_argument("--data", type=Path, required=True, help="A BEIR folder (corpus.jsonl, queries.jsonl, qrels/).")
    p.add_argument("--txtai-python", required=True, help="The python of the separate venv that has txtai.")
    p.add_argument("--split", default="test", help="Which qrels file's queries run (default test).")
    p.add_argument("--k", type=int, default=10, help="Results per query for both (default 10, what nDCG@10 needs).")
    p.add_argument("--warmup", type=int, default=10, help="Queries run before the timed loop (default 10).")
    p.add_argument("--build-threads", type=int, default=2, help="torch threads for both builds (default 2).")
    p.add_argument("--query-threads", type=int, default=0,
                   help="Threads for both query loops; 0 (default): each product's own default "
                   "(ours KB_TORCH_THREADS' default 1, txtai torch's default, the core count).")
    p.add_argument("--txtai-maxlength", choices=("model", "tokenizer"), default="model",
                   help="txtai's truncation: the model's own max_seq_length (256, as sentence-transformers and "
                   "ours; default) or txtai's out-of-the-box tokenizer limit (512).")
    p.add_argument("--workdir", type=Path, help="Where both indexes are built (default: a temporary folder).")
    p.add_argument("--json", action="store_true", help="Print JSON instead of the markdown table.")
    p.add_argument("--out", type=Path, help="Also write what is printed to this file.")
    args = p.parse_args(argv)
    if args.k < 10:
        p.error("--k must be at least 10 for nDCG@10")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run both products in one go and print (and optionally write) the table."""
    args = parse_args(argv)
    from index.evaluate import beir_set

    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    versions = our_versions()  # the commit as the run starts, not as it ends
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="txtai-compare-", dir=args.workdir) as tmp:
        work = Path(tmp)
        es = beir_set(args.data, args.split, workdir=work)
        ours, theirs = compare(es, work, args.txtai_python, args.build_threads, args.query_threads, args.k,
                               args.warmup, args.txtai_maxlength, log=lambda m: print(m, file=sys.stderr, flush=True))
    load_end = os.getloadavg()
    result = {"set": es.name, "queries": len(es.queries), "k": args.k, "warmup": args.warmup,
              "started": started, "ended": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
              "load_average_start": [round(x, 2) for x in load_start],
              "load_average_end": [round(x, 2) for x in load_end],
              "txtai_maxlength": args.txtai_maxlength, "ratios": ratios(ours, theirs),
              "ours": {"build_s": round(ours.build_s, 2), "p50_ms": round(ours.p50_ms, 2),
                       "p95_ms": round(ours.p95_ms, 2), "ndcg@10": ours.ndcg10, "indexed": ours.indexed,
                       "threads": ours.threads, **ours.extra, "versions": versions},
              "txtai": {"build_s": round(theirs.build_s, 2), "p50_ms": round(theirs.p50_ms, 2),
                        "p95_ms": round(theirs.p95_ms, 2), "ndcg@10": theirs.ndcg10, "indexed": theirs.indexed,
                        "threads": theirs.threads, **theirs.extra}}
    header = (f"{es.name}: {len(es.queries)} queries, k={args.k}, {started} → {result['ended']}, load average "
              f"{load_start[0]:.2f} at start, {load_end[0]:.2f} at end; threads: builds {args.build_threads}, "
              f"queries ours {ours.threads['query']} / txtai {theirs.threads['query']} (interleaved)")
    result["table"] = markdown_table(ours, theirs)
    text = json.dumps(result, indent=2) if args.json else f"{header}\n\n{result['table']}\n"
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
