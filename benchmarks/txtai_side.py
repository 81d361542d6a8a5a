"""txtai's half of benchmarks/txtai_compare.py, run by the txtai venv's python (never by the product's).

It imports only txtai, the standard library and numpy (torch only to set its thread count), so it runs in the
separate environment README.md describes. Input: a JSON job file (corpus path, model path, thread counts, k).
It builds the index, writes one JSON line (build time, configuration, versions), then answers queries read from
stdin one JSON line at a time with their latency and ranked document ids, so the caller can interleave them with
its own; scoring is left to the caller, so both products are scored by the same code.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time


def read_documents(corpus_path: str) -> list[tuple[str, str]]:
    """(id, title + text) for every document of a BEIR corpus.jsonl, the text txtai indexes."""
    docs = []
    with open(corpus_path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                title, text = (row.get("title") or "").strip(), (row.get("text") or "").strip()
                docs.append((str(row["_id"]), f"{title}\n{text}" if title else text))
    return docs


def versions() -> dict[str, str]:
    """The versions of what this side ran, for the results table."""
    from importlib.metadata import version

    out = {"python": sys.version.split()[0]}
    for name in ("txtai", "torch", "transformers", "sentence-transformers", "faiss-cpu", "numpy"):
        try:
            out[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
            out[name] = "not installed"
    return out


def main(argv: list[str] | None = None) -> int:
    """Build txtai's hybrid index over the corpus, say so on stdout, then answer queries one line at a time."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("job", help="JSON job file written by benchmarks/txtai_compare.py")
    args = parser.parse_args(argv)
    with open(args.job, encoding="utf-8") as fh:
        job = json.load(fh)

    import torch  # imported before the clock starts, as the product's side imports its libraries first
    import transformers  # noqa: F401
    from txtai import Embeddings

    docs = read_documents(job["corpus"])
    default_threads = torch.get_num_threads()  # what txtai runs with when nobody sets it
    torch.set_num_threads(int(job["build_threads"]))
    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    # maxlength=True: truncate at the model's own max_seq_length (sentence_bert_config.json), as
    # sentence-transformers does; txtai's default is the tokenizer's limit (512 for MiniLM)
    options = {"maxlength": True} if job.get("maxlength", "model") == "model" else {}
    embeddings = Embeddings(path=job["model"], content=True, hybrid=True, **options)
    embeddings.index((doc_id, text, None) for doc_id, text in docs)
    build_s = time.perf_counter() - t0
    torch.set_num_threads(int(job.get("query_threads") or default_threads))
    config = {key: v for key, v in embeddings.config.items()
              if key in ("path", "method", "scoring", "dense", "hybrid", "backend", "content", "maxlength")}
    _say({"build_s": build_s, "documents": len(docs), "load_average": [load_start, os.getloadavg()[0]],
          "threads": {"build": int(job["build_threads"]), "query": torch.get_num_threads()},
          "config": config, "versions": versions()})

    # the protocol: one JSON line {"text": ...} in, one {"latency_s", "ids"} out; the search alone is timed
    k = int(job["k"])
    for line in sys.stdin:
        if not line.strip():
            continue
        text = json.loads(line)["text"]
        t0 = time.perf_counter()
        hits = embeddings.search(text, k)
        latency = time.perf_counter() - t0
        _say({"latency_s": latency, "ids": [str(h["id"]) for h in hits]})
    return 0


def _say(obj: dict) -> None:
    """One JSON line to the caller, flushed at once."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
