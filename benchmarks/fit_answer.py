"""Refit the answer stage's scope decision on the development split and print the constants for index/answer.py.

Asks every dev question of corpus/eval/answers.jsonl and out_of_scope.jsonl through the product's own search
(spelling, shorthand, both legs, the answer stage), records the raw signals the decision uses
(AnswerDecision.signals), and fits:

- SCOPE: a logistic regression (scikit-learn, C = 1, balanced classes) of "in scope" (answerable rows and
  no_direct_answer rows) against "out of scope" rows over index.answer.SCOPE_SIGNALS;
- SCOPE_MIN: the highest probability threshold that flags at most --max-flagged of the dev answerable questions
  (the middle of the widest gap at that recall, so a small shift of a signal does not flip a question);
- ANSWER_MIN: 0.05 below the lowest best-unit score of a dev answerable question;
- CONFIDENCE: a logistic regression of "the first unit answers" (answer@1) on the best unit score.

With --part units it fits the unit-scoring WEIGHTS instead, listwise: for each dev question, a softmax over its
candidate answer units (score = features . weights / temperature, the cosine's weight fixed at 1 so the weights read
as "worth this much cosine"), maximising the probability of the units that match a gold fact, with an L2 penalty
on the other weights. The penalty and temperature are chosen by repeated 5-fold cross-validation of answer@1 over
questions (a pointwise fit learns "is this unit a hit" across questions; listwise learns "which unit of this
question's candidates is the answer", which is the decision the Answer box makes).

Held-back rows are never read. scikit-learn is an evaluation tool here, not a product dependency (`eval` extra).

    python benchmarks/fit_answer.py --part scope|units --home /tmp/fitkb [--corpus corpus] [--json]

The KB under --home is built from the corpus on the first run and reused while the corpus is unchanged. Rerun
after changing unit segmentation or the unit-scoring WEIGHTS: best_score and the unit cosines move with them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPLIT = "dev"   # the only split this script reads
ANSWER_MARGIN = 0.05  # ANSWER_MIN sits this far below the lowest best-unit score of a dev answerable question


def collect(home: Path, corpus: Path) -> list[dict]:
    """Per dev question: what it is (answered / no_direct_answer / out_of_scope), its signals, answer@1."""
    os.environ["KB_HOME"] = str(home)
    import index.answer as answer
    from index.answer_eval import _rows, matches

    # never abstain while collecting: every question then yields its best unit (for answer@1), and the signals
    # do not depend on the constants being refitted
    answer.SCOPE_MIN, answer.ANSWER_MIN = 0.0, float("-inf")
    from index.kb import KnowledgeBase
    from kb_settings import Settings

    kb = KnowledgeBase(Settings.from_env(home=home))
    report = kb.ingest_paths([corpus], screen=False)
    if report.failed:
        raise SystemExit("the corpus failed to ingest")
    questions = {json.loads(ln)["_id"]: json.loads(ln)["text"]
                 for ln in (corpus / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()}
    rows = []
    for r in _rows(corpus / "eval" / "answers.jsonl", SPLIT):
        res = kb.search(questions[r["_id"]])
        facts = [f["text"] for f in r["facts"]]
        at1 = bool(res.answer) and any(matches(res.answer[0].text, f) for f in facts)
        rows.append({"id": r["_id"], "expected": "answered", "signals": res.signals, "at1": at1})
    for r in _rows(corpus / "eval" / "out_of_scope.jsonl", SPLIT):
        res = kb.search(r["text"])
        rows.append({"id": r["_id"], "expected": r["expected"], "signals": res.signals, "at1": False})
    return rows


def collect_units(home: Path, corpus: Path) -> list[dict]:
    """Per dev answerable question: the candidate units' feature rows and which of them match a gold fact."""
    os.environ["KB_HOME"] = str(home)
    import numpy as np

    import index.answer as answer
    from index.answer_eval import _rows, matches

    tables = []
    real = answer.unit_table

    def capture(*args, **kwargs):  # the product's own table, as the search builds it
        table = real(*args, **kwargs)
        tables.append(table)
        return table

    answer.unit_table = capture
    from index.kb import KnowledgeBase
    from kb_settings import Settings

    kb = KnowledgeBase(Settings.from_env(home=home))
    if kb.ingest_paths([corpus], screen=False).failed:
        raise SystemExit("the corpus failed to ingest")
    questions = {json.loads(ln)["_id"]: json.loads(ln)["text"]
                 for ln in (corpus / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()}
    out = []
    for r in _rows(corpus / "eval" / "answers.jsonl", SPLIT):
        tables.clear()
        kb.search(questions[r["_id"]])
        t = tables[-1]
        facts = [f["text"] for f in r["facts"]]
        keep = answer.eligible(t)  # the units the Answer box may quote
        x = np.asarray(t.features, dtype="float64")[keep]
        y = np.array([any(matches(text, f) for f in facts) for text, k in zip(t.texts, keep) if k], dtype=bool)
        out.append({"id": r["_id"], "x": x, "y": y})
    answer.unit_table = real
    return out


def _answer_at(weights, questions: list[dict]) -> tuple[float, float]:
    """answer@1 and answer@3 of a weight vector over unit tables (ties broken as index/answer.py does)."""
    import numpy as np

    h1 = h3 = 0
    for q in questions:
        if not len(q["y"]):
            continue
        order = np.argsort(-(q["x"] @ weights), kind="stable")
        h1 += bool(q["y"][order[0]])
        h3 += bool(q["y"][order[:3]].any())
    return h1 / len(questions), h3 / len(questions)


def fit_listwise(questions: list[dict], penalty: float, temperature: float) -> "np.ndarray":
    """Weights (cosine fixed at 1) maximising the softmax probability of each question's gold units."""
    import numpy as np
    from scipy.optimize import minimize

    from index.answer import FEATURES, WEIGHTS

    usable = [q for q in questions if q["y"].any()]

    def loss(w):
        full = np.concatenate([[1.0], w])
        total, grad = 0.0, np.zeros(len(full))
        for q in usable:
            s = q["x"] @ full / temperature
            p = np.exp(s - s.max())
            p /= p.sum()
            gold = p[q["y"]].sum()
            total -= np.log(gold)
            grad -= ((p[q["y"]][:, None] * q["x"][q["y"]]).sum(0) / gold - (p[:, None] * q["x"]).sum(0)) / temperature
        n = len(usable)
        return total / n + penalty * float(w @ w), grad[1:] / n + 2 * penalty * w

    start = np.array([WEIGHTS[f] for f in FEATURES[1:]], dtype="float64")
    return np.concatenate([[1.0], minimize(loss, start, jac=True, method="L-BFGS-B").x])


def fit_units(questions: list[dict], penalties=(0.01, 0.03, 0.1, 0.3), temperatures=(0.05, 0.1, 0.3),
              repeats: int = 5) -> dict:
    """Choose the penalty and temperature by repeated 5-fold cross-validation over questions, then fit on all."""
    import numpy as np
    from sklearn.model_selection import KFold

    from index.answer import FEATURES, WEIGHTS

    grid = []
    for penalty in penalties:
        for temperature in temperatures:
            hits = np.zeros(2)
            for seed in range(repeats):
                for train, test in KFold(5, shuffle=True, random_state=seed).split(questions):
                    w = fit_listwise([questions[i] for i in train], penalty, temperature)
                    hits += np.array(_answer_at(w, [questions[i] for i in test])) * len(test)
            at1, at3 = hits / (repeats * len(questions))
            grid.append({"penalty": penalty, "temperature": temperature, "cv_answer@1": round(at1, 4),
                         "cv_answer@3": round(at3, 4)})
    best = max(grid, key=lambda g: (g["cv_answer@1"], g["cv_answer@3"], g["penalty"]))
    w = fit_listwise(questions, best["penalty"], best["temperature"])
    weights = {f: round(float(v), 2) for f, v in zip(FEATURES, w)}
    rounded = np.array([weights[f] for f in FEATURES])
    current = np.array([WEIGHTS[f] for f in FEATURES])
    at1, at3 = _answer_at(rounded, questions)
    c1, c3 = _answer_at(current, questions)
    return {"WEIGHTS": weights, "chosen": best, "grid": grid,
            "dev": {"answer@1": round(at1, 4), "answer@3": round(at3, 4)},
            "dev_current_weights": {"answer@1": round(c1, 4), "answer@3": round(c3, 4)},
            "questions": len(questions)}


def _threshold(p, answerable, max_flagged: float) -> float:
    """Flag below the (allowed + 1)-th lowest answerable probability, in the middle of the gap under it."""
    import numpy as np

    allowed = int(np.floor(max_flagged * answerable.sum() + 1e-9))
    upper = float(np.sort(p[answerable])[allowed])
    below = p[p < upper]
    return ((float(below.max()) if len(below) else 0.0) + upper) / 2


def cross_validate(x, inside, answerable, strata, max_flagged: float, c: float, repeats: int = 10) -> dict:
    """Repeated 5-fold cross-validation on dev of the whole recipe (fit, then threshold on the training folds)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    flagged_ans = n_ans = flagged_oos = n_oos = 0
    for seed in range(repeats):
        for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(x, strata):
            m = LogisticRegression(C=c, class_weight="balanced", max_iter=10000).fit(x[train], inside[train])
            t = _threshold(m.predict_proba(x[train])[:, 1], answerable[train], max_flagged)
            p = m.predict_proba(x[test])[:, 1]
            flagged_ans += int((p[answerable[test]] < t).sum())
            n_ans += int(answerable[test].sum())
            flagged_oos += int((p[~inside[test]] < t).sum())
            n_oos += int((~inside[test]).sum())
    return {"answerable_flagged": round(flagged_ans / n_ans, 4), "out_of_scope_recall": round(flagged_oos / n_oos, 4)}


# Every query-level signal AnswerDecision.signals records that could enter the scope decision; --compare
# cross-validates each subset of them, which is how SCOPE's signals were chosen (the smallest best subset).
CANDIDATE_SIGNALS = ("dense_top", "best_cosine", "coverage", "foreign", "top_specific")


def compare_subsets(rows: list[dict], max_flagged: float, c: float = 1.0, repeats: int = 4) -> list[dict]:
    """Cross-validated flagged-answerable and out-of-scope recall for every subset of CANDIDATE_SIGNALS, best first."""
    import itertools

    import numpy as np

    inside = np.array([r["expected"] != "out_of_scope" for r in rows])
    answerable = np.array([r["expected"] == "answered" for r in rows])
    strata = np.array([("answered", "out_of_scope", "no_direct_answer").index(r["expected"]) for r in rows])
    out = []
    for k in range(1, len(CANDIDATE_SIGNALS) + 1):
        for subset in itertools.combinations(CANDIDATE_SIGNALS, k):
            x = np.array([[r["signals"][s] for s in subset] for r in rows], dtype="float64")
            cv = cross_validate(x, inside, answerable, strata, max_flagged, c, repeats)
            out.append({"signals": list(subset), **cv,
                        "errors": round(cv["answerable_flagged"] + 1 - cv["out_of_scope_recall"], 4)})
    return sorted(out, key=lambda r: (r["errors"], len(r["signals"])))


def fit_scope(rows: list[dict], max_flagged: float, c: float = 1.0) -> dict:
    """SCOPE weights, SCOPE_MIN, ANSWER_MIN and CONFIDENCE from the dev rows."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from index.answer import SCOPE_SIGNALS

    x = np.array([[r["signals"][s] for s in SCOPE_SIGNALS] for r in rows], dtype="float64")
    inside = np.array([r["expected"] != "out_of_scope" for r in rows])
    answerable = np.array([r["expected"] == "answered" for r in rows])
    strata = np.array([("answered", "out_of_scope", "no_direct_answer").index(r["expected"]) for r in rows])
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=10000).fit(x, inside)
    weights = {s: round(float(w), 2) for s, w in zip(SCOPE_SIGNALS, model.coef_[0])}
    weights["bias"] = round(float(model.intercept_[0]), 2)
    # score with the rounded constants, exactly as index/answer.py will
    p = 1 / (1 + np.exp(-(x @ np.array([weights[s] for s in SCOPE_SIGNALS]) + weights["bias"])))
    scope_min = round(_threshold(p, answerable, max_flagged), 3)

    best = np.array([r["signals"]["best_score"] for r in rows])
    answer_min = round(float(best[answerable].min()) - ANSWER_MARGIN, 2)

    at1 = np.array([r["at1"] for r in rows])
    conf = LogisticRegression(C=1.0, max_iter=10000).fit(best[answerable].reshape(-1, 1), at1[answerable])
    confidence = {"slope": round(float(conf.coef_[0][0]), 2), "intercept": round(float(conf.intercept_[0]), 2)}

    oos = np.array([r["expected"] == "out_of_scope" for r in rows])
    nda = np.array([r["expected"] == "no_direct_answer" for r in rows])
    flagged = p < scope_min
    abstained = flagged | (best < answer_min)
    figures = {
        "answerable": int(answerable.sum()), "out_of_scope": int(oos.sum()), "no_direct_answer": int(nda.sum()),
        "out_of_scope_recall": round(float(flagged[oos].mean()), 4) if oos.any() else None,
        "wrongly_abstained": round(float(abstained[answerable].mean()), 4),
        "no_direct_answer_abstained": round(float(abstained[nda].mean()), 4) if nda.any() else None,
    }
    return {"SCOPE": weights, "SCOPE_MIN": scope_min, "ANSWER_MIN": answer_min, "CONFIDENCE": confidence,
            "dev": figures, "dev_cross_validated": cross_validate(x, inside, answerable, strata, max_flagged, c)}


def _print_table(name: str, table: dict) -> None:
    """A dict of constants as the Python literal to paste into index/answer.py."""
    print(f"{name} = {{")
    for k, v in table.items():
        print(f'    "{k}": {v},')
    print("}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("scope", "units"), default="scope",
                    help="what to refit: the scope decision, or the unit-scoring WEIGHTS")
    ap.add_argument("--home", type=Path, required=True, help="KB home to build or reuse for the corpus")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="the corpus with eval/ answer sets")
    ap.add_argument("--max-flagged", type=float, default=0.02,
                    help="largest share of dev answerable questions the scope threshold may flag")
    ap.add_argument("--c", type=float, default=1.0, help="inverse L2 regularisation strength of the scope fit")
    ap.add_argument("--compare", action="store_true",
                    help="scope: also cross-validate every subset of the candidate signals (how SCOPE's were chosen)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of Python constants")
    args = ap.parse_args(argv)
    if args.part == "units":
        out = fit_units(collect_units(args.home.expanduser().resolve(), args.corpus.resolve()))
        if args.json:
            print(json.dumps(out, indent=2))
            return 0
        print("# fitted listwise on the dev split by benchmarks/fit_answer.py --part units; paste into index/answer.py")
        _print_table("WEIGHTS", out["WEIGHTS"])
        print(f"# chosen by 5 x 5-fold cross-validation: {json.dumps(out['chosen'])}")
        print(f"# dev with these weights: {json.dumps(out['dev'])}; with the current ones: "
              f"{json.dumps(out['dev_current_weights'])}")
        return 0
    rows = collect(args.home.expanduser().resolve(), args.corpus.resolve())
    out = fit_scope(rows, args.max_flagged, args.c)
    if args.compare:
        out["subsets"] = compare_subsets(rows, args.max_flagged, args.c)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print("# fitted on the dev split by benchmarks/fit_answer.py --part scope; paste into index/answer.py")
    _print_table("SCOPE", out["SCOPE"])
    print(f"SCOPE_MIN = {out['SCOPE_MIN']}")
    print(f"ANSWER_MIN = {out['ANSWER_MIN']}")
    print(f"CONFIDENCE = {json.dumps(out['CONFIDENCE'])}")
    print(f"# dev with these constants: {json.dumps(out['dev'])}")
    print(f"# dev, 10 x 5-fold cross-validated (fit and threshold on 4/5): {json.dumps(out['dev_cross_validated'])}")
    for row in out.get("subsets", [])[:8]:
        print(f"# subset {json.dumps(row)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
