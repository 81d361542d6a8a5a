"""Answer quality on corpus/eval/answers.jsonl and out_of_scope.jsonl: is the first answer unit a gold fact, and
does the engine abstain exactly when it should?"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .kb import KnowledgeBase

SPLITS = ("dev", "held-back", "all")
_MARKUP = re.compile(r"[|*#>]+")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
SUBSTANTIAL = 0.8       # share of a fact's words that a unit must contain, in order, to "substantially match" it
MIN_FUZZY_WORDS = 4     # shorter facts must be contained verbatim


def normalise(text: str) -> str:
    """Case, whitespace and markup characters do not count: a fact survives any reader's formatting."""
    text = _MARKUP.sub(" ", text)
    text = re.sub(r"^\s*[-•]\s+", "", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


def _in_order(needle: list[str], hay: list[str]) -> int:
    """How many of needle's words appear in hay in the same order (longest common subsequence)."""
    prev = [0] * (len(hay) + 1)
    for a in needle:
        cur = [0] * (len(hay) + 1)
        for j, b in enumerate(hay, 1):
            cur[j] = prev[j - 1] + 1 if a == b else max(prev[j], cur[j - 1])
        prev = cur
    return prev[-1]


def matches(unit_text: str, fact: str) -> bool:
    """The answer-metric rule: the unit contains the fact, or (for a fact of 4+ words) 80% of its words in order."""
    u, f = normalise(unit_text), normalise(fact)
    if not f:
        return False
    if f in u:
        return True
    fw, uw = _TOKEN.findall(f), _TOKEN.findall(u)
    if len(fw) < MIN_FUZZY_WORDS:
        return False
    return _in_order(fw, uw) >= SUBSTANTIAL * len(fw)


def _rows(path: Path, split: str) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r.get("split") == split]


def run(kb: KnowledgeBase, corpus_dir: Path, split: str = "dev", k: int = 10, progress=None,
        details: bool = False) -> dict:
    """Ingest (or reuse) the corpus, ask every question and score the answers and the abstentions."""
    if split not in SPLITS:
        raise ValueError(f"the answer sets have splits {', '.join(SPLITS)}, not {split!r}")
    report = kb.ingest_paths([corpus_dir], progress=progress, screen=False)
    if report.failed:
        raise RuntimeError("evaluation corpus failed to ingest")
    questions = {json.loads(ln)["_id"]: json.loads(ln)["text"]
                 for ln in (corpus_dir / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
                 if ln.strip()}
    answerable = _rows(corpus_dir / "eval" / "answers.jsonl", split)
    others = _rows(corpus_dir / "eval" / "out_of_scope.jsonl", split)
    kb.query_encoder.encode_query("warm up")
    rows = []
    total = len(answerable) + len(others)
    for i, r in enumerate(answerable):
        res = kb.search(questions[r["_id"]], k=k)
        facts = [f["text"] for f in r["facts"]]
        hit_at = [any(matches(a.text, f) for f in facts) for a in res.answer]
        rows.append({"id": r["_id"], "expected": "answered", "status": res.answer_status,
                     "confidence": res.confidence, "at1": bool(hit_at[:1] and hit_at[0]), "at3": any(hit_at[:3]),
                     "empty": not res.answer, "signals": res.signals,
                     "answer": [a.text for a in res.answer[:3]]})
        if progress:
            progress("questions", i + 1, total)
    for i, r in enumerate(others):
        res = kb.search(r["text"], k=k)
        rows.append({"id": r["_id"], "expected": r["expected"], "kind": r.get("kind", ""),
                     "status": res.answer_status, "confidence": res.confidence, "signals": res.signals,
                     "answer": [a.text for a in res.answer[:3]]})
        if progress:
            progress("questions", len(answerable) + i + 1, total)
    out = score(rows)
    out["split"] = split
    if details:
        out["rows"] = rows
    return out


def score(rows: list[dict]) -> dict:
    """The figures the issue names, from per-question outcomes."""
    ans = [r for r in rows if r["expected"] == "answered"]
    oos = [r for r in rows if r["expected"] == "out_of_scope"]
    nda = [r for r in rows if r["expected"] == "no_direct_answer"]
    said_nda = [r for r in rows if r["status"] == "no_direct_answer"]

    def share(part, whole):
        return round(len(part) / len(whole), 4) if whole else None

    return {
        "answerable": len(ans), "out_of_scope": len(oos), "no_direct_answer": len(nda),
        "answer@1": share([r for r in ans if r["at1"]], ans),
        "answer@3": share([r for r in ans if r["at3"]], ans),
        "empty_answers": share([r for r in ans if r["empty"]], ans),
        "wrongly_abstained": share([r for r in ans if r["status"] != "answered"], ans),
        "out_of_scope_recall": share([r for r in oos if r["status"] == "out_of_scope"], oos),
        "no_direct_answer_precision": share([r for r in said_nda if r["expected"] == "no_direct_answer"], said_nda),
        "no_direct_answer_abstained": share([r for r in nda if r["status"] != "answered"], nda),
    }
