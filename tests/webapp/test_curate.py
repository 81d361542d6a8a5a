"""Curator area with the fake KB: upload, documents, edit, delete, re-index job, feedback report, quarantine, audit."""
from __future__ import annotations

import io
import json
import threading
import time

from webapp import store
from webapp.db import connect


def _audit(app) -> list[tuple]:
    conn = connect(app.config["DATABASE"])
    return [tuple(r) for r in conn.execute("SELECT user, action, target, detail FROM audit ORDER BY id")]


def test_dashboard(curator, fake_kb):
    html = curator.get("/curate/").get_data(as_text=True)
    assert "version 1" in html and fake_kb.generation not in html and "Start re-index" in html
    assert "Audit log (CSV)" not in html  # curators do not see the admin link


def test_upload_with_metadata(curator, fake_kb, app):
    data = {
        "files": [(io.BytesIO(b"# Naloxone\n\nGive naloxone kits."), "Naloxone Kits.md"),
                  (io.BytesIO(b"Plain text about tapering."), "../../etc/passwd.txt")],
        "doc_type": "guideline", "source": "Ontario Org", "tags": "naloxone, harm reduction",
        "published": "2024-01-02", "reviewed": "2024-02-03",
    }
    r = curator.post("/curate/upload", data=data, content_type="multipart/form-data")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    kind, names, overrides, redact = fake_kb.calls[-1]
    assert kind == "ingest" and names == ["Naloxone_Kits.md", "etc_passwd.txt"]
    assert overrides == {"doc_type": "guideline", "source": "Ontario Org", "published": "2024-01-02",
                         "reviewed": "2024-02-03", "tags": ["naloxone", "harm reduction"]}
    assert redact is False
    assert "Naloxone Kits.md" in html and "added" in html and "naloxone-kits" in html
    assert fake_kb.get_document("naloxone-kits").source == "Ontario Org"
    assert ("cara", "upload", "naloxone-kits", "added: Naloxone_Kits.md") in _audit(app)
    # text never enters the audit log
    assert all("Give naloxone" not in " ".join(row) for row in _audit(app))


def test_upload_single_file_title_override(curator, fake_kb):
    curator.post("/curate/upload", data={"files": [(io.BytesIO(b"text"), "a.md")], "title": "My Title"},
                 content_type="multipart/form-data")
    assert fake_kb.calls[-1][2] == {"title": "My Title"}


def test_upload_rejects_bad_suffix_with_message(curator, fake_kb):
    r = curator.post("/curate/upload", data={"files": [(io.BytesIO(b"MZ"), "virus.exe"),
                                                       (io.BytesIO(b"ok"), "fine.txt")]},
                     content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert "virus.exe" in html and "rejected" in html and "not accepted" in html and ".pdf" in html
    assert fake_kb.calls[-1][1] == ["fine.txt"]


def test_upload_validation_errors(curator):
    r = curator.post("/curate/upload", data={"files": [(io.BytesIO(b"x"), "a.md")], "published": "last year",
                                             "doc_type": "blog"}, content_type="multipart/form-data")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "YYYY-MM-DD" in html and "Document type must be one of" in html
    r = curator.post("/curate/upload", data={}, content_type="multipart/form-data")
    assert r.status_code == 400 and "Choose at least one file" in r.get_data(as_text=True)


def test_upload_duplicate_names_are_made_unique(curator, fake_kb):
    curator.post("/curate/upload", data={"files": [(io.BytesIO(b"a"), "x.md"), (io.BytesIO(b"b"), "x.md")]},
                 content_type="multipart/form-data")
    assert fake_kb.calls[-1][1] == ["x.md", "x-2.md"]


def test_upload_quarantine_shows_masked_findings(curator, fake_kb):
    r = curator.post("/curate/upload", data={"files": [(io.BytesIO(b"Patient MRN 1234567"), "case.md")]},
                     content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert "quarantined" in html and "MRN ****67" in html and "1234567" not in html


def test_upload_locked(curator, fake_kb):
    fake_kb.locked = True
    r = curator.post("/curate/upload", data={"files": [(io.BytesIO(b"a"), "x.md")]}, content_type="multipart/form-data")
    assert r.status_code == 409 and "write lock" in r.get_data(as_text=True)


def test_upload_too_large_413(make_app, settings, users, fake_kb):
    import dataclasses
    from webapp_testutil import login
    app = make_app(settings_=dataclasses.replace(settings, max_file_mb=1))
    c = app.test_client()
    login(c, "cara")
    r = c.post("/curate/upload", data={"files": [(io.BytesIO(b"x" * (1024 * 1024 + 10)), "big.txt")]},
               content_type="multipart/form-data")
    assert r.status_code == 413
    assert "1 MB" in r.get_data(as_text=True)


def test_documents_list_and_filter(curator):
    html = curator.get("/curate/documents").get_data(as_text=True)
    assert "opioid-taper" in html and "bup-micro" in html and "3 document(s)" in html
    html = curator.get("/curate/documents?q=BUPRENORPHINE").get_data(as_text=True)
    assert "bup-micro" in html and "opioid-taper" not in html and "1 document(s)" in html
    html = curator.get("/curate/documents?q=taper").get_data(as_text=True)
    assert "opioid-taper" in html
    # untrusted title escaped in the curator list too
    assert "<script>alert" not in curator.get("/curate/documents").get_data(as_text=True)


def test_edit_metadata(curator, fake_kb, app):
    html = curator.get("/curate/documents/opioid-taper/edit").get_data(as_text=True)
    assert 'value="Opioid tapering guidance"' in html
    r = curator.post("/curate/documents/opioid-taper/edit", data={
        "title": "Opioid tapering (2024)", "doc_type": "guideline", "source": "Ontario Guidance Group",
        "published": "2021-03-01", "reviewed": "2024-05-05", "tags": "tapering, opioids"})
    assert r.status_code == 302
    assert fake_kb.calls[-1] == ("update", "opioid-taper", {"title": "Opioid tapering (2024)", "reviewed": "2024-05-05"})
    edits = [json.loads(a[3]) for a in _audit(app) if a[1] == "edit" and a[2] == "opioid-taper"]
    assert edits == [{"changes": {"reviewed": ["2023-01-15", "2024-05-05"],
                                  "title": ["Opioid tapering guidance", "Opioid tapering (2024)"]}}]
    bad = curator.post("/curate/documents/opioid-taper/edit", data={"title": "", "reviewed": "soon"})
    assert bad.status_code == 400
    assert curator.get("/curate/documents/nope/edit").status_code == 404


def test_delete(curator, fake_kb, app):
    html = curator.get("/curate/documents/bup-micro/delete").get_data(as_text=True)
    assert "Delete document" in html
    r = curator.post("/curate/documents/bup-micro/delete")
    assert r.status_code == 302
    assert "bup-micro" not in fake_kb.docs
    assert ("cara", "delete", "bup-micro", "") in _audit(app)
    assert curator.post("/curate/documents/bup-micro/delete").status_code == 404


def test_a_held_write_lock_says_try_again_and_changes_nothing(curator, fake_kb, app):
    fake_kb.locked = True
    r = curator.post("/curate/documents/bup-micro/delete", follow_redirects=True)
    assert "write lock held" in r.get_data(as_text=True) and "bup-micro" in fake_kb.docs
    assert not [row for row in _audit(app) if row[1] == "delete"]


def test_reindex_job_runs_in_background_and_reports(curator, fake_kb, app):
    gate = threading.Event()
    fake_kb.reindex_gate = gate
    before = fake_kb.gen
    r = curator.post("/curate/reindex")
    assert r.status_code == 302
    url = r.headers["Location"]
    html = curator.get(url).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html and "running" in html
    assert 'aria-live="polite"' in html and "job.js" in html
    progress = curator.get(url + ".json").get_json()
    assert progress["state"] == "running" and progress["message"]
    gate.set()
    for _ in range(100):
        html = curator.get(url).get_data(as_text=True)
        if "done" in html:
            break
        time.sleep(0.05)
    assert 'id="job-state">done' in html and f"version {before + 1}" in html
    assert 'http-equiv="refresh"' not in html
    assert any(a[1] == "reindex" for a in _audit(app))
    assert curator.get("/curate/jobs/999").status_code == 404


def test_reindex_locked_reports_failure(curator, fake_kb):
    fake_kb.locked = True
    url = curator.post("/curate/reindex").headers["Location"]
    for _ in range(100):
        html = curator.get(url).get_data(as_text=True)
        if "failed" in html:
            break
        time.sleep(0.05)
    assert "failed" in html and "write lock" in html


def test_feedback_report_groups_not_helpful_by_document(curator, client):
    for q, doc, verdict in [("taper oxy", "opioid-taper", "not_helpful"), ("taper fast", "opioid-taper", "not_helpful"),
                            ("bup", "bup-micro", "not_helpful"), ("taper", "opioid-taper", "helpful")]:
        client.post("/feedback", data={"q": q, "doc_id": doc, "chunk_id": "1", "generation": "g1", "verdict": verdict})
    html = curator.get("/curate/feedback").get_data(as_text=True)
    assert html.index("Opioid tapering guidance") < html.index("ECHO case: buprenorphine")
    assert "(2 not helpful, 1 helpful)" in html
    assert "taper oxy" not in html and "not kept" in html  # question text is kept only with KB_LOG_QUERIES=1


def test_quarantine_list_and_release(curator, fake_kb, app):
    curator.post("/curate/upload", data={"files": [(io.BytesIO(b"Patient MRN 1234567"), "case.md")]},
                 content_type="multipart/form-data")
    html = curator.get("/curate/quarantine").get_data(as_text=True)
    assert "case.md" in html and "MRN ****67" in html
    r = curator.post("/curate/quarantine/1/release", data={"redact": "1"})
    assert r.status_code == 302
    assert "case" in fake_kb.docs and "[REDACTED]" in fake_kb.docs["case"].text
    assert ("cara", "release_redacted", "case", "quarantine 1") in _audit(app)
    assert "Nothing is in quarantine" in curator.get("/curate/quarantine").get_data(as_text=True)
    r = curator.post("/curate/quarantine/99/release", follow_redirects=True)
    assert "Could not release 99" in r.get_data(as_text=True)
    assert curator.post("/curate/quarantine/zzz/release").status_code == 404


def test_audit_csv_neutralises_formulas(admin, app, fake_kb):
    store.audit(connect(app.config["DATABASE"]), "x", "upload", target="=HYPERLINK(1)")
    text = admin.get("/curate/audit.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text


def test_reports_and_admin_pages_share_the_curator_guard(client, users):
    """The nested report and admin blueprints answer under /curate behind the curator area's role check."""
    from webapp_testutil import login

    for path in ("/curate/feedback", "/curate/gaps", "/curate/audit", "/curate/tokens"):
        assert client.get(path).status_code == 302  # anonymous: to the login page
    login(client, "phil")
    for path in ("/curate/feedback", "/curate/gaps", "/curate/audit", "/curate/tokens"):
        assert client.get(path).status_code == 403, path
    client.post("/logout")
    login(client, "cara")
    assert client.get("/curate/feedback").status_code == 200
    assert client.get("/curate/gaps").status_code == 200
    assert client.get("/curate/audit").status_code == 403  # admin only
