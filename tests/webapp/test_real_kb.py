"""End to end over the real KnowledgeBase (real model, real index) built from small fixture documents."""
from __future__ import annotations

import io
import json
import re
from html import unescape

from webapp_testutil import login


def test_search_page_answer_and_cited_passage(real_app):
    c = real_app.test_client()
    html = c.get("/", query_string={"q": "how fast can I taper oxycodone 120 mg/day?"}).get_data(as_text=True)
    assert 'id="answer-h"' in html and 'href="#hit-1"' in html
    assert "Tapering long-term opioid therapy" in html
    m = re.search(r'href="(/documents/web-taper\?start=\d+&amp;end=\d+[^"]*#passage)"', html)
    assert m
    doc_html = c.get(unescape(m.group(1)).split("#")[0]).get_data(as_text=True)
    assert 'id="passage" tabindex="-1"' in doc_html
    marked = re.findall(r'<(?:span class="in-passage"|mark class="focus")[^>]*>(.*?)</(?:span|mark)>', doc_html, flags=re.S)
    start, end = (int(x) for x in re.findall(r"(?:start|end)=(\d+)", m.group(1))[:2])
    doc = real_app.extensions["kb"].get_document("web-taper")
    # the cited passage is marked word for word, across however many blocks it spans
    words = re.compile(r"\w+")
    assert words.findall(unescape(" ".join(marked))) == words.findall(doc.text[start:end])


def test_page_api_and_library_show_the_same_answer(real_app):
    kb = real_app.extensions["kb"]
    c = real_app.test_client()
    q = "how fast can I taper oxycodone 120 mg/day?"
    api = c.get("/api/search", query_string={"q": q, "k": 1}).get_json()
    assert api["answer_status"] == kb.search(q, k=1).answer_status == "answered"
    html = unescape(c.get("/", query_string={"q": q, "k": 1}).get_data(as_text=True))
    assert 'data-status="answered"' in html
    for a in api["answer"]:
        assert a["text"] in html and a["citation"] == a["hit"] + 1
        assert api["hits"][a["hit"]]["text"][a["start"]:a["end"]] == a["text"]
        assert f'href="#hit-{a["citation"]}"' in html
    # each answer line names its source: title, type and date
    assert "Tapering long-term opioid therapy · Guideline · 2022-04-01" in html


def test_api_matches_kb_search_json(real_app):
    kb = real_app.extensions["kb"]
    c = real_app.test_client()
    r = c.get("/api/search", query_string={"q": "bup micro induction from 90 MME oxy", "k": 3})
    assert r.status_code == 200
    body = r.get_json()
    expected = json.loads(json.dumps(kb.search("bup micro induction from 90 MME oxy", k=3).to_dict()))
    assert all(h.pop("url").endswith("#passage") for h in body["hits"])  # the API adds a link to each passage
    assert body == expected
    assert r.headers["X-KB-Generation"] == body["generation"]
    assert body["hits"][0]["doc_id"] == "web-bup"
    doc = c.get("/api/documents/web-bup").get_json()
    h = body["hits"][0]
    assert doc["text"][h["start"]:h["end"]] == h["text"]
    spec = c.get("/api/openapi.json").get_json()
    from test_api import _check
    _check(spec, "/api/search", r)
    _check(spec, "/api/documents/{doc_id}", c.get("/api/documents/web-bup"))
    _check(spec, "/healthz", c.get("/healthz"))
    health = c.get("/healthz").get_json()
    assert health == {"status": "ok", "generation": body["generation"], "documents": 4,
                      "chunks": kb.stats()["chunks"]}


def test_filters_and_stale_flag_real(real_app):
    c = real_app.test_client()
    r = c.get("/api/search", query_string={"q": "oxycodone", "type": "echo-case"}).get_json()
    assert r["hits"] and {h["doc_type"] for h in r["hits"]} == {"echo-case"}
    html = c.get("/", query_string={"q": "buprenorphine micro-induction"}).get_data(as_text=True)
    assert "Not reviewed for over 5 years" in html
    assert '<option value="buprenorphine"' in html  # topic filter lists real tags


def test_untrusted_document_renders_inert(real_app):
    c = real_app.test_client()
    html = c.get("/", query_string={"q": "negative urine drug test prescribed opioid"}).get_data(as_text=True)
    assert "web-xss" in html
    assert "<script>" not in html and "<b>Lab</b>" not in html
    assert "&lt;script&gt;" in html
    doc = c.get("/documents/web-xss").get_data(as_text=True)
    assert "<script>" not in doc and "&lt;script&gt;alert(1)&lt;/script&gt;" in doc


def test_curator_upload_search_delete_real(real_app):
    c = real_app.test_client()
    login(c, "cara")
    md = (b"---\nid: web-new\ntitle: Gabapentinoid co-prescribing\ntype: guideline\n---\n# Gabapentinoids\n\n"
          b"Avoid combining pregabalin with high-dose opioids because of respiratory depression risk.\n")
    r = c.post("/curate/upload", data={"files": [(io.BytesIO(md), "gaba.md")], "source": "Upload Test Org",
                                       "tags": "gabapentinoids"}, content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "added" in html and "web-new" in html, html
    hits = c.get("/api/search", query_string={"q": "pregabalin with opioids"}).get_json()["hits"]
    assert hits[0]["doc_id"] == "web-new" and hits[0]["source"] == "Upload Test Org"
    assert c.post("/curate/documents/web-new/delete").status_code == 302
    hits = c.get("/api/search", query_string={"q": "pregabalin with opioids"}).get_json()["hits"]
    assert all(h["doc_id"] != "web-new" for h in hits)
    assert c.get("/api/documents/web-new").status_code == 404


def test_orphaned_reindex_job_is_marked_interrupted(real_app):
    """A job left 'running' by a server that died neither blocks re-indexing nor shows progress forever."""
    from webapp import store
    from webapp.db import connect

    conn = connect(real_app.config["DATABASE"])
    job_id = store.start_job(conn, "reindex", "cara")
    store.job_progress(conn, job_id, "embedding", 0, 0)
    conn.close()
    c = real_app.test_client()
    login(c, "cara")
    html = c.get(f"/curate/jobs/{job_id}").get_data(as_text=True)
    assert "Interrupted" in html, html[html.find("<main"):]
    kb = real_app.extensions["kb"]
    assert kb.writer_active() is False
    with kb.lock():
        assert kb.writer_active() is True
