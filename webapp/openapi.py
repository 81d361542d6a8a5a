"""OpenAPI 3.0 description of the JSON API; tests validate live responses against these schemas."""
from __future__ import annotations

from typing import Any

_STR = {"type": "string"}
_INT = {"type": "integer"}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "What went wrong, for a person to read."},
        "parameter": {"type": "string", "description": "The query parameter at fault (400 only)."},
        "valid": {"type": "array", "items": {"type": "string"},
                  "description": "For an unknown filter value: the values this knowledge base accepts."},
    },
}

HIT = {
    "type": "object",
    "required": ["doc_id", "chunk_id", "title", "text", "score", "section", "page", "doc_type", "source", "date",
                 "reviewed", "tags", "start", "end", "highlights"],
    "properties": {
        "doc_id": _STR,
        "chunk_id": _INT,
        "title": _STR,
        "text": {"type": "string", "description": "The cited passage (document text[start:end])."},
        "score": {"type": "number"},
        "section": {"type": "string", "description": "Heading path of the passage."},
        "page": {"type": "integer", "nullable": True},
        "doc_type": {"type": "string", "description": "echo-case | guideline | other"},
        "source": _STR,
        "date": {"type": "string", "description": "Publication date, YYYY-MM-DD or empty."},
        "reviewed": {"type": "string", "description": "Last-reviewed date, YYYY-MM-DD or empty."},
        "tags": {"type": "array", "items": _STR},
        "start": {"type": "integer", "description": "Offset of the passage in the document text."},
        "end": _INT,
        "filename": _STR,
        "url": {"type": "string", "description": "Absolute link to the document page with this passage highlighted "
                                                  "(API responses only)."},
        "highlights": {
            "type": "array",
            "description": "[start, end] offsets into `text` of the query-matching words.",
            "items": {"type": "array", "items": _INT, "minItems": 2, "maxItems": 2},
        },
    },
}

SEARCH_RESULT = {
    "type": "object",
    "required": ["query", "generation", "mode", "answer_status", "confidence", "corrected_query", "corrections",
                 "answer", "hits"],
    "properties": {
        "query": {"type": "string", "description": "The question as typed."},
        "generation": {"type": "string", "description": "The index generation that answered."},
        "mode": {"type": "string", "enum": ["hybrid", "dense", "bm25"]},
        "answer_status": {
            "type": "string", "enum": ["answered", "no_direct_answer", "out_of_scope"],
            "description": "answered: `answer` quotes the passages that answer; no_direct_answer: in scope, but no "
                           "passage answers directly (the closest sources are in `hits`); out_of_scope: the "
                           "knowledge base does not cover the topic (`answer` is empty, `hits` holds at most 3 "
                           "nearest passages, probably not relevant).",
        },
        "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                       "description": "Estimated probability that the first answer unit answers the question."},
        "corrected_query": {"type": "string",
                            "description": "The query as searched when a misspelling was corrected, else empty "
                                           "(pass exact=1 to search the words as typed)."},
        "corrections": {"type": "array", "items": {"type": "array", "items": _STR},
                        "description": "[typed, searched] for each corrected word."},
        "answer": {
            "type": "array",
            "description": "Extractive answer: up to 3 answer units, each verbatim from one cited hit.",
            "items": {
                "type": "object",
                "required": ["text", "hit", "start", "end", "citation", "role", "context"],
                "properties": {
                    "text": {"type": "string", "description": "hits[hit].text[start:end], verbatim."},
                    "hit": {"type": "integer", "description": "0-based index into `hits`."},
                    "start": {"type": "integer", "description": "Offset of the unit in hits[hit].text."},
                    "end": {"type": "integer", "description": "End offset (exclusive) in hits[hit].text."},
                    "citation": {"type": "integer", "description": "1-based source number, as shown: hit + 1."},
                    "role": {"type": "string", "enum": ["sentence", "item", "row", "definition"]},
                    "context": {"type": "string", "description": "A list item's lead-in, or a table row's header "
                                                                 "row; verbatim from the same document."},
                    "table": {"type": ["object", "null"], "description": "For a table row: header and row cells.",
                              "properties": {"header": {"type": "array", "items": _STR},
                                             "row": {"type": "array", "items": _STR}}},
                    "score": {"type": "number"},
                },
            },
        },
        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"},
                 "description": "The k ranked passages, then any passage the answer quotes that is not among them."},
    },
}

DOCUMENT = {
    "type": "object",
    "required": ["doc_id", "title", "doc_type", "source", "published", "reviewed", "tags", "filename", "basis",
                 "text", "content_hash", "n_chunks", "sections"],
    "properties": {
        "doc_id": _STR, "title": _STR, "doc_type": _STR, "source": _STR, "published": _STR, "reviewed": _STR,
        "tags": {"type": "array", "items": _STR}, "filename": _STR, "basis": _STR,
        "text": {"type": "string", "description": "Full extracted text; hit offsets refer to it."},
        "content_hash": _STR, "n_chunks": _INT,
        "sections": {
            "type": "array",
            "description": "The document's typed blocks in order; `start`/`end` are offsets into `text`.",
            "items": {
                "type": "object",
                "required": ["start", "end", "heading"],
                "properties": {
                    "start": _INT, "end": _INT, "heading": _STR,
                    "page": {"type": "integer", "nullable": True},
                    "kind": {"type": "string",
                             "enum": ["heading", "paragraph", "list_item", "table", "quote", "code"]},
                    "level": {"type": "integer", "description": "Heading level (1-6); 0 for other kinds."},
                    "depth": {"type": "integer", "description": "List nesting, 0 at the top level."},
                    "number": {"type": "integer", "nullable": True,
                               "description": "An ordered list item's number (its text starts with 'N. ')."},
                    "heading_path": {"type": "array", "items": _STR},
                    "header": {"type": "boolean", "description": "A table's first row is its header row."},
                    "rows": {"type": "array", "items": {"type": "array", "items": _STR},
                             "description": "A table's cells, row by row (empty for other kinds)."},
                },
            },
        },
        "original": {
            "type": "object", "nullable": True,
            "description": "The kept original file (download: /documents/{doc_id}/original).",
            "properties": {"sha256": _STR, "suffix": _STR, "bytes": _INT, "media_type": _STR,
                           "pages": {"type": "integer", "nullable": True}},
        },
    },
}

HEALTH = {
    "type": "object",
    "required": ["status", "generation", "documents", "chunks"],
    "properties": {"status": {"type": "string", "enum": ["ok"]}, "generation": _STR, "documents": _INT,
                   "chunks": _INT},
}


def _err(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, schema: str, headers: dict | None = None) -> dict:
    out: dict[str, Any] = {"description": description,
                           "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    if headers:
        out["headers"] = headers
    return out


def _list_param(name: str, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "style": "form", "explode": True, "schema": {"type": "array", "items": {"type": "string"}}}


def openapi_document() -> dict:
    """Built on request (it is small) so it always matches the code."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Practice Partner API",
            "version": "1.0.0",
            "description": "Search over chronic pain / opioid guidance and de-identified Project ECHO case "
                           "recommendations. Content supports professional judgement; it is not patient-specific "
                           "advice. When KB_REQUIRE_LOGIN=1 every /api/ route except this document needs a "
                           "logged-in session or an API token (401 otherwise). Tokens are created by an admin "
                           "(`kb tokens add NAME` or the curator area), are read-only, and are sent as "
                           "`Authorization: Bearer ppt_...`.",
        },
        "security": [{}, {"bearerToken": []}, {"sessionCookie": []}],
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Search the knowledge base (same JSON as `kb search --json`).",
                    "operationId": "search",
                    "parameters": [
                        {"name": "q", "in": "query", "required": True, "description": "The question (1-500 chars).",
                         "schema": {"type": "string", "minLength": 1, "maxLength": 500}},
                        {"name": "k", "in": "query", "required": False, "description": "Number of hits.",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}},
                        _list_param("type", "Document type filter (echo-case, guideline, other); repeatable. "
                                    "Any other value is a 400 listing the valid ones."),
                        _list_param("source", "Source organisation filter; repeatable; must name a source in the "
                                    "knowledge base (else 400 with the valid values)."),
                        _list_param("tag", "Topic tag filter; repeatable; must name a tag in the knowledge base "
                                    "(else 400 with the valid values)."),
                        {"name": "from", "in": "query", "required": False,
                         "description": "Earliest publication date (inclusive).",
                         "schema": {"type": "string", "format": "date"}},
                        {"name": "to", "in": "query", "required": False,
                         "description": "Latest publication date (inclusive).",
                         "schema": {"type": "string", "format": "date"}},
                        {"name": "mode", "in": "query", "required": False,
                         "schema": {"type": "string", "enum": ["hybrid", "dense", "bm25"], "default": "hybrid"}},
                        {"name": "exact", "in": "query", "required": False,
                         "description": "1: search the words as typed, without misspelling correction.",
                         "schema": {"type": "string", "enum": ["0", "1"], "default": "0"}},
                    ],
                    "responses": {
                        "200": _ok("Ranked hits and an extractive answer.", "SearchResult",
                                   {"X-KB-Generation": {"description": "Generation that answered.",
                                                        "schema": {"type": "string"}}}),
                        "400": _err("Missing, empty or oversized query, a bad k, date or mode, or an unknown "
                                    "filter value (`valid` lists the accepted ones)."),
                        "401": _err("Login or an API token required (KB_REQUIRE_LOGIN=1), or the token is "
                                    "unknown or revoked."),
                        "429": {**_err("Rate limit exceeded."),
                                "headers": {"Retry-After": {"description": "Seconds to wait before retrying.",
                                                            "schema": {"type": "integer"}}}},
                        "503": _err("Nothing has been indexed yet, or the index is unavailable."),
                    },
                }
            },
            "/api/documents/{doc_id}": {
                "get": {
                    "summary": "A document's metadata, full text and sections.",
                    "operationId": "getDocument",
                    "parameters": [{"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": _ok("The document.", "Document"),
                        "401": _err("Login or an API token required (KB_REQUIRE_LOGIN=1), or the token is "
                                    "unknown or revoked."),
                        "404": _err("No document has this id."),
                        "503": _err("The index is unavailable."),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness and the live generation's size.",
                    "operationId": "health",
                    "security": [{}],
                    "responses": {
                        "200": _ok("Serving.", "Health"),
                        "503": _err("Nothing has been indexed yet, or the index is unavailable."),
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document.",
                    "operationId": "openapi",
                    "security": [{}],
                    "responses": {"200": {"description": "OpenAPI 3.0 document.",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}},
                }
            },
        },
        "components": {
            "schemas": {"Error": ERROR, "Hit": HIT, "SearchResult": SEARCH_RESULT, "Document": DOCUMENT,
                        "Health": HEALTH},
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer",
                                "description": "A read-only API token (`ppt_...`) created by an admin; revocable."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session",
                                  "description": "The browser session after signing in at /login."},
            },
        },
    }
