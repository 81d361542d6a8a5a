"""Physician pages (search, document view, feedback) and the JSON API over the same KnowledgeBase."""
from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from typing import Any

from flask import (Blueprint, Response, current_app, flash, g, jsonify, redirect, render_template, request,
                   send_file, url_for)

from index.errors import DocumentNotFound, KBEmpty, KBError, QueryError
from index.originals import label as original_label
from index.types import SearchFilters

from . import error_response
from .auth import _safe_next, reader_required
from .db import get_db, now
from .openapi import openapi_document
from .render import (block_nodes, doc_type_label, first_marked, parse_date, passage_split, review_status, segments,
                     table_of_contents)

bp = Blueprint("search", __name__)
log = logging.getLogger("webapp.search")

MAX_QUERY = 500
MAX_FACETS = 200
MAX_K = 50
DEFAULT_K = 10
MODES = ("hybrid", "dense", "bm25")  # as index.search.MODES (not imported: it pulls numpy)
DOC_TYPES = ("guideline", "echo-case", "other")
EXAMPLES = (
    "how fast can I taper oxycodone 120 mg/day?",
    "bup micro induction from 90 MME oxy",
    "UDT negative for prescribed opioid",
    "naloxone kit counselling for a patient on long-term opioids",
)
EMPTY_MESSAGE = "The knowledge base is empty: a curator needs to add documents before anything can be searched."

_facets_lock = threading.Lock()


class BadRequest(ValueError):
    """A request parameter a user can fix; shown as a 400 with the message."""


def kb() -> Any:
    """The per-worker KnowledgeBase created in create_app."""
    return current_app.extensions["kb"]


def parse_k(raw: str | None) -> int:
    """k must be a whole number from 1 to MAX_K."""
    if raw is None or raw == "":
        return DEFAULT_K
    try:
        k = int(raw)
    except ValueError:
        raise BadRequest(f"k must be a whole number from 1 to {MAX_K}") from None
    if not 1 <= k <= MAX_K:
        raise BadRequest(f"k must be a whole number from 1 to {MAX_K}")
    return k


def parse_query(raw: str | None) -> str:
    """Reject missing, blank and oversized queries before they reach the index."""
    q = (raw or "").strip()
    if not q:
        raise BadRequest("the query (q) is missing or empty")
    if len(q) > MAX_QUERY:
        raise BadRequest(f"the query is longer than {MAX_QUERY} characters")
    return q


def parse_filters(args: Any) -> SearchFilters:
    """type/source/tag may repeat; from/to are YYYY-MM-DD publication-date bounds."""

    def many(name: str) -> tuple[str, ...]:
        return tuple(v.strip() for v in args.getlist(name) if v and v.strip())

    date_from = (args.get("from") or "").strip()
    date_to = (args.get("to") or "").strip()
    for label, value in (("from", date_from), ("to", date_to)):
        if value and parse_date(value) is None:
            raise BadRequest(f"'{label}' must be a date written YYYY-MM-DD")
    if date_from and date_to and date_from > date_to:
        raise BadRequest("'from' is after 'to'")
    return SearchFilters(doc_types=many("type"), sources=many("source"), tags=many("tag"),
                         date_from=date_from, date_to=date_to)


def parse_mode(raw: str | None) -> str:
    mode = (raw or "hybrid").strip() or "hybrid"
    if mode not in MODES:
        raise BadRequest(f"mode must be one of {', '.join(MODES)}")
    return mode


def _log_query(q: str, result_gen: str, n: int) -> None:
    """Query text reaches the log only when the operator opted in with KB_LOG_QUERIES=1."""
    if current_app.extensions["kb_settings"].log_queries:
        log.info("search generation=%s hits=%d q=%r", result_gen, n, q)


def facets() -> dict:
    """Sources and tags for the filter controls, cached per generation so each page view stays cheap."""
    cache = current_app.extensions.setdefault("kb_facets", {})
    try:
        gen = kb().stats()["generation"]
    except KBError:
        return {"sources": [], "tags": []}
    with _facets_lock:
        if cache.get("generation") != gen:
            if hasattr(kb(), "facets"):
                found = kb().facets()
                sources, tags = list(found.get("sources", [])), list(found.get("tags", []))
            else:
                docs = kb().list_documents()
                sources = sorted({d.source for d in docs if d.source})
                tags = sorted({t for d in docs for t in (d.tags or [])})
            # bounded whatever the KB returns, so one document's metadata cannot make every page huge
            cache.update(generation=gen, sources=sources[:MAX_FACETS], tags=tags[:MAX_FACETS])
        return {"sources": cache["sources"], "tags": cache["tags"]}


def _blocks(doc_id: str, start: int, end: int) -> list[dict] | None:
    """The typed blocks under a passage, or None when this knowledge base cannot say (plain rendering then)."""
    finder = getattr(kb(), "blocks", None)
    if finder is None:
        return None
    try:
        return finder(doc_id, start, end)
    except (KBError, sqlite3.Error):
        return None


def _shifted(blocks: list[dict] | None, offset: int) -> list[dict] | None:
    """Blocks with offsets made relative to a passage that starts at `offset` in its document."""
    if blocks is None:
        return None
    return [{**b, "start": b["start"] - offset, "end": b["end"] - offset} for b in blocks]


def hit_view(i: int, hit: Any, back: str = "") -> dict:
    """Everything a result card shows, computed in Python so the template only escapes and prints."""
    blocks = _shifted(_blocks(hit.doc_id, hit.start, hit.end), hit.start)
    focus = [(s, e) for s, e in (hit.highlights or [])]
    hl = ",".join(f"{hit.start + s}-{hit.start + e}" for s, e in focus if 0 <= s < e <= len(hit.text))
    return {
        "n": i + 1,
        "hit": hit,
        "segments": segments(hit.text, hit.highlights),
        "nodes": block_nodes(hit.text, blocks, 0, len(hit.text), focus=focus, headings=False),
        "type_label": doc_type_label(hit.doc_type),
        "review": review_status(hit.date, hit.reviewed),
        "doc_url": url_for("search.document", doc_id=hit.doc_id, start=hit.start, end=hit.end,
                           **({"hl": hl} if hl else {}), **({"back": back} if back else {}), _anchor="passage"),
    }


def parse_spans(raw: str | None, limit: int) -> list[tuple[int, int]]:
    """'s-e,s-e' offsets from a link (at most 8 spans, inside the text); anything malformed is ignored."""
    out: list[tuple[int, int]] = []
    for part in (raw or "").split(",")[:8]:
        a, _, b = part.partition("-")
        if a.isdigit() and b.isdigit() and len(a) < 10 and len(b) < 10 and int(a) < int(b) <= limit:
            out.append((int(a), int(b)))
    return out


def answer_view(a: Any, hit: Any) -> dict:
    """One answer unit with the source it comes from (title, type, date), so each line says where it is from."""
    return {
        "text": a.text, "n": a.hit + 1, "role": getattr(a, "role", "sentence"), "context": getattr(a, "context", ""),
        "table": getattr(a, "table", None), "title": hit.title, "type_label": doc_type_label(hit.doc_type),
        "date": hit.date,
    }


@bp.route("/")
@reader_required
def index() -> Any:
    """The physician's page: one question box, an extractive answer with citations, ranked source cards."""
    args = request.args
    q = args.get("q", "").strip()
    form = {
        "q": q, "type": args.get("type", ""), "source": args.get("source", ""), "tag": args.get("tag", ""),
        "from": args.get("from", ""), "to": args.get("to", ""),
    }
    result = None
    error = None
    status = 200
    hits: list[dict] = []
    answer: list[dict] = []
    if q:
        try:
            q = parse_query(q)
            filters = parse_filters(args)
            k = parse_k(args.get("k"))
            result = kb().search(q, k=k, filters=filters, exact=args.get("exact") == "1")
            _log_query(q, result.generation, len(result.hits))
            back_url = url_for("search.index", **{k: v for k, v in form.items() if v})
            hits = [hit_view(i, h, back_url) for i, h in enumerate(result.hits)]
            answer = [answer_view(a, result.hits[a.hit]) for a in result.answer if 0 <= a.hit < len(hits)]
        except BadRequest as e:
            msg = str(e)
            error, status = msg[:1].upper() + msg[1:] + ".", 400
        except QueryError as e:
            error, status = str(e), 400
        except KBEmpty:
            error, status = EMPTY_MESSAGE, 503
        except KBError as e:
            error, status = f"Search is unavailable: {e}", 503
    back = url_for("search.index", **{k: v for k, v in form.items() if v})
    exact_url = url_for("search.index", exact="1", **{k: v for k, v in form.items() if v})
    searched_url = url_for("search.index", **{**{k: v for k, v in form.items() if v},
                                                "q": result.corrected_query}) if result and result.corrected_query else ""
    resp = render_template(
        "search.html", form=form, result=result, hits=hits, answer=answer, error=error,
        exact_url=exact_url, searched_url=searched_url, status=getattr(result, "answer_status", ""),
        examples=EXAMPLES, doc_types=[(t, doc_type_label(t)) for t in DOC_TYPES], facets=facets(),
        back=back,
    )
    return resp, status


@bp.route("/documents/<path:doc_id>")
@reader_required
def document(doc_id: str) -> Any:
    """The full document with the cited passage in <mark id="passage">, reached by the #passage anchor."""
    try:
        rec = kb().get_document(doc_id)
    except DocumentNotFound:
        return error_response(404, f"No document has the id '{doc_id}'.")
    except KBError as e:
        return error_response(503, f"The knowledge base is unavailable: {e}")
    start = request.args.get("start", type=int)
    end = request.args.get("end", type=int)
    parts = passage_split(rec.text, start, end)
    passage = [(start, end)] if parts else []
    focus = [(s, e) for s, e in parse_spans(request.args.get("hl"), len(rec.text))
             if parts and start <= s and e <= end]
    blocks = rec.sections if rec.sections and "kind" in rec.sections[0] else None
    nodes = first_marked(block_nodes(rec.text, blocks, 0, len(rec.text), passage=passage, focus=focus,
                                     pages=True, skip_title=rec.title))
    back = request.args.get("back", "")
    original = None
    if rec.original and hasattr(kb(), "original_file"):
        original = {"label": original_label(rec.original),
                    "url": url_for("search.original", doc_id=rec.doc_id)}
    return render_template(
        "document.html", doc=rec, parts=parts, asked=start is not None or end is not None,
        type_label=doc_type_label(rec.doc_type), review=review_status(rec.published, rec.reviewed),
        nodes=nodes, toc=table_of_contents(rec.text, blocks, rec.title),
        back=_safe_next(back) if back else "", original=original,
    )


@bp.route("/documents/<path:doc_id>/original")
@reader_required
def original(doc_id: str) -> Any:
    """The curator's original file, always as a download of its own type (never rendered inline)."""
    try:
        path, record, name = kb().original_file(doc_id)
    except DocumentNotFound:
        return error_response(404, f"No original file is kept for the document '{doc_id}'.")
    except KBError as e:
        return error_response(503, f"The knowledge base is unavailable: {e}")
    resp = send_file(path, mimetype=record.get("media_type") or "application/octet-stream", as_attachment=True,
                     download_name=name, max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return resp


@bp.route("/feedback", methods=["POST"])
@reader_required
def feedback() -> Any:
    """Helpful / not helpful on one result; the query text is stored only when query logging is on."""
    f = request.form
    verdict = f.get("verdict", "")
    q = f.get("q", "").strip()
    doc_id = f.get("doc_id", "").strip()
    generation = f.get("generation", "").strip()
    try:
        chunk_id = int(f.get("chunk_id", ""))
    except ValueError:
        chunk_id = -1
    if (verdict not in ("helpful", "not_helpful") or not q or len(q) > MAX_QUERY or not doc_id
            or len(doc_id) > 300 or chunk_id < 0 or len(generation) > 64):
        return error_response(400, "That feedback could not be recorded: the form was incomplete.")
    # the question text is kept only under the query-logging policy (KB_LOG_QUERIES=1); its hash always is
    kept = q if current_app.extensions["kb_settings"].log_queries else ""
    get_db().execute(
        "INSERT INTO feedback (created, query_hash, query, doc_id, chunk_id, generation, verdict) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (now(), hashlib.sha256(q.lower().encode()).hexdigest(), kept, doc_id, chunk_id, generation, verdict),
    )
    flash("Thank you, your feedback was recorded.")
    back = _safe_next(f.get("back"))
    anchor = f.get("n", "")
    return redirect(back + (f"#hit-{int(anchor)}" if anchor.isdigit() else ""))


# ---------------------------------------------------------------- JSON API


def _json_error(status: int, message: str) -> Any:
    return jsonify({"error": message}), status


@bp.route("/api/search")
@reader_required
def api_search() -> Any:
    """Exactly result.to_dict(), the JSON of `kb search --json`, with the generation also in a header."""
    try:
        q = parse_query(request.args.get("q"))
        k = parse_k(request.args.get("k"))
        filters = parse_filters(request.args)
        mode = parse_mode(request.args.get("mode"))
        result = kb().search(q, k=k, filters=filters, mode=mode, exact=request.args.get("exact") == "1")
    except (BadRequest, QueryError) as e:
        return _json_error(400, str(e))
    except KBEmpty:
        return _json_error(503, EMPTY_MESSAGE)
    except KBError as e:
        return _json_error(503, str(e))
    _log_query(q, result.generation, len(result.hits))
    resp = jsonify(result.to_dict())
    resp.headers["X-KB-Generation"] = result.generation
    return resp


@bp.route("/api/documents/<path:doc_id>")
@reader_required
def api_document(doc_id: str) -> Any:
    """A document's metadata, full text and sections."""
    try:
        rec = kb().get_document(doc_id)
    except DocumentNotFound:
        return _json_error(404, f"no document has the id '{doc_id}'")
    except KBEmpty:
        return _json_error(503, EMPTY_MESSAGE)
    except KBError as e:
        return _json_error(503, str(e))
    return jsonify(rec.to_dict(with_text=True))


@bp.route("/healthz")
def healthz() -> Any:
    """For load balancers and operators: the live generation and its size; 503 until something is indexed."""
    try:
        stats = kb().stats()
    except KBEmpty:
        return _json_error(503, "empty: no generation has been published yet")
    except KBError as e:
        return _json_error(503, str(e))
    return jsonify({"status": "ok", "generation": stats["generation"], "documents": stats["documents"],
                    "chunks": stats["chunks"]})


@bp.route("/api/openapi.json")
def openapi() -> Response:
    """The machine-readable description of the JSON API."""
    return jsonify(openapi_document())
