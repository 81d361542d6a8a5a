"""The answer-quality sets in corpus/eval are well formed and every gold fact is verbatim in its document.

answers.jsonl holds, for each judged corpus question, short spans of a document's extracted text that answer it;
out_of_scope.jsonl holds questions the knowledge base does not cover. A fact that drifts out of its document's
text (after a reader change) would silently score every answer as wrong, so each span is checked against the
text the product's own readers extract, after collapsing whitespace and case only.
"""
from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
EVAL = CORPUS / "eval"
OFF_TOPIC_KINDS = {"nonsense", "non-medical"}
UNANSWERED_KIND = "in-scope-unanswered"
MARKUP = re.compile(r"[|*#>]")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _rows(path: Path) -> list[dict]:
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{path.name}:{lineno} is blank"
        row = json.loads(line)
        assert isinstance(row, dict), f"{path.name}:{lineno} is not a JSON object"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def corpus_text() -> dict[str, str]:
    """Every corpus document's extracted text by doc id, read once through the product's readers."""
    from ingest.readers import read_path
    from ingest.sandbox import iter_files

    texts: dict[str, str] = {}
    for path in iter_files([CORPUS]):
        for doc in read_path(path):
            assert doc.meta.doc_id not in texts, f"duplicate doc id {doc.meta.doc_id}"
            texts[doc.meta.doc_id] = _norm(doc.text)
    return texts


@pytest.fixture(scope="module")
def answers() -> list[dict]:
    return _rows(EVAL / "answers.jsonl")


@pytest.fixture(scope="module")
def off_topic() -> list[dict]:
    return _rows(EVAL / "out_of_scope.jsonl")


@pytest.fixture(scope="module")
def judged() -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    with (EVAL / "qrels.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            out.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    return out


def test_every_corpus_question_has_one_answer_entry(answers):
    questions = [json.loads(ln)["_id"] for ln in (EVAL / "questions.jsonl").read_text(encoding="utf-8").splitlines()
                 if ln.strip()]
    ids = [row["_id"] for row in answers]
    assert len(ids) == len(set(ids)), "answers.jsonl repeats a question id"
    assert set(ids) == set(questions)


def test_answer_entries_have_the_documented_fields(answers):
    for row in answers:
        assert set(row) <= {"_id", "split", "facts", "note"}, row["_id"]
        assert isinstance(row["facts"], list) and row["facts"], f"{row['_id']} has no facts"
        assert isinstance(row.get("note", ""), str)
        for fact in row["facts"]:
            assert {"doc_id", "text"} <= set(fact) <= {"doc_id", "text", "reader"}, row["_id"]
            assert fact.get("reader", 1) in (1, 2), row["_id"]
            assert isinstance(fact["text"], str) and fact["text"].strip()


def _readme_split(label: str) -> set[int]:
    """Question numbers the README's Splits section gives to one split (its bold line, e.g. q001–q051 and q078–q122)."""
    readme = (EVAL / "README.md").read_text(encoding="utf-8")
    line = re.search(rf"^- \*\*{label}: (.+?)\*\*", readme, re.M | re.I)
    assert line, f"corpus/eval/README.md has no '{label}' split line"
    spans = re.findall(r"q(\d{3})[–-]q(\d{3})", line.group(1))
    assert spans, line.group(0)
    return {n for lo, hi in spans for n in range(int(lo), int(hi) + 1)}


def test_answer_split_follows_the_question_split(answers):
    dev, held = _readme_split("Development"), _readme_split("HELD-BACK")
    assert not dev & held
    for row in answers:
        n = int(row["_id"].lstrip("q"))
        assert n in dev | held, f"{row['_id']} is in no split of corpus/eval/README.md"
        assert row["split"] == ("held-back" if n in held else "dev"), row["_id"]


def test_retrieval_eval_uses_the_same_split(answers):
    """`kb eval --split` (index.evaluate.corpus_set) holds back exactly the questions answers.jsonl holds back."""
    from index.evaluate import corpus_set

    for split in ("dev", "held-back"):
        assert set(corpus_set(CORPUS, split).queries) == {row["_id"] for row in answers if row["split"] == split}, split


def test_facts_are_short_plain_spans(answers):
    for row in answers:
        for fact in row["facts"]:
            text = fact["text"]
            assert 1 <= len(text.split()) <= 25, f"{row['_id']}: fact too long: {text!r}"
            assert not MARKUP.search(text) and not text.lstrip().startswith("- "), \
                f"{row['_id']}: fact holds markup that a reader change could alter: {text!r}"
            assert "\n" not in text and text == text.strip(), row["_id"]


def test_facts_come_from_documents_judged_relevant(answers, judged):
    for row in answers:
        for fact in row["facts"]:
            assert judged.get(row["_id"], {}).get(fact["doc_id"], 0) >= 1, \
                f"{row['_id']}: {fact['doc_id']} is not judged relevant in qrels.tsv"


def test_every_fact_is_verbatim_in_its_document(answers, corpus_text):
    missing = []
    for row in answers:
        for fact in row["facts"]:
            assert fact["doc_id"] in corpus_text, f"{row['_id']}: unknown document {fact['doc_id']}"
            if _norm(fact["text"]) not in corpus_text[fact["doc_id"]]:
                missing.append(f"{row['_id']} {fact['doc_id']}: {fact['text']!r}")
    assert not missing, "facts not found in the extracted text:\n" + "\n".join(missing)


def test_the_span_check_can_fail(corpus_text):
    """A changed figure is not found, so the verbatim test above really checks the text."""
    doc = corpus_text["guide-methadone-basics"]
    assert _norm("Usual starting dose: 10-30 mg once daily") in doc
    assert _norm("Usual starting dose: 10-40 mg once daily") not in doc


def test_out_of_scope_rows_are_well_formed(off_topic):
    ids = [row["_id"] for row in off_topic]
    assert len(ids) == len(set(ids)), "out_of_scope.jsonl repeats an id"
    texts = [_norm(row["text"]) for row in off_topic]
    assert len(texts) == len(set(texts)), "out_of_scope.jsonl repeats a question"
    for row in off_topic:
        assert set(row) == {"_id", "text", "expected", "split", "kind"}, row["_id"]
        assert re.fullmatch(r"oos\d{3}", row["_id"]), row["_id"]
        assert row["text"].strip() and row["kind"].strip()
        assert row["split"] in ("dev", "held-back")
        want = "no_direct_answer" if row["kind"] == UNANSWERED_KIND else "out_of_scope"
        assert row["expected"] == want, row["_id"]


def test_out_of_scope_questions_are_not_corpus_questions(off_topic):
    questions = {_norm(json.loads(ln)["text"])
                 for ln in (EVAL / "questions.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()}
    assert not questions & {_norm(row["text"]) for row in off_topic}


def test_out_of_scope_counts_meet_the_minimums(off_topic):
    kinds = Counter(row["kind"] for row in off_topic)
    clinical = {k: n for k, n in kinds.items() if k not in OFF_TOPIC_KINDS | {UNANSWERED_KIND}}
    assert sum(clinical.values()) >= 60
    assert len(clinical) >= 10, "other areas of primary care should be spread over many kinds"
    assert sum(kinds[k] for k in OFF_TOPIC_KINDS) >= 6
    assert kinds[UNANSWERED_KIND] >= 12


def test_held_back_is_the_last_third_of_each_kind(off_topic):
    by_kind: dict[str, list[dict]] = {}
    for row in off_topic:
        by_kind.setdefault(row["kind"], []).append(row)
    for kind, rows in by_kind.items():
        held = len(rows) // 3
        splits = [row["split"] for row in rows]
        assert splits == ["dev"] * (len(rows) - held) + ["held-back"] * held, kind
