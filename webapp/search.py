"""Physician pages (search, document view, feedback) and the JSON API over the same KnowledgeBase.

Parameter checking is ``params.py``.  About 400 lines: the pages and the API share the search call, the
facet cache, the result-card view and the error mapping, so they stay one blueprint.
"""
from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from typing import Any
from urllib.parse import urlencode

from flask import (Blueprint, Response, current_app, g, jsonify, redirect, render_template, request,
                   send_file, session, url_for)

from index.api import KnowledgeBaseAPI
from index.errors import KBEmpty, KBError, QueryError
from index.originals import label as original_label

from .responses import error_response
from .auth import _safe_next, reader_required
from .db import get_db
from .limits import from_config, limiter, no_query
from .openapi import openapi_document
from .params import DOC_TYPES, FILTER_PARAMS, MAX_QUERY, BadRequest, parse_filters, parse_k, parse_mode, parse_query
from . import gaps, store
from .render import (block_nodes, doc_type_label, first_marked, passage_split, review_status, segments,
                     table_of_contents, topic_label)

bp = Blueprint("search", __name__)
log = logging.getLogger("webapp.search")

EXAMPLES = (
    "how fast can I taper oxycodone 120 mg/day?",
    "bup micro induction from 90 MME oxy",
    "UDT negative for prescribed opioid",
    "naloxone kit counselling for a patient on long-term opioids",
)
EMPTY_MESSAGE = "The knowledge base is empty: a curator needs to add documents before anything can be searched."

MAX_FACETS = 200
_facets_lock = threading.Lock()


def kb() -> KnowledgeBaseAPI:
    """The per-worker KnowledgeBase created in create_app."""
    return current_app.extensions["kb"]


def _log_query(q: str, result_gen: str, n: int) -> None:
    """Query text reaches the log only when the operator opted in with KB_LOG_QUERIES=1."""
    if current_app.extensions["kb_settings"].log_queries:
        log.info("search generation=%s hits=%d q=%r", result_gen, n, q)


def facets() -> dict:
    """Types, sources and tags present in the live KB, for the filter controls and for validating filters.

    Cached per generation so each page view stays cheap.
    """
    cache = current_app.extensions.setdefault("kb_facets", {})
    try:
        stats = kb().stats()
    except KBError:
        return {"doc_types": [], "sources": [], "tags": [], "documents": 0, "updated": ""}
    gen = stats["generation"]
    with _facets_lock:
        if cache.get("generation") != gen:
            found = kb().facets()
            sources, tags = list(found.get("sources", [])), list(found.get("tags", []))
            types = list(found.get("doc_types", []))
            # bounded whatever the KB returns, so one document's metadata cannot make every page huge
            cache.update(generation=gen, sources=sources[:MAX_FACETS], tags=tags[:MAX_FACETS], doc_types=types,
                         documents=stats.get("documents", 0), updated=str(stats.get("updated", ""))[:10])
        return {k: cache[k] for k in ("doc_types", "sources", "tags", "documents", "updated")}


def clean_args_url() -> str | None:
    """The same search without empty parameters (a GET form sends every field), or None when already clean."""
    args = request.args
    if not any(not (v or "").strip() for k in FILTER_PARAMS for v in args.getlist(k)):
        return None
    kept = [(k, v.strip() if k == "q" else v) for k, v in args.items(multi=True)
            if k not in FILTER_PARAMS or (v or "").strip()]
    return url_for("search.index") + ("?" + urlencode(kept) if kept else "")


def passage_url(hit: Any, external: bool = False) -> str:
    """Where the cited passage is shown, highlighted, inside its document."""
    return url_for("search.document", doc_id=hit.doc_id, start=hit.start, end=hit.end, _anchor="passage",
                   _external=external)


def _blocks(doc_id: str, start: int, end: int) -> list[dict] | None:
    """The typed blocks under a passage, or None when this knowledge base cannot say (plain rendering then)."""
    try:
        return kb().blocks(doc_id, start, end)
    except (KBError, sqlite3.Error):
        return None


def _shifted(blocks: list[dict] | None, offset: int) -> list[dict] | None:
    """Blocks with offsets made relative to a passage that starts at `offset` in its document."""
    if blocks is None:
        return None
    return [{**b, "start": b["start"] - offset, "end": b["end"] - offset} for b in blocks]


def hit_view(i: int, hit: Any, back: str = "", q: str = "") -> dict:
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
        "rated_key": rated_key(q, hit.chunk_id),
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
@limiter.limit(from_config("SEARCH_RATE_LIMIT"), exempt_when=no_query)
@reader_required
def index() -> Any:
    """The physician's page: one question box, an extractive answer with citations, ranked source cards."""
    cleaner = clean_args_url()
    if cleaner is not None:
        return redirect(cleaner)
    args = request.args
    q = args.get("q", "").strip()
    form = {
        "q": q, "type": args.get("type", ""), "source": args.get("source", ""), "tag": args.get("tag", ""),
        "from": args.get("from", ""), "to": args.get("to", ""),
    }
    known = facets()
    result = None
    error = None
    error_field = ""
    status = 200
    hits: list[dict] = []
    answer: list[dict] = []
    if q:
        try:
            q = parse_query(q)
            filters = parse_filters(args, known)
            k = parse_k(args.get("k"))
            result = kb().search(q, k=k, filters=filters, exact=args.get("exact") == "1")
            _log_query(q, result.generation, len(result.hits))
            _count_gap(result, q)
            back_url = url_for("search.index", **{k: v for k, v in form.items() if v})
            hits = [hit_view(i, h, back_url, result.query) for i, h in enumerate(result.hits)]
            answer = [answer_view(a, result.hits[a.hit]) for a in result.answer if 0 <= a.hit < len(hits)]
        except BadRequest as e:
            error, error_field, status = e.page_message(), e.param, 400
        except QueryError as e:
            error, status = str(e), 400
        except KBEmpty:
            error, status = EMPTY_MESSAGE, 503
        except KBError as e:
            error, status = f"Search is unavailable: {e}", 503
    back = url_for("search.index", **{k: v for k, v in form.items() if v})
    types = [t for t in DOC_TYPES if t in known["doc_types"] or t == form["type"]]
    topics = [(t, topic_label(t)) for t in known["tags"]]
    exact_url = url_for("search.index", exact="1", **{k: v for k, v in form.items() if v})
    searched_url = url_for("search.index", **{**{k: v for k, v in form.items() if v},
                                                "q": result.corrected_query}) if result and result.corrected_query else ""
    resp = render_template(
        "search.html", form=form, result=result, hits=hits, answer=answer, error=error, error_field=error_field,
        exact_url=exact_url, searched_url=searched_url, status=getattr(result, "answer_status", ""),
        examples=EXAMPLES, doc_types=[(t, doc_type_label(t)) for t in types], facets=known, topics=topics,
        back=back, rated=session.get("rated", {}), reasons=list(FEEDBACK_REASONS.items()),
        reason_labels=FEEDBACK_REASONS,
    )
    return resp, status


def _count_gap(result: Any, q: str) -> None:
    """Count searches that found nothing or no answer, for the curators' gaps view (text only if opted in)."""
    if gaps.gap_status(result) is None:  # most searches: no webapp.db connection at all
        return
    try:
        gaps.record(get_db(), result, q, current_app.extensions["kb_settings"].log_queries)
    except Exception:  # noqa: BLE001 - a busy webapp.db must never fail a physician's search
        log.warning("could not count a search gap", exc_info=False)


@bp.route("/documents/<path:doc_id>")
@reader_required
def document(doc_id: str) -> Any:
    """The full document with the cited passage in <mark id="passage">, reached by the #passage anchor."""
    rec = kb().get_document(doc_id)  # a KBError (404 unknown id, 503 empty...) is rendered by webapp's handler
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
    if rec.original:
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
    path, record, name = kb().original_file(doc_id)  # KBError: webapp's handler renders it with its status
    resp = send_file(path, mimetype=record.get("media_type") or "application/octet-stream", as_attachment=True,
                     download_name=name, max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return resp


FEEDBACK_REASONS = {
    "outdated": "Out of date",
    "off_topic": "Not about my question",
    "too_general": "Too general to act on",
    "incorrect": "Looks incorrect",
    "other": "Something else",
}


def rated_key(q: str, chunk_id: int) -> str:
    """Which card was rated, for the confirmation shown in place (the session keeps a few, not the question)."""
    return hashlib.sha256(q.lower().encode()).hexdigest()[:12] + f":{chunk_id}"


def _offset(raw: str | None) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if 0 <= value < 10**9 else None


@bp.route("/feedback", methods=["POST"])
@limiter.limit(from_config("FEEDBACK_RATE_LIMIT"))
@reader_required
def feedback() -> Any:
    """Helpful / not helpful on one result; the question text is stored only when query logging is on."""
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
    start, end = _offset(f.get("start")), _offset(f.get("end"))
    feedback_id = store.record_feedback(
        get_db(), query_hash=hashlib.sha256(q.lower().encode()).hexdigest(), query=kept, doc_id=doc_id,
        chunk_id=chunk_id, generation=generation, verdict=verdict, start=start, end=end)
    rated = dict(session.get("rated", {}))
    rated[rated_key(q, chunk_id)] = {"verdict": verdict, "id": feedback_id, "reason": ""}
    session["rated"] = dict(list(rated.items())[-20:])
    return redirect(_back_to_card(f))


@bp.route("/feedback/reason", methods=["POST"])
@reader_required
def feedback_reason() -> Any:
    """The optional reason for a "not helpful", chosen from a short list (no free text: nothing to screen)."""
    f = request.form
    key, reason = f.get("key", ""), f.get("reason", "")
    rated = dict(session.get("rated", {}))
    entry = rated.get(key)
    if entry is None or reason not in FEEDBACK_REASONS:
        return error_response(400, "That reason could not be recorded: choose one of the listed reasons.")
    store.set_feedback_reason(get_db(), entry["id"], reason)
    rated[key] = {**entry, "reason": reason}
    session["rated"] = rated
    return redirect(_back_to_card(f))


def _back_to_card(form: Any) -> str:
    """Back to the results, scrolled to the card that now shows the confirmation."""
    back = _safe_next(form.get("back"))
    anchor = form.get("n", "")
    return back + (f"#hit-{int(anchor)}" if anchor.isdigit() else "")


# ---------------------------------------------------------------- JSON API


def _json_error(status: int, message: str) -> Any:
    return jsonify({"error": message}), status


@bp.route("/api/search")
@limiter.limit(from_config("SEARCH_RATE_LIMIT"))
@reader_required
def api_search() -> Any:
    """result.to_dict(), the JSON of `kb search --json`, plus a `url` to each cited passage."""
    # BadRequest, QueryError, KBEmpty...: webapp's KBError handler answers with the error's status and JSON.
    q = parse_query(request.args.get("q"))
    k = parse_k(request.args.get("k"))
    filters = parse_filters(request.args, facets())
    mode = parse_mode(request.args.get("mode"))
    result = kb().search(q, k=k, filters=filters, mode=mode, exact=request.args.get("exact") == "1")
    _log_query(q, result.generation, len(result.hits))
    _count_gap(result, q)
    body = result.to_dict()
    for hit, out in zip(result.hits, body.get("hits", [])):
        out["url"] = passage_url(hit, external=True)
    resp = jsonify(body)
    resp.headers["X-KB-Generation"] = result.generation
    return resp


@bp.route("/api/documents/<path:doc_id>")
@reader_required
def api_document(doc_id: str) -> Any:
    """A document's metadata, full text and sections."""
    rec = kb().get_document(doc_id)  # KBError: webapp's handler answers with its status
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
