"""JSON API: exact result.to_dict(), errors with status codes, health, and the OpenAPI document vs live routes."""
from __future__ import annotations

import jsonschema
import pytest

from fake_kb import FakeKB
from index.types import SearchFilters


def test_api_search_returns_exactly_to_dict(client, fake_kb):
    r = client.get("/api/search", query_string={"q": "taper oxycodone", "k": "3"})
    assert r.status_code == 200
    expected = fake_kb.search("taper oxycodone", k=3, filters=SearchFilters()).to_dict()
    for hit in expected["hits"]:  # plus a link to each cited passage
        hit["url"] = f"http://localhost/documents/{hit['doc_id']}?start={hit['start']}&end={hit['end']}#passage"
    assert r.get_json() == expected
    assert list(r.get_json().keys()) == list(expected.keys())  # same key order as `kb search --json`
    assert r.headers["X-KB-Generation"] == expected["generation"]
    assert r.mimetype == "application/json"


def test_api_search_filters_and_mode(client, fake_kb):
    client.get("/api/search?q=oxycodone&type=guideline&type=echo-case&tag=oud&source=Project+ECHO+Ontario&from=2020-01-01"
               "&to=2021-01-01&mode=bm25")
    _, q, k, f, mode = fake_kb.calls[-1]
    assert f.doc_types == ("guideline", "echo-case") and f.tags == ("oud",) and f.sources == ("Project ECHO Ontario",)
    assert (f.date_from, f.date_to, mode, k) == ("2020-01-01", "2021-01-01", "bm25", 10)


@pytest.mark.parametrize("qs", [
    {}, {"q": ""}, {"q": "   "}, {"q": "x" * 501}, {"q": "a", "k": "0"}, {"q": "a", "k": "51"}, {"q": "a", "k": "ten"},
    {"q": "a", "from": "2020-13-01"}, {"q": "a", "from": "2021-01-01", "to": "2020-01-01"}, {"q": "a", "mode": "magic"},
])
def test_api_search_400(client, qs):
    r = client.get("/api/search", query_string=qs)
    assert r.status_code == 400
    body = r.get_json()
    assert set(body) <= {"error", "parameter", "valid"} and body["error"]


def test_api_search_accepts_500_chars(client):
    assert client.get("/api/search", query_string={"q": "o" * 500}).status_code == 200


def test_api_empty_kb_503(make_app):
    c = make_app(kb=FakeKB([])).test_client()
    r = c.get("/api/search?q=oxycodone")
    assert r.status_code == 503 and "error" in r.get_json()
    h = c.get("/healthz")
    assert h.status_code == 503 and "error" in h.get_json()


def test_api_document(client, fake_kb):
    r = client.get("/api/documents/opioid-taper")
    assert r.status_code == 200
    assert r.get_json() == fake_kb.get_document("opioid-taper").to_dict(with_text=True)


def test_api_document_404(client):
    r = client.get("/api/documents/missing")
    assert r.status_code == 404 and "missing" in r.get_json()["error"]


def test_api_unknown_route_is_json_404(client):
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.get_json() == {"error": "Not found."}


def test_healthz(client, fake_kb):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "generation": fake_kb.generation, "documents": 3,
                            "chunks": fake_kb.stats()["chunks"]}


# ---------------------------------------------------------------- OpenAPI vs live routes


def _resolve(spec: dict, schema: dict) -> dict:
    """Turn the OpenAPI component refs and 3.0 `nullable` into plain JSON Schema for jsonschema."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return _resolve(spec, spec["components"]["schemas"][name])
        out = {k: _resolve(spec, v) for k, v in schema.items() if k != "nullable"}
        if schema.get("nullable"):
            out["type"] = [schema["type"], "null"]
        return out
    if isinstance(schema, list):
        return [_resolve(spec, s) for s in schema]
    return schema


def _check(spec: dict, path: str, response) -> None:
    op = spec["paths"][path]["get"]
    documented = op["responses"]
    assert str(response.status_code) in documented, f"{path} answered {response.status_code}, undocumented"
    media = documented[str(response.status_code)]["content"]["application/json"]
    jsonschema.validate(response.get_json(), _resolve(spec, media["schema"]))
    for header in documented[str(response.status_code)].get("headers", {}):
        assert header in response.headers


def test_openapi_is_valid_and_matches_live_responses(client, make_app):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    # every JSON route of the app is documented, and every documented path exists
    app = client.application
    live = {str(r.rule).replace("<path:doc_id>", "{doc_id}") for r in app.url_map.iter_rules()
            if str(r.rule).startswith("/api/") or str(r.rule) == "/healthz"}
    assert live == set(spec["paths"])
    # every documented parameter is accepted by the live route
    params = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert params == {"q", "k", "type", "source", "tag", "from", "to", "mode", "exact"}
    cases = [
        ("/api/search", "/api/search?q=taper+oxycodone&k=2"),
        ("/api/search", "/api/search?q=oxycodone&type=guideline&tag=tapering&from=2000-01-01&mode=hybrid"),
        ("/api/search", "/api/search?q=zzzz"),
        ("/api/search", "/api/search"),
        ("/api/search", "/api/search?q=a&k=99"),
        ("/api/search", "/api/search?q=a&type=pamphlet"),
        ("/api/documents/{doc_id}", "/api/documents/opioid-taper"),
        ("/api/documents/{doc_id}", "/api/documents/nope"),
        ("/healthz", "/healthz"),
        ("/api/openapi.json", "/api/openapi.json"),
    ]
    for path, url in cases:
        _check(spec, path, client.get(url))
    empty = make_app(kb=FakeKB([])).test_client()
    _check(spec, "/healthz", empty.get("/healthz"))
    _check(spec, "/api/search", empty.get("/api/search?q=x"))
    limited = make_app(RATELIMIT_ENABLED=True, SEARCH_RATE_LIMIT="1/minute").test_client()
    limited.get("/api/search?q=oxycodone")
    _check(spec, "/api/search", limited.get("/api/search?q=oxycodone"))  # 429 with its documented Retry-After
    _check(spec, "/api/search", client.get("/api/search?q=a", headers={"Authorization": "Bearer ppt_forged"}))
    # the search schema really constrains: a broken hit fails validation
    bad = client.get("/api/search?q=oxycodone").get_json()
    bad["hits"][0].pop("doc_id")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, _resolve(spec, spec["components"]["schemas"]["SearchResult"]))


@pytest.mark.parametrize("param,value,valid", [
    ("type", "pamphlet", ["guideline", "echo-case", "other"]),
    ("tag", "no-such-topic", ["buprenorphine", "misc", "opioids", "oud", "tapering"]),
    ("source", "Nobody", ["Bad <i>Org</i>", "Ontario Guidance Group", "Project ECHO Ontario"]),
])
def test_unknown_filter_value_is_a_400_listing_the_valid_values(client, fake_kb, param, value, valid):
    r = client.get("/api/search", query_string={"q": "oxycodone", param: value})
    assert r.status_code == 400
    body = r.get_json()
    assert body["parameter"] == param and body["valid"] == valid
    assert value in body["error"] and all(v in body["error"] for v in valid)
    assert not [c for c in fake_kb.calls if c[0] == "search"], "an unknown value never reaches the index"


def test_hits_carry_a_url_to_the_cited_passage(client):
    hit = client.get("/api/search", query_string={"q": "taper oxycodone"}).get_json()["hits"][0]
    page = client.get(hit["url"].replace("http://localhost", ""))
    assert page.status_code == 200 and 'id="passage"' in page.get_data(as_text=True)
