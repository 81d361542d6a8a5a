"""The first hour of each kind of user (issue #14): physician page, curator views, API tokens, rate-limit hints."""
from __future__ import annotations

import json
import re
import sqlite3

import pytest

from webapp_testutil import PASSWORD, login


def _db(app) -> sqlite3.Connection:
    conn = sqlite3.connect(app.config["DATABASE"])
    conn.row_factory = sqlite3.Row
    return conn


# ---------------------------------------------------------------- physician page


def test_home_focuses_the_question_and_says_what_is_covered(client):
    html = client.get("/").get_data(as_text=True)
    box = re.search(r'<input type="search" id="q"[^>]*>', html).group(0)
    assert "autofocus" in box
    coverage = html[html.index('id="coverage-h"'):html.index('id="examples-h"')]
    assert "3 documents" in coverage
    assert "Tapering" in coverage and "OUD" in coverage and "low-back" not in coverage
    # results pages keep the reader where they are: no autofocus stealing the scroll
    assert "autofocus" not in client.get("/?q=oxycodone").get_data(as_text=True)


def test_topics_are_labels_and_only_present_types_are_offered(make_app, fake_kb):
    from fake_kb import make_doc

    fake_kb.docs["lbp"] = make_doc("lbp", "Low back pain", "Low back pain text", tags=["low-back-pain"])
    html = make_app().test_client().get("/").get_data(as_text=True)
    tag_select = html[html.index('id="f-tag"'):html.index("</select>", html.index('id="f-tag"'))]
    assert '<option value="low-back-pain" >Low back pain</option>' in tag_select
    type_select = html[html.index('id="f-type"'):html.index("</select>", html.index('id="f-type"'))]
    assert "Guideline" in type_select and "ECHO case" in type_select
    assert "Other" not in type_select, "no document has the type 'other'"


def test_empty_parameters_are_dropped_from_the_url(client):
    r = client.get("/?q=oxycodone&type=&source=&tag=&from=&to=")
    assert r.status_code == 302 and r.headers["Location"] == "/?q=oxycodone"
    assert client.get("/?q=&type=").headers["Location"] == "/"
    assert client.get("/?q=oxycodone&tag=oud").status_code == 200


def test_dates_are_typed_as_the_app_writes_them(client):
    html = client.get("/").get_data(as_text=True)
    for field in ("f-from", "f-to"):
        tag = re.search(rf'<input[^>]*id="{field}"[^>]*>', html, flags=re.S).group(0)
        assert 'type="date"' not in tag and 'placeholder="YYYY-MM-DD"' in tag


@pytest.mark.parametrize("qs,label", [
    ({"q": "oxycodone", "from": "2020-13-01"}, "Published from must be a date written YYYY-MM-DD."),
    ({"q": "oxycodone", "from": "2021-01-01", "to": "2020-01-01"}, "Published from is after Published to."),
    ({"q": "oxycodone", "type": "pamphlet"}, "Document type has no value 'pamphlet'"),
])
def test_page_errors_name_the_field_label(client, qs, label):
    r = client.get("/", query_string=qs)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and label in html.replace("&#39;", "'")
    assert "'from'" not in html and "&#39;from&#39;" not in html


def test_feedback_confirms_in_the_card_and_takes_an_optional_reason(client, app):
    page = client.get("/?q=taper+oxycodone").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/feedback".*?</form>', page, flags=re.S).group(0)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items() if k != "verdict"}
    r = client.post("/feedback", data={**fields, "verdict": "not_helpful"})
    assert r.status_code == 302 and r.headers["Location"].endswith("#hit-1")
    after = client.get(r.headers["Location"].split("#")[0]).get_data(as_text=True)
    card = after[after.index('id="hit-1"') - 40:after.index('id="hit-2"')]
    assert "card-rated" in card and "you marked result 1" in card and "not helpful" in card
    assert 'name="verdict"' not in card, "the card changed state: no second vote"
    assert "What was wrong? (optional)" in card
    key = re.search(r'name="key" value="([^"]+)"', card).group(1)
    r = client.post("/feedback/reason", data={"key": key, "reason": "outdated", "back": fields["back"], "n": "1"})
    assert r.status_code == 302
    row = _db(app).execute('SELECT verdict, reason, start, "end" FROM feedback').fetchone()
    assert (row["verdict"], row["reason"]) == ("not_helpful", "outdated") and row["end"] > row["start"] >= 0
    assert "Reason recorded: Out of date" in client.get(r.headers["Location"].split("#")[0]).get_data(as_text=True)
    # a reason for a card this session did not rate is refused
    assert client.post("/feedback/reason", data={"key": "x:1", "reason": "outdated"}).status_code == 400


def test_feedback_report_shows_the_passage_with_a_link_and_reason(curator, app):
    curator.post("/feedback", data={"q": "taper", "doc_id": "opioid-taper", "chunk_id": "1", "generation": "g000001",
                                    "verdict": "not_helpful", "start": "17", "end": "60", "back": "/"})
    html = curator.get("/curate/feedback").get_data(as_text=True)
    assert "Taper oxycodone slowly" in html
    assert 'href="/documents/opioid-taper?start=17&amp;end=60#passage"' in html
    assert 'tabindex="0" role="region"' in html  # the table scrolls by keyboard on a phone


# ---------------------------------------------------------------- curator


def test_dates_are_local_and_readable(curator, fake_kb):
    fake_kb.quarantine[1] = {"qid": 1, "filename": "held.md", "created": 1796229385.0034766,
                             "reasons": [{"kind": "mrn", "line": 1, "page": None, "masked": "MRN ****67"}],
                             "text": "MRN 1234567", "doc_id": "held"}
    html = curator.get("/curate/quarantine").get_data(as_text=True)
    assert "1796229385" not in html
    assert re.search(r"held since 2026-12-\d\d \d\d:\d\d", html)


def test_quarantine_preview_and_discard(curator, fake_kb, app):
    fake_kb.quarantine[1] = {"qid": 1, "filename": "held.md", "created": "2026-12-01T10:00:00+00:00",
                             "reasons": [{"kind": "mrn", "line": 1, "page": None, "masked": "MRN ****67"}],
                             "text": "Patient MRN 1234567 note", "doc_id": "held"}
    page = curator.get("/curate/quarantine/1/preview").get_data(as_text=True)
    assert "Patient [REDACTED] note" in page and "Release redacted" in page
    assert curator.get("/curate/quarantine/9/preview").status_code == 404
    r = curator.post("/curate/quarantine/1/discard")
    assert r.status_code == 302 and fake_kb.quarantine == {}
    assert "Discarded held.md" in curator.get("/curate/quarantine").get_data(as_text=True)
    assert tuple(_db(app).execute("SELECT action, target FROM audit WHERE action = 'quarantine_discard'")
                 .fetchone()) == ("quarantine_discard", "held.md")


def test_one_staleness_rule_on_the_document_list(curator, fake_kb):
    fake_kb.docs["evil"].published = fake_kb.docs["evil"].reviewed = ""
    html = curator.get("/curate/documents").get_data(as_text=True)
    assert "Review date unknown" in html and "(over 5 years)" not in html
    assert "Not reviewed for over 5 years" in html  # bup-micro, last reviewed 2016


def test_edit_form_has_basis_and_the_text(curator, fake_kb, app):
    html = curator.get("/curate/documents/opioid-taper/edit").get_data(as_text=True)
    assert 'name="basis"' in html and "Taper oxycodone slowly" in html
    form = {"title": "Opioid tapering guidance", "doc_type": "guideline", "source": "Ontario Guidance Group",
            "published": "2021-03-01", "reviewed": "2023-01-15", "tags": "tapering, opioids",
            "basis": "Sample national guideline 2017"}
    assert curator.post("/curate/documents/opioid-taper/edit", data=form).status_code == 302
    assert fake_kb.calls[-1] == ("update", "opioid-taper", {"basis": "Sample national guideline 2017"})


def test_upload_summary_counts_rejected_files_and_warns_on_missing_dates(curator, fake_kb):
    import io

    r = curator.post("/curate/upload", data={"files": [(io.BytesIO(b"# Note\n\nUndated note."), "undated.md"),
                                                       (io.BytesIO(b"MZ"), "tool.exe")]},
                     content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert "1 rejected for their type (tool.exe)" in html
    assert "has no publication or review date" in html and 'href="/curate/documents/undated/edit"' in html
    assert 'href="/documents/undated"' in html  # what the physician will see


def test_audit_view_filters_and_shows_before_and_after(make_app, users, fake_kb):
    app = make_app()
    c = app.test_client()
    login(c, users["curator"])
    form = {"title": "Opioid tapering (2024)", "doc_type": "guideline", "source": "Ontario Guidance Group",
            "published": "2021-03-01", "reviewed": "2024-05-05", "tags": "tapering, opioids"}
    c.post("/curate/documents/opioid-taper/edit", data=form)
    assert c.get("/curate/audit").status_code == 403  # admins only, as the CSV
    admin = app.test_client()
    login(admin, users["admin"])
    html = admin.get("/curate/audit?action=edit").get_data(as_text=True)
    assert "Opioid tapering guidance</span> → <span class=\"change-new\">Opioid tapering (2024)" in html
    assert "2023-01-15</span> → <span class=\"change-new\">2024-05-05" in html
    assert "<td>Signed in</td>" not in html  # filtered to edits
    assert "1 entry" in html
    assert "1 entry" in admin.get("/curate/audit?user=cara&target=taper").get_data(as_text=True)
    assert "0 entries" in admin.get("/curate/audit?user=ada&action=edit").get_data(as_text=True)
    assert admin.get("/curate/audit?from=2020-99-01").status_code == 400


def test_gaps_count_searches_without_answers_and_keep_no_text(make_app, settings, users, fake_kb):
    from dataclasses import replace

    app = make_app()
    c = app.test_client()
    c.get("/?q=zzzqqq+nothing+matches")
    c.get("/api/search?q=another+unmatched+xyzzy")
    c.get("/?q=oxycodone")  # answered: not a gap
    conn = _db(app)
    assert [tuple(r) for r in conn.execute("SELECT status, n FROM search_gaps")] == [("no_results", 2)]
    assert conn.execute("SELECT COUNT(*) FROM search_gap_queries").fetchone()[0] == 0
    login(c, users["curator"])
    html = c.get("/curate/gaps").get_data(as_text=True)
    assert "Found nothing: <strong>2</strong>" in html and "zzzqqq" not in html
    logging_app = make_app(settings_=replace(settings, log_queries=True))
    logging_app.test_client().get("/?q=zzzqqq+logged")
    assert _db(logging_app).execute("SELECT query FROM search_gap_queries").fetchone()[0] == "zzzqqq logged"


def test_gap_status_prefers_the_answer_status():
    from types import SimpleNamespace

    from webapp.gaps import gap_status

    assert gap_status(SimpleNamespace(hits=[], answer_status=None)) == "no_results"
    assert gap_status(SimpleNamespace(hits=[1], answer_status="out_of_scope")) == "out_of_scope"
    assert gap_status(SimpleNamespace(hits=[1], answer_status="no_direct_answer")) == "no_direct_answer"
    assert gap_status(SimpleNamespace(hits=[1], answer_status="answered")) is None
    assert gap_status(SimpleNamespace(hits=[1])) is None


# ---------------------------------------------------------------- API tokens, rate limits


def test_api_token_authenticates_read_only_and_can_be_revoked(make_app, settings, users):
    from dataclasses import replace

    from webapp.tokens import create_token, open_db

    app = make_app(settings_=replace(settings, require_login=True))
    c = app.test_client()
    assert c.get("/api/search?q=oxycodone").status_code == 401
    conn = open_db(settings)
    token_id, token = create_token(conn, "clinic EMR", "ada")
    stored = conn.execute("SELECT token_hash FROM api_tokens").fetchone()[0]
    assert token not in stored and len(stored) == 64  # only a hash is kept
    auth = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/search?q=oxycodone", headers=auth).status_code == 200
    assert c.get("/api/documents/opioid-taper", headers=auth).status_code == 200
    # read-only, API only: no pages, no curator area, no writes
    assert c.get("/", headers=auth).status_code == 302
    assert c.get("/curate/", headers=auth).status_code == 302
    assert c.post("/api/search?q=x", headers=auth).status_code in (401, 405)
    forged = c.get("/api/search?q=oxycodone", headers={"Authorization": "Bearer ppt_forged"})
    assert forged.status_code == 401 and forged.headers["WWW-Authenticate"].startswith("Bearer")
    from webapp.tokens import revoke_token

    revoke_token(conn, token_id)
    assert c.get("/api/search?q=oxycodone", headers=auth).status_code == 401
    conn.close()


def test_admin_creates_and_revokes_tokens_in_the_curator_area(make_app, users):
    app = make_app()
    c = app.test_client()
    login(c, users["curator"])
    assert c.get("/curate/tokens").status_code == 403
    login(c, users["admin"])
    html = c.post("/curate/tokens", data={"name": "EMR"}).get_data(as_text=True)
    token = re.search(r'<code id="new-token">(ppt_[^<]+)</code>', html).group(1)
    assert c.get("/api/search?q=oxycodone", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert c.post("/curate/tokens/1/revoke").status_code == 302
    assert c.get("/api/search?q=oxycodone", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    listing = c.get("/curate/tokens").get_data(as_text=True)
    assert token not in listing and "Revoked" in listing


def test_rate_limited_responses_say_when_to_retry(make_app):
    c = make_app(RATELIMIT_ENABLED=True, SEARCH_RATE_LIMIT="1/minute").test_client()
    assert c.get("/api/search?q=oxycodone").status_code == 200
    r = c.get("/api/search?q=oxycodone")
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 61
    c.get("/?q=oxycodone")
    page = c.get("/?q=oxycodone")
    assert page.status_code == 429 and int(page.headers["Retry-After"]) >= 1


def test_cli_tokens_and_least_privilege_users(tmp_path):
    from click.testing import CliRunner

    from kb_cli import cli

    home = tmp_path / "kb"
    home.mkdir()
    (home / "catalog.db").touch()
    run = CliRunner()
    added = run.invoke(cli, ["--home", str(home), "users", "add", "newbie", "--password", PASSWORD])
    assert added.exit_code == 0 and "(physician)" in added.output
    made = run.invoke(cli, ["--home", str(home), "tokens", "add", "EMR"])
    assert made.exit_code == 0
    token = made.output.strip().splitlines()[-1]
    assert token.startswith("ppt_")
    listed = run.invoke(cli, ["--home", str(home), "tokens", "list"])
    assert "EMR" in listed.output and token not in listed.output
    assert run.invoke(cli, ["--home", str(home), "tokens", "revoke", "1"]).exit_code == 0
    assert "revoked" in run.invoke(cli, ["--home", str(home), "tokens", "list"]).output
    assert run.invoke(cli, ["--home", str(home), "tokens", "revoke", "7"]).exit_code == 1


def test_behind_a_tls_proxy_cookies_are_secure_and_links_https(make_app, settings, users):
    from dataclasses import replace

    app = make_app(settings_=replace(settings, behind_tls=True, proxy_hops=1))
    c = app.test_client()
    r = login(c, users["curator"])
    assert "Secure" in r.headers["Set-Cookie"]
    hit = c.get("/api/search?q=oxycodone", headers={"X-Forwarded-Proto": "https",
                                                    "X-Forwarded-Host": "kb.clinic.example"}).get_json()["hits"][0]
    assert hit["url"].startswith("https://kb.clinic.example/documents/")
    plain = make_app().test_client()
    assert "Secure" not in login(plain, users["curator"]).headers["Set-Cookie"]


def test_labels_for_topics_times_and_versions(monkeypatch):
    from webapp.render import local_time, topic_label, version_label

    assert [topic_label(t) for t in ("low-back-pain", "oud", "crps", "opioids")] == \
        ["Low back pain", "OUD", "CRPS", "Opioids"]
    monkeypatch.setenv("TZ", "America/Toronto")
    import time

    time.tzset()
    try:
        assert local_time(1796229385.0034766) == "2026-12-02 11:36 EST"
        assert local_time("2026-12-02T16:36:58+00:00") == "2026-12-02 11:36 EST"
        assert local_time("") == "" and local_time("not a time") == "not a time"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert version_label("g000007") == "version 7" and version_label("") == ""
