"""Load test of `kb serve`: N concurrent users for T seconds, optionally while `kb reindex` publishes new generations.

    python benchmarks/load.py [--home KB] [--users 20] [--duration 60] [--reindex 2] [--bitflip SECONDS]
                              [--engine threads|locust] [--json]

Without --home a knowledge base is built from corpus/ in a scratch directory; with --home the KB is *copied* to a
scratch directory first (the load test reindexes it, and must never touch a real KB).

What it checks (the run "passes" only if all hold):
  * zero errors: every request answers 200 with a JSON body (no 429, 5xx, timeouts or connection errors);
  * every response comes from one complete generation: body "generation" == header X-KB-Generation, and every hit's
    (chunk_id, doc_id, text) exists in that generation's chunks.db (generations stay on disk: KB_KEEP_GENERATIONS);
  * each requested `kb reindex` exits 0 and publishes a new generation while the load runs.

To make the generation check discriminating, the reindexes change the chunking (the first with
KB_OVERLAP_TOKENS=<default - 8>, the next back to the default), so consecutive generations hold different chunk ids
and texts; a response that mixed two generations would then fail the check.

Engines: `threads` (default; stdlib http.client, one keep-alive connection per user, no think time) and `locust`
(benchmarks/locustfile.py, `locust --headless -u N -r N -t Ts`; needs `pip install locust`). Both record every
response for the same validation.

The server: `kb serve --workers W` started as a subprocess on 127.0.0.1. All load comes from one client address, so
the per-address search limit is raised for the run (KB_SEARCH_RATE_LIMIT); everything else is the real code path.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

QUESTIONS = ROOT / "corpus" / "eval" / "questions.jsonl"
RATE_LIMIT_FOR_LOAD = "1000000/minute"

def load_questions(path: Path = QUESTIONS) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kb_command(*args: str) -> list[str]:
    """The `kb` command line (the repo's kb_cli.py under this interpreter, so no install is needed)."""
    return [sys.executable, str(ROOT / "kb_cli.py"), *args]


# ------------------------------------------------------------------------------------------------ the server
def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the ppid is the 2nd field after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry))
    return sorted(out)


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far (/proc/PID/stat), or None once it has gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


def cpu_shares(before: dict[int, float | None], after: dict[int, float | None]) -> list[float]:
    """Each worker's share of the CPU all workers used between two `Server.cpu()` readings (sums to 1)."""
    used = [max(0.0, (after.get(p) or 0.0) - (before.get(p) or 0.0)) for p in before]
    total = sum(used)
    return [round(u / total, 3) if total else 0.0 for u in used]


def proc_memory_mb(pid: int) -> dict:
    """VmRSS and VmHWM (peak RSS) of a process, in MiB, from /proc/PID/status; PSS and private (USS) memory from
    /proc/PID/smaps_rollup: pages shared with other workers (the mapped vectors) count in RSS but not in USS."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = round(int(rest.split()[0]) / 1024, 1)
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key in ("Pss", "Private_Clean", "Private_Dirty", "Rss", "Pss_Anon", "Pss_File", "Pss_Shmem"):
                    out[key] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    uss = out.get("Private_Clean", 0) + out.get("Private_Dirty", 0) if "Private_Dirty" in out else None
    return {"pid": pid, "rss_mb": out.get("VmRSS"), "peak_rss_mb": out.get("VmHWM"),
            "pss_mb": round(out["Pss"], 1) if "Pss" in out else None,
            "uss_mb": round(uss, 1) if uss is not None else None,
            # PSS split: the process's own heap (anon), mapped files (vectors, units, model) and shared memory (the
            # shared copy of chunks.db in /dev/shm); a page shared by n processes counts 1/n in each
            **{f"pss_{k.lower()}_mb": round(out[f"Pss_{k}"], 1) for k in ("Anon", "File", "Shmem") if f"Pss_{k}" in out}}


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    home: Path
    log_path: Path
    _log: object = None
    healthz_s: float | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        return _children(self.proc.pid)

    def memory(self) -> dict:
        """RSS of the gunicorn master and of each worker process."""
        return {"master": proc_memory_mb(self.proc.pid), "workers": [proc_memory_mb(p) for p in self.worker_pids()]}

    def cpu(self) -> dict[int, float | None]:
        """CPU seconds used so far by each worker process (to see how the load spread over them)."""
        return {p: proc_cpu_s(p) for p in self.worker_pids()}

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def http_get(base: str, path: str, timeout: float = 60.0) -> tuple[int, dict, bytes]:
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def start_server(home: Path, workers: int = 1, threads: int | None = None, port: int | None = None,
                 ready_timeout: float = 300.0, warm_query: str | None = "opioid taper", env: dict | None = None,
                 log_dir: Path | None = None) -> Server:
    """`kb serve` on 127.0.0.1 for the KB at `home`; returns once /healthz answers 200 and (optionally) one search
    has loaded the model, so the first timed request does not pay for model loading."""
    port = port or free_port()
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    if threads:
        args += ["--threads", str(threads)]
    full_env = {**os.environ, "KB_HOME": str(home), "HF_HUB_OFFLINE": "1", **(env or {})}
    full_env.setdefault("KB_SEARCH_RATE_LIMIT", RATE_LIMIT_FOR_LOAD)
    cmd = kb_command(*args)
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="pp-serve-"))
    log_path = log_dir / f"serve-{port}.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT),
                            start_new_session=True)
    server = Server(proc, port, Path(home), log_path, log)
    started = time.monotonic()
    deadline = started + ready_timeout
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"kb serve exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                status, _, _ = http_get(server.base, "/healthz", timeout=10)
                if status == 200:
                    server.healthz_s = round(time.monotonic() - started, 3)  # command start to first 200
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"kb serve not ready after {ready_timeout:.0f}s:\n{server.log_tail()}")
            time.sleep(0.25)
        if warm_query:
            # one search per worker thread pool: with several workers, keep asking until each has loaded the model
            for _ in range(max(1, workers) * 3):
                status, _, body = http_get(server.base, "/api/search?" + urllib.parse.urlencode({"q": warm_query}),
                                           timeout=ready_timeout)
                if status != 200:
                    raise RuntimeError(f"warm-up search answered {status}: {body[:300]!r}")
    except BaseException:
        server.stop()
        raise
    return server


# ------------------------------------------------------------------------------------------------ responses
@dataclass
class Record:
    """One response as the validator needs it."""
    t: float                    # seconds since the load started
    latency_ms: float
    status: int                 # HTTP status, or 0 for a transport error
    error: str = ""
    header_gen: str | None = None
    body_gen: str | None = None
    hits: list = field(default_factory=list)  # [chunk_id, doc_id, sha1(text)]

    def to_json(self) -> dict:
        return self.__dict__


def text_digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def make_record(t: float, latency_ms: float, status: int, headers: dict, body: bytes) -> Record:
    rec = Record(t=t, latency_ms=latency_ms, status=status, header_gen=headers.get("X-KB-Generation"))
    if status != 200:
        rec.error = f"HTTP {status}: {body[:200].decode('utf-8', 'replace')}"
        return rec
    try:
        data = json.loads(body)
        rec.body_gen = data.get("generation")
        rec.hits = [[h["chunk_id"], h["doc_id"], text_digest(h["text"])] for h in data.get("hits", [])]
    except (ValueError, KeyError, TypeError) as exc:
        rec.error = f"bad JSON body ({exc.__class__.__name__})"
    return rec


def search_path(question: str, k: int = 10) -> str:
    return "/api/search?" + urllib.parse.urlencode({"q": question, "k": k})


# ------------------------------------------------------------------------------------------------ engines
def run_threads(base: str, questions: list[str], users: int, stop: threading.Event, timeout: float = 120.0,
                seed: int = 7) -> list[Record]:
    """Closed-loop load until `stop` is set: `users` threads, each with its own keep-alive connection, no think
    time."""
    u = urllib.parse.urlsplit(base)
    records: list[Record] = []
    lock = threading.Lock()
    start = time.perf_counter()

    def user(i: int) -> None:
        rng = random.Random(seed + i)
        conn = None
        mine = []
        while not stop.is_set():
            q = rng.choice(questions)
            t0 = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
                conn.request("GET", search_path(q))
                r = conn.getresponse()
                body = r.read()
                ms = (time.perf_counter() - t0) * 1000
                mine.append(make_record(t0 - start, ms, r.status, dict(r.getheaders()), body))
                if (r.getheader("Connection") or "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                ms = (time.perf_counter() - t0) * 1000
                mine.append(Record(t=t0 - start, latency_ms=ms, status=0, error=f"{exc.__class__.__name__}: {exc}"))
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
        with lock:
            records.extend(mine)

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for th in threads:
        th.start()
    stop.wait()
    for th in threads:
        th.join(timeout + 30)
    records.sort(key=lambda r: r.t)
    return records


def locust_available() -> bool:
    return shutil.which("locust", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")) \
        is not None


def start_locust(base: str, users: int, workdir: Path) -> subprocess.Popen:
    """`locust --headless` with benchmarks/locustfile.py, running until stopped with SIGTERM (see finish_locust)."""
    exe = shutil.which("locust", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    if exe is None:
        raise RuntimeError("locust is not installed (pip install locust); use --engine threads")
    (workdir / "locust-records.jsonl").unlink(missing_ok=True)
    cmd = [exe, "-f", str(Path(__file__).with_name("locustfile.py")), "--headless", "-u", str(users),
           "-r", str(users), "-t", "24h", "--host", base, "--csv", str(workdir / "locust"),
           "--only-summary", "--stop-timeout", "30", "--exit-code-on-error", "1", "--loglevel", "WARNING"]
    env = {**os.environ, "PP_LOAD_RECORDS": str(workdir / "locust-records.jsonl"), "PP_QUESTIONS": str(QUESTIONS)}
    return subprocess.Popen(cmd, env=env, stdout=open(workdir / "locust.log", "wb"), stderr=subprocess.STDOUT)


def finish_locust(proc: subprocess.Popen, workdir: Path) -> tuple[list[Record], dict]:
    """Stop locust, and return its recorded responses and its own summary (from --csv)."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    rec_path = workdir / "locust-records.jsonl"
    records = []
    if rec_path.exists():
        with open(rec_path) as fh:
            records = [Record(**json.loads(line)) for line in fh if line.strip()]
    summary = {"exit_code": proc.returncode}
    stats_csv = workdir / "locust_stats.csv"
    if stats_csv.exists():
        import csv

        with open(stats_csv) as fh:
            for row in csv.DictReader(fh):
                if row.get("Name") == "Aggregated":
                    summary.update({"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                                    "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]),
                                    "p99_ms": float(row["99%"]), "rps": float(row["Requests/s"])})
    return records, summary


# ------------------------------------------------------------------------------------------------ validation
def generation_chunks(home: Path, name: str, chunk_ids: set[int],
                      pristine: dict[str, Path] | None = None) -> dict[int, tuple[str, str]] | None:
    """chunk_id -> (doc_id, sha1(text)) for the given ids in generation `name` (from the copy taken before a bit
    flip when there is one), or None when it is not on disk."""
    db_path = (pristine or {}).get(name) or home / "generations" / name / "chunks.db"
    if not db_path.exists():
        return None
    from index.genread import GenerationReader

    reader = GenerationReader.open_file(db_path)
    try:
        return {c.chunk_id: (c.doc_id, text_digest(c.text)) for c in reader.chunks(sorted(chunk_ids))}
    finally:
        reader.close()


def validate(home: Path, records: list[Record], pristine: dict[str, Path] | None = None) -> dict:
    """Errors, and responses that do not come from one complete generation (as published: before any flip)."""
    errors = [r for r in records if r.status != 200 or r.error]
    mismatched = [r for r in records if r.status == 200 and not r.error and r.body_gen != r.header_gen]
    by_gen: dict[str, set[int]] = {}
    for r in records:
        if r.status == 200 and not r.error and r.body_gen:
            by_gen.setdefault(r.body_gen, set()).update(h[0] for h in r.hits)
    tables = {g: generation_chunks(home, g, ids, pristine) for g, ids in by_gen.items()}
    missing_gens = sorted(g for g, t in tables.items() if t is None)
    bad_hits = 0
    bad_examples = []
    for r in records:
        table = tables.get(r.body_gen or "")
        if not table or r.status != 200 or r.error:
            continue
        for cid, doc_id, digest in r.hits:
            if table.get(cid) != (doc_id, digest):
                bad_hits += 1
                if len(bad_examples) < 5:
                    bad_examples.append({"generation": r.body_gen, "chunk_id": cid, "doc_id": doc_id})
    served = {g: sum(1 for r in records if r.body_gen == g) for g in sorted(by_gen)}
    return {
        "requests": len(records),
        "errors": len(errors),
        "error_examples": sorted({r.error for r in errors})[:5],
        "generation_header_mismatches": len(mismatched),
        "hits_checked": sum(len(r.hits) for r in records if r.body_gen in tables and tables[r.body_gen]),
        "hits_not_in_their_generation": bad_hits,
        "bad_hit_examples": bad_examples,
        "generations_served": served,
        "generations_missing_on_disk": missing_gens,
    }


def generations_differ(home: Path, names: list[str]) -> bool | None:
    """Whether consecutive served generations hold different chunks (so the per-generation check can tell them
    apart); None when fewer than two were served."""
    if len(names) < 2:
        return None
    digests = []
    for name in names:
        db_path = home / "generations" / name / "chunks.db"
        if not db_path.exists():
            return None
        from index.genread import GenerationReader

        reader = GenerationReader.open_file(db_path)
        h = hashlib.sha1()
        for c in reader.chunks():
            h.update(f"{c.chunk_id}\0{c.doc_id}\0{c.text}\0".encode())
        reader.close()
        digests.append(h.hexdigest())
    return all(a != b for a, b in zip(digests, digests[1:]))


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    import numpy as np

    a = np.asarray(values, dtype=float)
    return {"n": int(a.size), "p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2),
            "p99": round(float(np.percentile(a, 99)), 2), "mean": round(float(a.mean()), 2),
            "max": round(float(a.max()), 2)}


# ------------------------------------------------------------------------------------------------ reindex
def _reindex_plan(n: int) -> list[dict]:
    """Env overrides for each reindex: alternate the chunk overlap so consecutive generations differ."""
    from kb_settings import Settings

    overlap = Settings.from_env().overlap_tokens
    other = str(max(0, overlap - 8))
    return [{"KB_OVERLAP_TOKENS": other if i % 2 == 0 else str(overlap)} for i in range(n)]


def run_reindexes(home: Path, n: int, start_after: float, gap: float, results: list, stop: threading.Event,
                  plan: list[dict] | None = None) -> None:
    """Run `kb reindex` n times (one after the other) while the load runs; append one dict per run.
    `plan[i]` holds environment overrides for run i (default: _reindex_plan)."""
    if stop.wait(start_after):
        return
    plan = plan or _reindex_plan(n)
    for i in range(n):
        overrides = plan[i % len(plan)]
        before = _current(home)
        t0 = time.monotonic()
        proc = subprocess.run(kb_command("reindex"), env={**os.environ, "KB_HOME": str(home), "HF_HUB_OFFLINE": "1",
                                                           **overrides},
                              capture_output=True, text=True, cwd=str(ROOT), timeout=1800)
        results.append({"run": i + 1, "env": overrides, "exit_code": proc.returncode,
                        "seconds": round(time.monotonic() - t0, 2), "before": before, "after": _current(home),
                        "finished_at": time.monotonic(), "stderr": proc.stderr.strip()[-500:]})
        if i < n - 1 and stop.wait(gap):
            return


def _current(home: Path) -> str | None:
    try:
        return (home / "CURRENT").read_text().strip() or None
    except OSError:
        return None


# ------------------------------------------------------------------------------------------------ bit flips
FLIP_WORDS = (b"opioid", b"naloxone", b"dose")


def flip_live_text(home: Path, workdir: Path) -> dict:
    """Keep a copy of the live generation's chunks.db, then flip one bit in every occurrence of a few common words
    in the file on disk (same length, as bit rot or a bad copy would): a server that read text from disk after
    this would serve words that were never published ("opioid" -> "npioid"), which the validation counts."""
    name = _current(home)
    path = home / "generations" / name / "chunks.db"
    keep = workdir / f"pristine-{name}-chunks.db"
    shutil.copyfile(path, keep)
    data = bytearray(path.read_bytes())
    flips = 0
    for word in FLIP_WORDS:
        start = 0
        while (i := data.find(word, start)) >= 0:
            data[i] ^= 0x01
            flips += 1
            start = i + len(word)
    with open(path, "r+b") as fh:  # in place: same inode, same size, as damage on disk would be
        fh.write(bytes(data))
    return {"generation": name, "bits_flipped": flips, "pristine": str(keep), "at": time.monotonic()}


# ------------------------------------------------------------------------------------------------ driver
def build_corpus_kb(home: Path) -> Path:
    """A KB from corpus/ (first ingest embeds every chunk: a minute or two on a laptop CPU)."""
    from index.kb import KnowledgeBase
    from kb_settings import Settings

    kb = KnowledgeBase(Settings.from_env(home=home))
    report = kb.ingest_paths([ROOT / "corpus"])
    if report.failed:
        raise RuntimeError(f"ingest of corpus/ failed for {report.failed} file(s)")
    return home


def run_load(home: Path, users: int = 20, duration: float = 60.0, reindexes: int = 0, engine: str = "threads",
             workers: int = 1, threads: int | None = None, workdir: Path | None = None,
             questions: list[str] | None = None, tail: float | None = None, max_extra: float = 900.0,
             reindex_plan: list[dict] | None = None, bitflip_at: float | None = None) -> dict:
    """Serve `home`, load it, optionally reindex during the load, validate every response; returns the report.

    The load lasts `duration` seconds, and longer if needed so that every reindex publishes *during* the load and
    the server then serves the last generation for `tail` seconds (default: 10% of the duration, at least 3 s).
    `home` is used as is (callers pass a scratch copy: it is reindexed). With `bitflip_at`, that many seconds into
    the load bits are flipped in the live generation's chunks.db (flip_live_text); responses are still checked
    against the text as published."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="pp-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    questions = questions or load_questions()
    tail = max(3.0, duration * 0.1) if tail is None else tail
    reindex_results: list[dict] = []
    with start_server(home, workers=workers, threads=threads, log_dir=workdir) as server:
        mem_before = server.memory()
        cpu_before = server.cpu()
        stop = threading.Event()
        reindex_stop = threading.Event()
        t_start = time.monotonic()
        reindexer = None
        if reindexes:
            # first publication after 20% of the run; the next one starts 20% after the previous one ended
            reindexer = threading.Thread(target=run_reindexes, daemon=True,
                                         args=(home, reindexes, duration * 0.2, duration * 0.2, reindex_results,
                                               reindex_stop, reindex_plan))
            reindexer.start()
        flipped: dict = {}
        flipper = None
        if bitflip_at is not None:
            flipper = threading.Timer(bitflip_at, lambda: flipped.update(flip_live_text(home, workdir)))
            flipper.daemon = True
            flipper.start()
        holder: dict = {}
        loader = locust_proc = None
        if engine == "locust":
            locust_proc = start_locust(server.base, users, workdir)
        elif engine == "threads":
            loader = threading.Thread(target=lambda: holder.setdefault(
                "records", run_threads(server.base, questions, users, stop)), daemon=True)
            loader.start()
        else:
            raise ValueError(f"unknown engine {engine!r}")
        while True:
            now = time.monotonic()
            reindex_done = reindexer is None or not reindexer.is_alive()
            last_pub = max((r["finished_at"] for r in reindex_results), default=t_start)
            if now - t_start >= duration and reindex_done and now - last_pub >= tail:
                break
            if now - t_start >= duration + max_extra:
                break
            if locust_proc is not None and locust_proc.poll() is not None:
                break
            time.sleep(0.2)
        load_seconds = time.monotonic() - t_start
        stop.set()
        reindex_stop.set()
        locust_summary = None
        if locust_proc is not None:
            records, locust_summary = finish_locust(locust_proc, workdir)
        else:
            loader.join()
            records = holder.get("records", [])
        if reindexer is not None:
            reindexer.join(5)
        mem_after = server.memory()
        shares = cpu_shares(cpu_before, server.cpu())
        server_alive = server.proc.poll() is None
    for r in reindex_results:
        r["finished_during_load"] = r.pop("finished_at") - t_start <= load_seconds
    if flipper is not None:
        flipper.cancel()
    pristine = {flipped["generation"]: Path(flipped["pristine"])} if flipped else None
    check = validate(home, records, pristine)
    if flipped:
        check["bitflip"] = {"generation": flipped["generation"], "bits_flipped": flipped["bits_flipped"],
                            "at_s": round(flipped["at"] - t_start, 2),
                            "responses_after": sum(1 for r in records if r.t >= flipped["at"] - t_start)
                            if records and hasattr(records[0], "t") else None}
    check["generations_differ"] = generations_differ(home, list(check["generations_served"]))
    ok_lat = [r.latency_ms for r in records if r.status == 200 and not r.error]
    report = {
        "engine": engine, "users": users, "duration_s": duration, "workers": workers,
        "load_seconds": round(load_seconds, 2),
        "throughput_rps": round(len(records) / load_seconds, 2) if load_seconds else None,
        "latency_ms": percentiles(ok_lat),
        **check,
        "reindexes": reindex_results,
        "server_memory_before": mem_before, "server_memory_after": mem_after, "server_alive": server_alive,
        "worker_cpu_shares": shares,
        "locust": locust_summary, "workdir": str(workdir),
    }
    report["ok"] = bool(
        records and check["errors"] == 0 and check["generation_header_mismatches"] == 0
        and check["hits_not_in_their_generation"] == 0 and not check["generations_missing_on_disk"]
        and server_alive and len(reindex_results) == reindexes
        and all(r["exit_code"] == 0 and r["after"] != r["before"] and r["finished_during_load"]
                for r in reindex_results)
        and (not reindexes or len(check["generations_served"]) >= 2)
        and (bitflip_at is None or bool(flipped)))
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, help="KB to load-test (copied to a scratch dir first); default: corpus/")
    ap.add_argument("--scratch", type=Path, help="scratch directory (default: a new temp dir)")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    ap.add_argument("--reindex", type=int, default=0, help="`kb reindex` runs during the load (e.g. 2)")
    ap.add_argument("--engine", choices=("threads", "locust"), default="threads")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, help="threads per worker (default KB_THREADS)")
    ap.add_argument("--bitflip", type=float, metavar="SECONDS",
                    help="flip bits in the live generation's chunks.db this many seconds into the load")
    ap.add_argument("--json", action="store_true", help="print the whole report as JSON")
    args = ap.parse_args(argv)
    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="pp-load-"))
    home = scratch / "kb"
    if home.exists():
        shutil.rmtree(home)
    if args.home:
        shutil.copytree(args.home, home, ignore=shutil.ignore_patterns("write.lock"))
    else:
        print(f"building a KB from corpus/ in {home} ...", file=sys.stderr)
        build_corpus_kb(home)
    report = run_load(home, args.users, args.duration, args.reindex, args.engine, args.workers, args.threads,
                      workdir=scratch, bitflip_at=args.bitflip)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        lat = report["latency_ms"]
        print(f"{report['engine']}: {report['users']} users x {report['load_seconds']:.0f}s, {report['requests']} requests "
              f"({report['throughput_rps']} req/s), errors {report['errors']}")
        print(f"latency ms: p50 {lat.get('p50')}  p95 {lat.get('p95')}  p99 {lat.get('p99')}  max {lat.get('max')}")
        print(f"generations served: {report['generations_served']}; header mismatches "
              f"{report['generation_header_mismatches']}; hits not in their generation "
              f"{report['hits_not_in_their_generation']} of {report['hits_checked']}")
        if report.get("bitflip"):
            b = report["bitflip"]
            print(f"bit flip: {b['bits_flipped']} bits in {b['generation']}/chunks.db at {b['at_s']}s; "
                  "every hit still checked against the text as published")
        for r in report["reindexes"]:
            print(f"reindex {r['run']}: exit {r['exit_code']}, {r['before']} -> {r['after']} in {r['seconds']}s"
                  f"{'' if r['finished_during_load'] else ' (finished after the load ended)'}")
        mem = report["server_memory_after"]
        print("server RSS MiB: master " + str(mem["master"]["rss_mb"]) + ", workers "
              + ", ".join(str(w["rss_mb"]) for w in mem["workers"]))
        print("OK" if report["ok"] else "FAILED")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
