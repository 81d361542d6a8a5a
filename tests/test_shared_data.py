"""The real evaluation sets read correctly (they live in ../shared: skipped outside CI, required in CI)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.evaluate import beir_set
from ingest.readers import read_path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _dataset(name: str) -> Path:
    path = SHARED / name
    if not (path / "corpus.jsonl").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing in CI, where ../shared/data must be present")
        pytest.skip(f"{path} not present: evaluation data lives in ../shared/data beside the checkout")
    return path


def test_nfcorpus_reads_as_documents_and_splits():
    d = _dataset("nfcorpus")
    docs = read_path(d / "corpus.jsonl")
    assert len(docs) == 3633 and len({x.meta.doc_id for x in docs}) == 3633
    assert all(x.meta.title and x.text for x in docs[:100])
    dev, test = beir_set(d, "dev"), beir_set(d, "test")
    assert len(dev.queries) == 324 and len(test.queries) == 323
    assert not set(dev.queries) & set(test.queries)


def test_medquad_reads():
    d = _dataset("medquad")
    es = beir_set(d, "dev")
    assert len(es.queries) == 1000
    assert sum(len(v) for v in es.qrels.values()) == 1123
