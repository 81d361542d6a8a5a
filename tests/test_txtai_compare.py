"""benchmarks/txtai_compare.py: the arithmetic and table behind the txtai comparison, and both sides' plumbing.

The figures themselves are measured by the script and recorded in BENCHMARKS.md; nothing here is timed. The one
end-to-end test needs the separate txtai venv (README: `PP_TXTAI_PYTHON`) and skips without it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import txtai_compare as tc
from benchmarks import txtai_side

ROOT = Path(__file__).resolve().parent.parent


def _side(name, build_s, latencies_ms, ndcg):
    return tc.Side(name, build_s, [ms / 1000 for ms in latencies_ms], ndcg, "3 documents")


def test_percentile_is_numpys_linear_percentile():
    values = [0.013, 0.002, 0.040, 0.007, 0.009, 0.011, 0.250]
    for q in (0, 50, 95, 100):
        assert tc.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    with pytest.raises(ValueError):
        tc.percentile([], 50)


def test_ratios_say_how_many_times_faster_and_which_targets_hold():
    ours = _side("ours", 100.0, [10, 10, 12, 30], 0.37)
    theirs = _side("txtai", 250.0, [25, 30, 35, 60], 0.33)
    r = tc.ratios(ours, theirs)
    assert r["build_x"] == 2.5 and r["build_met"]
    assert r["p50_x"] == pytest.approx(32.5 / 11, abs=0.01) and not r["p50_met"]  # 2.95 × is short of 3 ×
    assert r["ndcg_delta"] == pytest.approx(0.04) and r["ndcg_met"]
    slower = tc.ratios(theirs, ours)
    assert slower["build_x"] == 0.4 and not slower["build_met"] and not slower["ndcg_met"]


def test_equal_ndcg_is_not_higher():
    r = tc.ratios(_side("ours", 1, [1], 0.35), _side("txtai", 1, [1], 0.35))
    assert not r["ndcg_met"] and r["ndcg_delta"] == 0


def test_table_has_every_figure_and_marks_the_targets():
    table = tc.markdown_table(_side("ours", 50.0, [5, 6, 7], 0.37), _side("txtai", 200.0, [30, 31, 90], 0.32))
    lines = table.splitlines()
    assert lines[0].startswith("| figure | Practice Partner | txtai")
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    build = next(line for line in lines if line.startswith("| index build"))
    assert "50.0 s" in build and "200.0 s" in build and "4.00 × faster" in build and "✔" in build
    p50 = next(line for line in lines if line.startswith("| hybrid query p50"))
    assert "6.0 ms" in p50 and "31.0 ms" in p50 and "✔" in p50
    ndcg = next(line for line in lines if line.startswith("| nDCG@10"))
    assert "+0.0500" in ndcg and "✔" in ndcg
    worse = tc.markdown_table(_side("ours", 50.0, [5], 0.30), _side("txtai", 60.0, [6], 0.32))
    assert worse.count("✘") == 3 and "-0.0200" in worse


def test_command_line_defaults_and_limits():
    args = tc.parse_args(["--data", "/nowhere", "--txtai-python", "/venv/bin/python"])
    assert (args.split, args.k, args.build_threads, args.query_threads, args.txtai_maxlength) == \
        ("test", 10, 2, 0, "model")
    with pytest.raises(SystemExit):
        tc.parse_args(["--data", "/nowhere", "--txtai-python", "py", "--k", "5"])  # nDCG@10 needs 10 results
    with pytest.raises(SystemExit):
        tc.parse_args(["--data", "/nowhere"])  # the txtai venv's python is required


def test_ndcg_is_scored_like_index_evaluate(tmp_path):
    qrels = {"q1": {"d1": 2, "d2": 1}, "q2": {"d3": 1}}
    assert tc.score_ndcg10(qrels, {"q1": ["d1", "d2"], "q2": ["d3"]}) == 1.0
    assert tc.score_ndcg10(qrels, {"q1": ["d1", "d2"]}) == 0.5  # a query with no results scores 0
    swapped = tc.score_ndcg10(qrels, {"q1": ["d2", "d1"], "q2": ["d3"]})
    repeated = tc.score_ndcg10(qrels, {"q1": ["d2", "d2", "d1"], "q2": ["d3"]})  # a document counts once
    assert 0.5 < swapped < 1.0 and repeated == swapped


def test_txtai_side_indexes_title_and_text(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in (
        {"_id": "a1", "title": "Tapering plans", "text": "Reduce slowly."},
        {"_id": 7, "title": "", "text": "No title here."},
    )) + "\n\n")
    assert txtai_side.read_documents(str(corpus)) == [("a1", "Tapering plans\nReduce slowly."),
                                                      ("7", "No title here.")]


def test_txtai_side_needs_nothing_of_the_product():
    """The worker runs in txtai's venv, which has none of our packages: importing it loads no project module."""
    code = ("import sys; sys.path.insert(0, 'benchmarks'); import txtai_side; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('index', 'ingest', 'webapp', 'kb_settings', 'txtai', 'torch')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_both_sides_run_end_to_end_on_a_tiny_set(tmp_path):
    """The whole script on a three-document BEIR folder made here (illustrative text), with the real txtai venv."""
    python = os.environ.get("PP_TXTAI_PYTHON", "")
    if not python or not Path(python).exists():
        pytest.skip("PP_TXTAI_PYTHON does not name the python of a txtai venv (see README: Against txtai)")
    data = tmp_path / "beir"
    (data / "qrels").mkdir(parents=True)
    docs = [("d1", "Opioid tapering", "Reduce the daily dose slowly and review the patient every few weeks."),
            ("d2", "Knee osteoarthritis", "Exercise and weight loss help knee pain; topical NSAIDs are an option."),
            ("d3", "Sleep and pain", "Poor sleep worsens chronic pain; sleep hygiene is a first step.")]
    (data / "corpus.jsonl").write_text("".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n"
                                               for i, t, x in docs))
    (data / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "how fast to taper opioids"}) + "\n"
                                        + json.dumps({"_id": "q2", "text": "knee pain exercise"}) + "\n")
    (data / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    out = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "txtai_compare.py"), "--data", str(data),
                           "--txtai-python", python, "--warmup", "1", "--workdir", str(tmp_path), "--json",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["queries"] == 2
    for side in ("ours", "txtai"):
        assert result[side]["build_s"] > 0 and result[side]["p50_ms"] > 0
        assert 0 < result[side]["ndcg@10"] <= 1
    assert result["txtai"]["config"]["hybrid"] and result["txtai"]["config"]["maxlength"]
    assert "| index build |" in result["table"]
