"""Locust users for `kb serve`: each asks /api/search with a question from corpus/eval/questions.jsonl, no think time.

Driven by benchmarks/load.py (`--engine locust`), or by hand:

    locust -f benchmarks/locustfile.py --headless -u 20 -r 20 -t 60s --host http://127.0.0.1:5000

A response fails (and counts as an error) unless it is 200, JSON, and its body "generation" equals its
X-KB-Generation header. With PP_LOAD_RECORDS=FILE every response is also appended to FILE as one JSON line
(the format of benchmarks/load.py's Record) so the driver can check every hit against its generation's chunks.db.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import time
from pathlib import Path

from locust import HttpUser, events, task

QUESTIONS_PATH = Path(os.environ.get("PP_QUESTIONS", Path(__file__).resolve().parent.parent / "corpus" / "eval" /
                                     "questions.jsonl"))
QUESTIONS = [json.loads(line)["text"] for line in QUESTIONS_PATH.read_text(encoding="utf-8").splitlines()
             if line.strip()]
RECORDS = os.environ.get("PP_LOAD_RECORDS")
_out = open(RECORDS, "a", encoding="utf-8", buffering=1) if RECORDS else None
_t0 = time.perf_counter()


@events.quitting.add_listener
def _close(environment, **_kw):
    if _out is not None:
        _out.flush()


def _record(latency_ms: float, status: int, error: str, header_gen, body_gen, hits) -> None:
    if _out is None:
        return
    _out.write(json.dumps({"t": time.perf_counter() - _t0, "latency_ms": latency_ms, "status": status,
                           "error": error, "header_gen": header_gen, "body_gen": body_gen, "hits": hits}) + "\n")


class Physician(HttpUser):
    """A closed-loop user: the next question as soon as the previous answer arrives."""

    def wait_time(self):
        return 0

    @task
    def search(self) -> None:
        q = random.choice(QUESTIONS)
        t0 = time.perf_counter()
        with self.client.get("/api/search", params={"q": q, "k": 10}, name="/api/search",
                             catch_response=True, timeout=120) as resp:
            ms = (time.perf_counter() - t0) * 1000
            header_gen = resp.headers.get("X-KB-Generation") if resp.headers else None
            if resp.status_code != 200:
                msg = f"HTTP {resp.status_code}: {(resp.text or '')[:200]}"
                resp.failure(msg)
                _record(ms, resp.status_code or 0, msg, header_gen, None, [])
                return
            try:
                data = resp.json()
                hits = [[h["chunk_id"], h["doc_id"], hashlib.sha1(h["text"].encode("utf-8")).hexdigest()]
                        for h in data.get("hits", [])]
                body_gen = data.get("generation")
            except (ValueError, KeyError, TypeError) as exc:
                msg = f"bad JSON body ({exc.__class__.__name__})"
                resp.failure(msg)
                _record(ms, 200, msg, header_gen, None, [])
                return
            if body_gen != header_gen:
                resp.failure(f"body generation {body_gen} != header {header_gen}")
            else:
                resp.success()
            _record(ms, 200, "", header_gen, body_gen, hits)
