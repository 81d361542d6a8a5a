"""Answer quality mechanics: fusion, vocabulary, verbatim answers and highlights, and `kb eval` metrics."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from index.errors import KBError
from index.vocabulary import Vocabulary

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def term_kb(tmp_path_factory, embedder):
    """Documents that are semantically alike, one of which alone names a rare drug and one only 'urine drug test'."""
    from fixtures import make_kb

    folder = tmp_path_factory.mktemp("term-docs")
    texts = {
        "a": "Opioid tapering should be slow. Reduce the daily dose gradually and review pain and function.",
        "b": "When you taper opioid doses, go gradually and check function, mood and withdrawal at each visit.",
        "c": "Zorvanil is a fictional long-acting agent; it is withdrawn in small steps while function is reviewed.",
        "d": "A urine drug test helps confirm that a prescribed medication is being taken as directed.",
        "e": "Slow tapers of long-term opioids are better tolerated than rapid ones.",
        "f": "A taper plan for opioids names the dose steps, the interval between them and when to pause.",
    }
    for key, text in texts.items():
        (folder / f"{key}.md").write_text(f"---\nid: doc-{key}\ntitle: Note {key}\ntype: other\n---\n{text}\n")
    kb = make_kb(tmp_path_factory.mktemp("term-kb") / "kb")
    kb.ingest_paths([folder])
    return kb


def test_exact_term_is_not_buried(term_kb):
    hits = term_kb.search("zorvanil taper", k=5).hits
    assert hits[0].doc_id == "doc-c"


def test_vocabulary_expands_abbreviations_in_the_keyword_leg(term_kb):
    hits = term_kb.search("UDT", k=3, mode="bm25").hits
    assert hits and hits[0].doc_id == "doc-d"


def test_vocabulary_file_loads_and_expands():
    vocab = Vocabulary.load()
    assert "morphine milligram equivalents" in vocab.expansions("max MME for CNCP")
    assert "buprenorphine" in vocab.expansions("bup micro induction")
    assert "Suboxone" in vocab.expansions("starting buprenorphine")
    assert "urine drug test" in vocab.expansions("UDT negative for prescribed opioid")
    assert "oxycodone" in vocab.expansions("OxyNEO taper")
    assert vocab.expansions("knee pain exercise") == []  # no group names these words: nothing is invented


def test_custom_vocabulary_and_bad_file(tmp_path):
    good = tmp_path / "v.yaml"
    good.write_text("groups:\n  - [zv, zorvanil]\n")
    assert Vocabulary.load(good).expansions("zv dose") == ["zorvanil"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("groups: [just-a-string]\n")
    with pytest.raises(KBError, match="groups"):
        Vocabulary.load(bad)


QUESTIONS = [json.loads(line)["text"] for line in (ROOT / "corpus" / "eval" / "questions.jsonl").read_text().splitlines()
             if line.strip()] if (ROOT / "corpus" / "eval" / "questions.jsonl").exists() else []


def test_answers_are_verbatim_spans_of_cited_hits(built_kb):
    queries = QUESTIONS + ["how fast can I taper opioids", "naloxone", "COWS before buprenorphine", "ECG methadone",
                           "pregabalin start dose", "immunoassay misses oxycodone", "acetaminophen ceiling"]
    answered = 0
    for q in queries:
        res = built_kb.search(q, k=5)
        for hit in res.hits:
            for s, e in hit.highlights:
                assert 0 <= s < e <= len(hit.text)
        for a in res.answer:
            hit = res.hits[a.hit]
            assert a.text == hit.text[a.start:a.end] and a.citation == a.hit + 1
            assert [a.text] == [hit.text[s:e] for s, e in hit.highlights if hit.text[s:e] == a.text]
            answered += 1
    # the fixture documents cover few of the corpus questions: the rest are rightly abstained on
    assert answered >= 10


def test_kb_eval_on_tiny_beir_set(tmp_path):
    """Metric values worked out by hand for a BM25 run whose ranking is certain."""
    d = tmp_path / "beir"
    (d / "qrels").mkdir(parents=True)
    docs = [
        {"_id": "d1", "title": "Tapering", "text": "An opioid taper lowers the dose slowly over months."},
        # ids a curator could not use (MedQuAD's hold "/"): kb eval escapes them in a copy and in the judgements
        {"_id": "qa/d2", "title": "Naloxone", "text": "Naloxone reverses an opioid overdose within minutes."},
        {"_id": "kit:d3", "title": "Kits", "text": "Naloxone kits are free at community pharmacies."},
    ]
    (d / "corpus.jsonl").write_text("\n".join(json.dumps(x) for x in docs) + "\n")
    (d / "queries.jsonl").write_text('{"_id": "q1", "text": "naloxone reverses overdose"}\n'
                                     '{"_id": "q2", "text": "slowly months"}\n')
    (d / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tqa/d2\t2\nq1\tkit:d3\t1\nq2\td1\t1\nq2\tkit:d3\t1\n")
    from click.testing import CliRunner

    from kb_cli import cli

    def kb_eval():
        return CliRunner().invoke(cli, ["eval", "--beir", str(d), "--mode", "bm25", "--json"],
                                  env={"KB_EVAL_CACHE": str(tmp_path / "cache")}, catch_exceptions=False)

    out = kb_eval()
    assert out.exit_code == 0, out.stderr
    m = json.loads(out.stdout)
    # q1 ranks d2 (gain 2) then d3 (gain 1): ideal, nDCG 1. q2 retrieves only d1 of its two relevant documents.
    ndcg_q2 = 1.0 / (1.0 + 1.0 / math.log2(3))
    assert m["queries"] == 2
    assert m["ndcg@10"] == pytest.approx((1.0 + ndcg_q2) / 2, abs=1e-3)
    assert m["recall@10"] == pytest.approx(0.75) and m["recall@100"] == pytest.approx(0.75)
    assert m["mrr@10"] == pytest.approx(1.0)
    assert set(m) >= {"ndcg@10", "recall@10", "recall@100", "mrr@10", "queries", "mean_latency_ms"}
    assert (d / "corpus.jsonl").read_text().count("qa/d2") == 1  # the source folder is never rewritten
    again = kb_eval()
    assert json.loads(again.stdout)["ndcg@10"] == m["ndcg@10"]  # the cached KB is reused, same result


def test_beir_ids_are_escaped_into_distinct_valid_document_ids(tmp_path):
    from index.evaluate import beir_set, safe_id
    from ingest.metadata import ID_RE

    raw = ["MED-10", "1_CancerGov_QA/0000001_1-1", "a:b", "a:3ab", ".x", "é", "xé", "_a", "a b", "x" * 250]
    safe = [safe_id(r) for r in raw]
    assert safe[0] == "MED-10" and safe[1] == "1_CancerGov_QA:2f0000001_1-1"
    assert all(ID_RE.fullmatch(x) for x in safe) and len(set(safe)) == len(raw)
    d = tmp_path / "beir"
    (d / "qrels").mkdir(parents=True)
    (d / "corpus.jsonl").write_text('{"_id": "MED-10", "text": "a"}\n')
    (d / "queries.jsonl").write_text('{"_id": "q1", "text": "a"}\n')
    (d / "qrels" / "test.tsv").write_text("q1\tMED-10\t1\n")
    plain = beir_set(d, "test", workdir=tmp_path / "cache")
    assert plain.corpus == [d / "corpus.jsonl"] and not (tmp_path / "cache").exists()


def test_keyword_leg_on_its_own_thread_gives_the_same_results(built_kb_home):
    """KB_PARALLEL_LEGS only changes when the keyword leg runs, never what a search returns (filters included)."""
    from fixtures import make_kb
    from index.types import SearchFilters

    together = make_kb(built_kb_home, parallel_legs=True)
    apart = make_kb(built_kb_home, parallel_legs=False)
    queries = QUESTIONS[:40] + ["naloxone", "COWS before buprenorphine", "zzqx"]
    for q in queries:
        for filters in (None, SearchFilters(doc_types=("guidance",))):
            timings: dict[str, float] = {}
            a = together.search(q, k=5, filters=filters, timings=timings).to_dict()
            assert a == apart.search(q, k=5, filters=filters).to_dict(), q
            assert "keyword_leg" in timings  # it did run on the other thread


def test_a_forked_child_makes_its_own_leg_threads(built_kb_home):
    """The pool's threads do not survive fork(): a gunicorn worker forked after a search must not wait on them."""
    import os

    import index.search as search
    from fixtures import make_kb

    make_kb(built_kb_home, parallel_legs=True).search("naloxone", k=3)
    parent_pool = search._LEG_POOL
    assert parent_pool is not None
    pid = os.fork()
    if pid == 0:  # the child (no model call here: only the pool is under test)
        code = 1
        try:
            fresh = search._LEG_POOL is None
            ran = search._leg_pool().submit(lambda: 42).result(timeout=10) == 42
            code = 0 if fresh and ran and search._LEG_POOL is not parent_pool else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
