"""Fuzz every reader in-process: random and mutated files may only fail with IngestError, and documents stay sound."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.errors import IngestError
from ingest.readers import SUFFIXES, read_path

# FUZZ_EXAMPLES=5000 for a longer hunt; 100 per test keeps the suite well under a minute.
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Fixture file per format (written by tests/fixtures.write_all) and the suffix its mutants are saved under.
BASES = {"pdf": "methadone.pdf", "docx": "neuro.docx", "html": "udt.html", "md": "taper.md", "txt": "bup.txt",
         "jsonl": "small.jsonl"}

# Bytes that steer mutations toward parser-relevant structure rather than pure noise.
TOKENS = [b"\x00", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\x80\x81", b"<div>" * 40, b"</p>", b"<h1>", b"---\n",
          b"\n# ", b"```", b"obj", b"endobj", b"stream\n", b"/Length 999999", b" 0 R", b"/FlateDecode", b"trailer",
          b"xref", b"PK\x03\x04", b"PK\x01\x02", b"{", b'"_id"', b"\r\n", b"=====\n", b"\\", b"(", b")"]


@st.composite
def mutants(draw, base: bytes) -> bytes:
    """A few flips, overwrites, deletions, insertions or a truncation applied to a valid file."""
    data = bytearray(base)
    n_ops = draw(st.integers(1, 8))
    for _ in range(n_ops):
        op = draw(st.sampled_from(["flip", "set", "delete", "insert", "token", "truncate"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            blob = draw(st.binary(min_size=1, max_size=16))
            data[pos:pos + len(blob)] = blob
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=32))
        elif op == "token":
            data[pos:pos] = draw(st.sampled_from(TOKENS))
        elif op == "truncate":
            del data[pos:]
    return bytes(data)


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory(prefix="fuzz-") as d:
        yield Path(d)


def check(path: Path, data: bytes, blame: Path | None = None) -> None:
    """Only IngestError may escape, naming the file (or `blame`, its sidecar); documents satisfy the invariants."""
    path.write_bytes(data)
    try:
        docs = read_path(path)
    except IngestError as exc:
        assert exc.path in (str(path), str(blame)) and exc.path in str(exc) and exc.reason
        return
    assert docs
    for doc in docs:
        assert doc.text.strip()
        previous_end = 0
        for s in doc.sections:
            assert 0 <= s.start <= s.end <= len(doc.text), (s, len(doc.text))
            assert s.start >= previous_end, "sections overlap or go backwards"
            assert isinstance(s.heading_path, tuple) and all(isinstance(h, str) for h in s.heading_path)
            previous_end = s.end


def _fuzz_format(kind: str):
    @FUZZ
    @given(data=st.data())
    def test(fixture_dir, scratch, data):
        base = (fixture_dir / BASES[kind]).read_bytes()
        check(scratch / f"fuzz.{kind}", data.draw(mutants(base)))
    test.__name__ = f"test_mutated_{kind}_only_raises_ingest_errors"
    return test


test_mutated_pdf = _fuzz_format("pdf")
test_mutated_docx = _fuzz_format("docx")
test_mutated_html = _fuzz_format("html")
test_mutated_md = _fuzz_format("md")
test_mutated_txt = _fuzz_format("txt")
test_mutated_jsonl = _fuzz_format("jsonl")


@FUZZ
@given(data=st.data())
def test_mutated_sidecar_only_raises_ingest_errors(scratch, data):
    """Sidecar YAML is parsed in the reader too (PyYAML turns 'published: 2021-02-30' into a ValueError)."""
    from fixtures import TXT, TXT_META

    (scratch / "side.meta.yaml").write_bytes(data.draw(mutants(TXT_META.encode())))
    check(scratch / "side.txt", TXT.encode(), blame=scratch / "side.meta.yaml")


@FUZZ
@given(suffix=st.sampled_from(sorted(SUFFIXES)), data=st.binary(max_size=4096))
def test_random_bytes_under_every_suffix(scratch, suffix, data):
    check(scratch / f"random{suffix}", data)


@FUZZ
@given(suffix=st.sampled_from([".txt", ".md", ".html", ".jsonl"]),
       text=st.text(max_size=2000),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1"]))
def test_random_text_in_any_encoding(scratch, suffix, text, encoding):
    check(scratch / f"text{suffix}", text.encode(encoding, errors="replace"))
