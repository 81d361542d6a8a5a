"""Curator area: dashboard, upload, edit, delete, re-index and quarantine: every change to what physicians see.

The reports (feedback, gaps) are ``reports.py``, the admin pages (audit log, API tokens) ``admin.py`` and
the re-index runner ``jobs.py``.  About 400 lines because each write action needs its form checks, its
outcome message and its audit entry side by side; they share the form parsing at the top.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask import (Blueprint, current_app, flash, g, jsonify, redirect, render_template, request,
                   url_for)
from werkzeug.utils import secure_filename

from index.api import KnowledgeBaseAPI
from index.errors import DocumentNotFound, KBError, KBLocked

from . import admin, jobs, reports, store
from .auditlog import CONTENT_ACTIONS, FIELD_LABELS, audit_row, clip
from .auth import role_required
from .db import get_db
from .jobs import LOCKED_MESSAGE
from .render import doc_type_label, parse_date, review_status, version_label
from .responses import ALLOWED_SUFFIXES, error_response

bp = Blueprint("curate", __name__, url_prefix="/curate")

DOC_TYPES = ("guideline", "echo-case", "other")


def failure_message(error: Exception, doing: str) -> str:
    """What a curator reads when a change could not be made: the one place a held write lock becomes "try again"."""
    return LOCKED_MESSAGE if isinstance(error, KBLocked) else f"{doing}: {error}"


def kb() -> KnowledgeBaseAPI:
    """The per-worker KnowledgeBase created in create_app."""
    return current_app.extensions["kb"]


@bp.before_request
@role_required("curator")
def _guard() -> None:
    """Every /curate route needs at least the curator role."""
    return None


def _tags(raw: str) -> list[str]:
    return [t.strip() for t in (raw or "").split(",") if t.strip()]


def _metadata_from_form(form: Any, *, allow_title: bool) -> tuple[dict, list[str]]:
    """Validated metadata overrides from a form; blank fields are left to the document's own metadata."""
    errors: list[str] = []
    out: dict[str, Any] = {}
    doc_type = form.get("doc_type", "").strip()
    if doc_type:
        if doc_type not in DOC_TYPES:
            errors.append(f"Document type must be one of {', '.join(DOC_TYPES)}.")
        else:
            out["doc_type"] = doc_type
    for key in ("source", "title", "basis") if allow_title else ("source", "basis"):
        value = form.get(key, "").strip()
        if value:
            out[key] = value[:300]
    for key, label in (("published", "Publication date"), ("reviewed", "Last-reviewed date")):
        value = form.get(key, "").strip()
        if value:
            if parse_date(value) is None:
                errors.append(f"{label} must be written YYYY-MM-DD.")
            else:
                out[key] = value
    tags = _tags(form.get("tags", ""))
    if tags:
        out["tags"] = tags
    return out, errors


@bp.route("/")
def home() -> Any:
    """Dashboard: what is live and where to go next."""
    try:
        stats = kb().stats()
        stats_error = None
    except KBError as e:
        stats, stats_error = None, str(e)
    db = get_db()
    jobs = store.recent_jobs(db, limit=5)
    changes = store.audit_entries(db, actions=CONTENT_ACTIONS, limit=8)
    return render_template("curate/home.html", stats=stats, stats_error=stats_error, jobs=jobs,
                           changes=[audit_row(r) for r in changes])



# ---------------------------------------------------------------- upload


def _safe_upload_name(original: str, taken: set[str]) -> tuple[str | None, str]:
    """A safe, unique file name keeping the suffix (the reader dispatches on it), or None and the reason."""
    name = secure_filename(original or "")
    suffix = Path(name).suffix.lower()
    if not name or not Path(name).stem:
        return None, "the file name is empty or unusable"
    if suffix not in ALLOWED_SUFFIXES:
        return None, f"files of type '{suffix or 'none'}' are not accepted (allowed: {', '.join(ALLOWED_SUFFIXES)})"
    stem = Path(name).stem[:100]
    candidate, i = f"{stem}{suffix}", 1
    while candidate.lower() in taken:
        i += 1
        candidate = f"{stem}-{i}{suffix}"
    taken.add(candidate.lower())
    return candidate, ""


@bp.route("/upload", methods=["GET", "POST"])
def upload() -> Any:
    """Upload files with shared metadata, ingest them, and report what happened to each file."""
    if request.method == "GET":
        return render_template("curate/upload.html", doc_types=DOC_TYPES, form={}, outcomes=None, errors=[])
    files = [f for f in request.files.getlist("files") if f and f.filename]
    overrides, errors = _metadata_from_form(request.form, allow_title=len(files) == 1)
    if not files:
        errors.append("Choose at least one file to upload.")
    redact = request.form.get("redact") == "1"
    outcomes: list[dict] = []
    if errors:
        return render_template("curate/upload.html", doc_types=DOC_TYPES, form=request.form, outcomes=None,
                               errors=errors), 400
    tmp = Path(tempfile.mkdtemp(prefix="kb-upload-"))
    try:
        taken: set[str] = set()
        paths: list[Path] = []
        originals: dict[str, str] = {}
        for f in files:
            safe, reason = _safe_upload_name(f.filename or "", taken)
            if safe is None:
                outcomes.append({"filename": f.filename, "status": "rejected", "reason": reason, "doc_ids": [],
                                 "findings": []})
                store.audit(get_db(), g.user, "upload_rejected",
                            detail=f"{secure_filename(f.filename or '')}: {reason}")
                continue
            dest = tmp / safe
            f.save(dest)
            paths.append(dest)
            originals[safe] = f.filename or safe
        report = None
        if paths:
            try:
                report = kb().ingest_paths(paths, overrides or None, redact=redact, remember_files=False)
            except KBError as e:
                errors.append(failure_message(e, "The upload could not be ingested"))
        if report is not None:
            for fo in report.files:
                base = Path(fo.path).name
                shown = originals.get(base, base)
                findings = fo.findings if fo.status == "quarantined" else []
                outcomes.append({"filename": shown, "status": fo.status, "reason": fo.reason,
                                 "doc_ids": fo.doc_ids, "findings": findings,
                                 "undated": _undated(fo.doc_ids) if fo.status in ("added", "updated") else []})
                store.audit(get_db(), g.user, "upload", target=",".join(fo.doc_ids),
                            detail=f"{fo.status}: {secure_filename(shown)}")
        rejected = [o["filename"] for o in outcomes if o["status"] == "rejected"]
        if report is not None or rejected:
            done = report.documents if report else 0
            failed = report.failed if report else 0
            held = report.quarantined if report else 0
            flash(f"Upload finished: {done} document(s) added or updated, {failed} failed, {held} quarantined, "
                  f"{len(rejected)} rejected for their type"
                  + (f" ({', '.join(rejected)})" if rejected else "")
                  + (f"; physicians now search {version_label(report.generation)}" if report and report.generation
                     and report.documents else "") + ".")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    status = 409 if errors and not outcomes else 200
    return render_template("curate/upload.html", doc_types=DOC_TYPES, form={}, outcomes=outcomes,
                           errors=errors), status


def _undated(doc_ids: list[str]) -> list[str]:
    """Documents just published without a publication or review date (physicians see "Review date unknown")."""
    out = []
    for doc_id in doc_ids:
        doc = _get_doc_or_404(doc_id)
        if doc is not None and not (doc.published or doc.reviewed):
            out.append(doc_id)
    return out


# ---------------------------------------------------------------- documents


@bp.route("/documents")
def documents() -> Any:
    """All documents, filtered by a title or id substring."""
    needle = request.args.get("q", "").strip()
    try:
        docs = kb().list_documents()
        error = None
    except KBError as e:
        docs, error = [], str(e)
    if needle:
        low = needle.lower()
        docs = [d for d in docs if low in d.doc_id.lower() or low in (d.title or "").lower()]
    docs.sort(key=lambda d: (d.title or d.doc_id).lower())
    rows = [{"doc": d, "type_label": doc_type_label(d.doc_type), "review": review_status(d.published, d.reviewed)}
            for d in docs]
    return render_template("curate/documents.html", rows=rows, needle=needle, error=error)


def _get_doc_or_404(doc_id: str) -> Any:
    try:
        return kb().get_document(doc_id)
    except DocumentNotFound:
        return None


@bp.route("/documents/<path:doc_id>/edit", methods=["GET", "POST"])
def edit(doc_id: str) -> Any:
    """Edit title, type, source, dates and tags; the KB publishes a new generation."""
    doc = _get_doc_or_404(doc_id)
    if doc is None:
        return error_response(404, f"No document has the id '{doc_id}'.")
    errors: list[str] = []
    if request.method == "POST":
        fields, errors = _metadata_from_form(request.form, allow_title=True)
        # Dates and tags may be cleared on purpose, so the edit form sends them even when blank.
        for key in ("published", "reviewed"):
            if not request.form.get(key, "").strip():
                fields[key] = ""
        fields["tags"] = _tags(request.form.get("tags", ""))
        if not request.form.get("title", "").strip():
            errors.append("Title cannot be empty.")
        if not errors:
            if not request.form.get("basis", "").strip():
                fields["basis"] = ""
            current = {"title": doc.title, "doc_type": doc.doc_type, "source": doc.source,
                       "published": doc.published, "reviewed": doc.reviewed, "tags": list(doc.tags),
                       "basis": doc.basis or ""}
            changed = {k: v for k, v in fields.items() if current.get(k) != v}
            if not changed:
                flash("Nothing changed.")
                return redirect(url_for("curate.documents"))
            try:
                generation = kb().update_metadata(doc_id, **changed)
            except KBError as e:
                errors.append(failure_message(e, "The change could not be saved"))
            else:
                diff = {k: [clip(current.get(k, "")), clip(v)] for k, v in sorted(changed.items())}
                store.audit(get_db(), g.user, "edit", target=doc_id,
                            detail=json.dumps({"changes": diff}, ensure_ascii=False))
                labels = ", ".join(FIELD_LABELS.get(k, k).lower() for k in sorted(changed))
                flash(f"Saved {doc_id}: changed {labels}"
                      + (f"; physicians see it now ({version_label(generation)})." if generation else "."))
                return redirect(url_for("curate.documents"))
    form = request.form if request.method == "POST" else {
        "title": doc.title, "doc_type": doc.doc_type, "source": doc.source, "published": doc.published,
        "reviewed": doc.reviewed, "tags": ", ".join(doc.tags), "basis": doc.basis or ""}
    return render_template("curate/edit.html", doc=doc, form=form, errors=errors, doc_types=DOC_TYPES,
                           type_label=doc_type_label, review=review_status(doc.published, doc.reviewed)), \
        (400 if errors else 200)


@bp.route("/documents/<path:doc_id>/delete", methods=["GET", "POST"])
def delete(doc_id: str) -> Any:
    """GET asks for confirmation (works without JavaScript); POST removes the document."""
    doc = _get_doc_or_404(doc_id)
    if doc is None:
        return error_response(404, f"No document has the id '{doc_id}'.")
    if request.method == "GET":
        return render_template("curate/delete.html", doc=doc)
    try:
        generation = kb().remove(doc_id)
    except KBError as e:
        flash(failure_message(e, f"Could not delete {doc_id}"))
        return redirect(url_for("curate.documents"))
    store.audit(get_db(), g.user, "delete", target=doc_id)
    flash(f"Deleted {doc_id}" + (f"; physicians now search {version_label(generation)}." if generation else "."))
    return redirect(url_for("curate.documents"))


# ---------------------------------------------------------------- re-index in the background (runner: jobs.py)


@bp.route("/reindex", methods=["POST"])
def reindex() -> Any:
    """Start a full re-index in a background thread and send the curator to its status page."""
    running = jobs.running_reindex()
    if running:
        flash("A re-index is already running.")
        return redirect(url_for("curate.job", job_id=running.id))
    job_id = jobs.start_reindex(g.user)
    store.audit(get_db(), g.user, "reindex", detail=f"job {job_id}")
    return redirect(url_for("curate.job", job_id=job_id))


@bp.route("/jobs/<int:job_id>")
def job(job_id: int) -> Any:
    """Job status; while it runs, static/job.js polls the JSON below and updates a live region (no refresh)."""
    row = jobs.job_row(job_id) if job_id < 2**63 else None
    if row is None:
        return error_response(404, f"No job {job_id}.")
    return render_template("curate/job.html", job=row, status=jobs.job_status(row))


@bp.route("/jobs/<int:job_id>.json")
def job_json(job_id: int) -> Any:
    """The job's progress for the polling script."""
    row = jobs.job_row(job_id)
    if row is None:
        return jsonify({"error": f"No job {job_id}."}), 404
    return jsonify(jobs.job_status(row))


# ---------------------------------------------------------------- feedback report, quarantine, audit



@bp.route("/quarantine")
def quarantine() -> Any:
    """Documents the privacy screen held back, with masked findings only."""
    try:
        items = kb().quarantine_list()
        error = None
    except KBError as e:
        items, error = [], str(e)
    return render_template("curate/quarantine.html", items=items, error=error)


@bp.route("/quarantine/<int:qid>/release", methods=["POST"])
def release(qid: int) -> Any:
    """Release a quarantined document (optionally redacting the findings) into the index."""
    redact = request.form.get("redact") == "1"
    if qid >= 2**63:
        return error_response(404, "No such quarantined item.")
    try:
        report = kb().release(qid, redact=redact)
    except (KBError, ValueError) as e:
        flash(failure_message(e, f"Could not release {qid}"))
        return redirect(url_for("curate.quarantine"))
    doc_ids = [d for fo in report.files for d in fo.doc_ids]
    store.audit(get_db(), g.user, "release_redacted" if redact else "release", target=",".join(doc_ids),
                detail=f"quarantine {qid}")
    flash(f"Released #{qid}: {', '.join(doc_ids) or 'no documents'}"
          f"{' (findings redacted)' if redact else ''}"
          + (f"; physicians now search {version_label(report.generation)}." if report.generation else "."))
    return redirect(url_for("curate.quarantine"))


@bp.route("/quarantine/<int:qid>/preview")
def quarantine_preview(qid: int) -> Any:
    """The text exactly as "release with redaction" would publish it, to read before releasing."""
    item = next((q for q in _quarantine_items() if q["qid"] == qid), None)
    if item is None:
        return error_response(404, f"Nothing is held in quarantine as #{qid}.")
    docs = kb().quarantine_preview(qid)  # KBError: webapp's handler renders it with its status
    return render_template("curate/quarantine_preview.html", item=item, docs=docs)


@bp.route("/quarantine/<int:qid>/discard", methods=["POST"])
def discard(qid: int) -> Any:
    """Delete a held file without ingesting it (the CLI's `kb quarantine drop`)."""
    item = next((q for q in _quarantine_items() if q["qid"] == qid), None)
    if item is None:
        flash(f"Nothing is held in quarantine as #{qid}.")
        return redirect(url_for("curate.quarantine"))
    try:
        kb().drop_quarantined(qid)
    except KBError as e:
        flash(failure_message(e, f"Could not discard #{qid}"))
        return redirect(url_for("curate.quarantine"))
    store.audit(get_db(), g.user, "quarantine_discard", target=item.get("filename", ""), detail=f"quarantine {qid}")
    flash(f"Discarded {item.get('filename', qid)}: it was not added to the knowledge base.")
    return redirect(url_for("curate.quarantine"))


def _quarantine_items() -> list[dict]:
    try:
        return kb().quarantine_list()
    except KBError:
        return []


# The reports and admin pages are part of the curator area: same /curate prefix, same guard.
bp.register_blueprint(reports.bp)
bp.register_blueprint(admin.bp)
