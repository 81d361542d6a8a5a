"""Physician pages: search, answer, cards, document view, feedback, escaping, headers, accessibility basics."""
from __future__ import annotations

import re
from datetime import date

from webapp_testutil import sample_docs
from fake_kb import FakeKB
from webapp import render
from webapp.db import connect


def test_home_has_labelled_box_examples_and_notes(client):
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert '<label for="q"' in html and 'id="q"' in html
    assert 'href="#main"' in html and '<main id="main"' in html
    assert "<header" in html and "<footer" in html and 'role="search"' in html
    assert "how fast can I taper oxycodone 120 mg/day?" in html
    assert "bup micro induction from 90 MME oxy" in html
    assert "UDT negative for prescribed opioid" in html
    assert "not patient-specific advice" in html
    assert "Illustrative sample content" in html
    assert "<script" not in html  # no scripts at all, inline or external
    assert "http://" not in html and "https://" not in html  # no CDNs or external fonts


def test_search_renders_answer_citations_and_cards(client):
    r = client.get("/", query_string={"q": "taper oxycodone"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="answer-h"' in html
    assert 'href="#hit-1"' in html and ">[1]</a>" in html
    assert 'id="hit-1"' in html
    assert "Opioid tapering guidance" in html
    assert '<mark class="focus">oxycodone</mark>' in html.lower()
    assert "Ontario Guidance Group" in html
    assert "2021-03-01" in html and "2023-01-15" in html
    m = re.search(r'href="(/documents/opioid-taper\?start=(\d+)&amp;end=(\d+)[^"]*#passage)"', html)
    assert m, "card must link into the document at the passage"
    assert 'name="verdict" value="not_helpful"' in html
    assert 'name="csrf_token"' in html


def _today_is(monkeypatch, day: date) -> None:
    """Pin the date the review check compares against, so the test means the same thing every year."""
    class Pinned(date):
        @classmethod
        def today(cls):
            return day

    monkeypatch.setattr(render, "date", Pinned)


def test_stale_review_flagged_against_today(client, monkeypatch):
    _today_is(monkeypatch, date(2027, 6, 1))
    html = client.get("/", query_string={"q": "buprenorphine micro"}).get_data(as_text=True)
    assert "Not reviewed for over 5 years (last 2016-01-01)" in html
    html = client.get("/", query_string={"q": "naloxone"}).get_data(as_text=True)
    assert "Not reviewed for over 5 years" not in html  # reviewed 2023-01-15: under five years on 2027-06-01
    _today_is(monkeypatch, date(2028, 1, 16))
    html = client.get("/", query_string={"q": "naloxone"}).get_data(as_text=True)
    assert "Not reviewed for over 5 years (last 2023-01-15)" in html


def test_filters_reach_kb(client, fake_kb):
    client.get("/", query_string={"q": "oxycodone", "type": "echo-case", "tag": "oud", "source": "Project ECHO Ontario",
                                  "from": "2010-01-01", "to": "2020-12-31"})
    _, q, k, filters, mode = fake_kb.calls[-1]
    assert filters.doc_types == ("echo-case",) and filters.tags == ("oud",)
    assert filters.sources == ("Project ECHO Ontario",)
    assert (filters.date_from, filters.date_to) == ("2010-01-01", "2020-12-31")


def test_filter_controls_list_known_tags_and_sources(client):
    html = client.get("/").get_data(as_text=True)
    assert '<option value="tapering"' in html and '<option value="Project ECHO Ontario"' in html
    assert '<label for="f-type"' in html and '<label for="f-from"' in html and '<label for="f-tag"' in html


def test_bad_date_is_400_with_message(client):
    r = client.get("/", query_string={"q": "oxycodone", "from": "yesterday"})
    assert r.status_code == 400
    assert "YYYY-MM-DD" in r.get_data(as_text=True)


def test_too_long_query_is_400(client):
    r = client.get("/", query_string={"q": "x" * 501})
    assert r.status_code == 400
    assert "500" in r.get_data(as_text=True)


def test_no_hits_message(client):
    html = client.get("/", query_string={"q": "zzzqqq"}).get_data(as_text=True)
    assert "Nothing in the knowledge base matches" in html


def test_empty_kb_page_is_503_with_message(make_app):
    app = make_app(kb=FakeKB([]))
    r = app.test_client().get("/", query_string={"q": "oxycodone"})
    assert r.status_code == 503
    assert "knowledge base is empty" in r.get_data(as_text=True)


def test_document_text_is_escaped_everywhere(client):
    html = client.get("/", query_string={"q": "oxycodone note"}).get_data(as_text=True)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html
    assert "Bad &lt;i&gt;Org&lt;/i&gt;" in html
    doc = client.get("/documents/evil?start=0&end=8").get_data(as_text=True)
    assert "<script>" not in doc and "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in doc


def test_highlight_marks_are_escaped_inside_mark(make_app):
    text = "a <img src=x onerror=alert(1)> oxycodone b"
    from fake_kb import make_doc
    app = make_app(kb=FakeKB([make_doc("x", "X", text)]))
    html = app.test_client().get("/", query_string={"q": "img oxycodone"}).get_data(as_text=True)
    assert "<img" not in html
    assert '<mark class="focus">img</mark>' in html and '<mark class="focus">oxycodone</mark>' in html


def test_document_view_marks_passage(client, fake_kb):
    doc = fake_kb.get_document("opioid-taper")
    start = doc.text.index("Offer naloxone")
    end = len(doc.text)
    r = client.get(f"/documents/opioid-taper?start={start}&end={end}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert ('<span class="in-passage" id="passage" tabindex="-1">Offer naloxone to every patient on long-term opioid '
            'therapy.</span>') in html
    assert 'href="#passage"' in html


def test_document_view_bad_offsets_shows_whole_doc(client):
    html = client.get("/documents/opioid-taper?start=5&end=99999").get_data(as_text=True)
    assert 'id="passage"' not in html and "could not be located" in html
    assert "Offer naloxone" in html


def test_document_404(client):
    r = client.get("/documents/nope")
    assert r.status_code == 404
    assert "nope" in r.get_data(as_text=True)


def test_feedback_is_stored_without_query_text_and_redirects_back(client, app, caplog):
    r = client.post("/feedback", data={"q": "taper oxycodone", "doc_id": "opioid-taper", "chunk_id": "1",
                                       "generation": "g000001", "verdict": "not_helpful",
                                       "back": "/?q=taper+oxycodone", "n": "1"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/?q=taper+oxycodone#hit-1")
    conn = connect(app.config["DATABASE"])
    row = conn.execute("SELECT * FROM feedback").fetchone()
    assert (row["doc_id"], row["chunk_id"], row["generation"], row["verdict"]) == ("opioid-taper", 1, "g000001", "not_helpful")
    # query logging is off by default: the question text is not kept, only its hash
    assert row["query"] == "" and len(row["query_hash"]) == 64
    assert "taper oxycodone" not in caplog.text


def test_feedback_keeps_query_text_only_when_logging_is_on(make_app, settings):
    import dataclasses

    app = make_app(settings_=dataclasses.replace(settings, log_queries=True))
    app.test_client().post("/feedback", data={"q": "Jane Tremblay taper", "doc_id": "opioid-taper", "chunk_id": "1",
                                              "generation": "g1", "verdict": "helpful"})
    row = connect(app.config["DATABASE"]).execute("SELECT query FROM feedback").fetchone()
    assert row["query"] == "Jane Tremblay taper"


def test_feedback_rejects_bad_input_and_offsite_back(client):
    bad = client.post("/feedback", data={"q": "x", "doc_id": "d", "chunk_id": "1", "verdict": "meh"})
    assert bad.status_code == 400
    r = client.post("/feedback", data={"q": "x", "doc_id": "d", "chunk_id": "1", "verdict": "helpful",
                                       "back": "https://evil.example/"})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_security_headers_on_every_response(client):
    for path in ["/", "/?q=oxycodone", "/documents/evil", "/documents/nope", "/api/search?q=taper", "/healthz",
                 "/login", "/static/style.css", "/api/openapi.json"]:
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "base-uri 'none'" in csp and "form-action 'self'" in csp and "style-src 'self'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert r.headers["X-Frame-Options"] == "DENY"


def test_no_inline_styles_or_scripts_in_templates():
    from pathlib import Path
    import webapp
    for tpl in (Path(webapp.__file__).parent / "templates").rglob("*.html"):
        text = tpl.read_text()
        scripts = re.findall(r"<script[^>]*>(.*?)</script>", text, flags=re.S)
        assert all(not body.strip() for body in scripts), tpl  # external files only (CSP: script-src 'self')
        assert all(re.search(r'src="[^"]+"', tag) for tag in re.findall(r"<script[^>]*>", text)), tpl
        assert "style=" not in text and "<style" not in text, tpl
        assert "|safe" not in text.replace(" ", ""), tpl
        assert "onclick" not in text and "javascript:" not in text, tpl


def test_static_css_served(client):
    r = client.get("/static/style.css")
    assert r.status_code == 200 and "@media" in r.get_data(as_text=True)


def test_query_text_not_logged_by_default(client, caplog):
    import logging
    caplog.set_level(logging.DEBUG)
    client.get("/", query_string={"q": "secret patient question oxycodone"})
    client.get("/api/search", query_string={"q": "secret patient question oxycodone"})
    assert "secret patient question" not in caplog.text


def test_query_logged_only_when_opted_in(make_app, settings, caplog):
    import dataclasses
    import logging
    caplog.set_level(logging.INFO)
    app = make_app(settings_=dataclasses.replace(settings, log_queries=True))
    app.test_client().get("/", query_string={"q": "opted in oxycodone"})
    assert "opted in oxycodone" in caplog.text


def test_sample_docs_render_all_cards(client):
    html = client.get("/", query_string={"q": "oxycodone", "k": "10"}).get_data(as_text=True)
    assert html.count('class="card"') == len([d for d in sample_docs() if "oxycodone" in d.text.lower()])
