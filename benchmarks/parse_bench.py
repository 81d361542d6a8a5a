"""Parse time against input size for every text reader, on text without blank lines (the worst case for
paragraph joining). Linear parsing shows as a time ratio near 2 each time the size doubles.

Usage: .venv/bin/python benchmarks/parse_bench.py [--sizes 1,2,4,8] [--json]   (sizes in MB)
"""
from __future__ import annotations

import argparse
import html
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LINE = "Keep the daily dose <90 MME unless there is >30% improvement in function and pain, reviewed often"


def make(kind: str, size: int) -> bytes:
    """About `size` bytes of one long paragraph (no blank line anywhere) in the given format."""
    n = max(1, size // (len(LINE) + 1))
    lines = [f"{LINE} {i}." for i in range(n)]
    if kind == "html":
        return ("<html><body><p>" + "\n".join(html.escape(x) for x in lines) + "</p></body></html>").encode()
    if kind == "jsonl":
        return (json.dumps({"_id": "big", "title": "Big", "text": "\n".join(lines)}) + "\n").encode()
    return "\n".join(lines).encode()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1,2,4,8", help="input sizes in MB, comma-separated")
    ap.add_argument("--kinds", default="txt,md,html,jsonl")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    from ingest.readers import parse_file

    sizes = [float(x) for x in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds.split(","):
            row = {"reader": kind, "seconds": {}}
            for mb in sizes:
                path = Path(tmp) / f"big.{kind}"
                path.write_bytes(make(kind, int(mb * 1024 * 1024)))
                t0 = time.perf_counter()
                parse_file(path)
                row["seconds"][mb] = round(time.perf_counter() - t0, 3)
            secs = list(row["seconds"].values())
            row["doubling_ratio"] = round(secs[-1] / secs[-2], 2) if len(secs) > 1 and secs[-2] > 0 else None
            results.append(row)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print("reader | " + " | ".join(f"{mb:g} MB" for mb in sizes) + " | last doubling ratio")
        for r in results:
            print(f"{r['reader']} | " + " | ".join(f"{s:.2f} s" for s in r["seconds"].values())
                  + f" | {r['doubling_ratio']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
