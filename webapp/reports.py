"""Curator reports: results physicians marked not helpful, and the searches that found nothing (gaps).

Nested in the curator blueprint (``curate.reports.*`` under /curate), whose guard needs the curator role.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for

from index.api import KnowledgeBaseAPI
from index.errors import KBError

from . import store
from .db import get_db

bp = Blueprint("reports", __name__)  # nested in the curator blueprint: /curate, curator role at least


def kb() -> KnowledgeBaseAPI:
    """The per-worker KnowledgeBase created in create_app."""
    return current_app.extensions["kb"]


@bp.route("/feedback")
def feedback_report() -> Any:
    """Results physicians marked not helpful, grouped by document, most complaints first."""
    db = get_db()
    groups = store.not_helpful_by_doc(db)
    helpful = store.helpful_by_doc(db)
    try:
        titles = {d.doc_id: d.title for d in kb().list_documents()}
    except KBError:
        titles = {}
    report = []
    for doc_id, n in groups:
        entries = store.not_helpful_entries(db, doc_id, limit=50)
        text = _document_text(doc_id) if doc_id in titles else None
        report.append({"doc_id": doc_id, "title": titles.get(doc_id, ""), "n": n,
                       "helpful": helpful.get(doc_id, 0), "exists": doc_id in titles,
                       "entries": [_feedback_entry(doc_id, e, text) for e in entries]})
    return render_template("curate/feedback.html", report=report)


def _document_text(doc_id: str) -> str | None:
    try:
        return kb().get_document(doc_id).text
    except KBError:
        return None


def _feedback_entry(doc_id: str, row: store.FeedbackEntry, text: str | None) -> dict:
    """A report line: when, the question, the reason, and the passage's opening words with a link to it."""
    from .search import FEEDBACK_REASONS

    start, end = row.start, row.end
    passage, link = "", ""
    if text is not None and start is not None and end is not None and 0 <= start < end <= len(text):
        words = " ".join(text[start:end].split())
        passage = words[:160] + ("…" if len(words) > 160 else "")
        link = url_for("search.document", doc_id=doc_id, start=start, end=end, _anchor="passage")
    return {"created": row.created, "query": row.query, "chunk_id": row.chunk_id,
            "generation": row.generation, "reason": FEEDBACK_REASONS.get(row.reason or "", ""),
            "passage": passage, "link": link}



@bp.route("/gaps")
def gaps_view() -> Any:
    """How often physicians' searches found nothing or no answer, per day: where the knowledge base is thin."""
    from . import gaps

    try:
        days = max(1, min(int(request.args.get("days", "30")), 365))
    except ValueError:
        days = 30
    keep = current_app.extensions["kb_settings"].log_queries
    return render_template("curate/gaps.html", g_=gaps.summary(get_db(), days), keep_text=keep)
