"""One Flask handler renders every KBError: its own status, JSON under /api/, an HTML page elsewhere."""
from __future__ import annotations

from index.errors import CorruptIndex, KBError


class _Broken:
    """A knowledge base whose reads fail with a given error (plumbing test: the handler, not the KB)."""

    def __init__(self, error: KBError) -> None:
        self.error = error

    def _fail(self, *args, **kwargs):
        raise self.error

    get_document = search = stats = list_documents = original_file = _fail


def test_an_unknown_document_is_a_404_page_and_a_404_json(client):
    page = client.get("/documents/no-such-doc")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "no-such-doc" in page.get_data(as_text=True)
    api = client.get("/api/documents/no-such-doc")
    assert api.status_code == 404 and "no-such-doc" in api.get_json()["error"]


def test_a_bad_api_parameter_is_a_400_naming_it(client):
    r = client.get("/api/search?q=taper&k=999")
    body = r.get_json()
    assert r.status_code == 400 and body["parameter"] == "k" and "whole number" in body["error"]


def test_each_error_answers_with_its_own_status(make_app):
    corrupt = make_app(kb=_Broken(CorruptIndex("generation g000004: chunks.db does not match its checksum")))
    r = corrupt.test_client().get("/api/documents/x")
    assert r.status_code == 500 and "checksum" in r.get_json()["error"]
    odd = make_app(kb=_Broken(KBError("the catalogue is busy", status=503)))
    page = odd.test_client().get("/documents/x")
    assert page.status_code == 503 and "the catalogue is busy" in page.get_data(as_text=True)


def test_an_empty_kb_is_worded_for_physicians_not_operators(make_app, fake_kb):
    from index.errors import KBEmpty

    app = make_app(kb=_Broken(KBEmpty("the knowledge base at /srv/kb is empty: run `kb ingest PATH` first")))
    r = app.test_client().get("/api/search?q=taper")
    assert r.status_code == 503 and "/srv/kb" not in r.get_json()["error"]
    assert "curator" in r.get_json()["error"]
