"""Curator area: upload, edit, delete, re-index, quarantine, feedback report and the admin's audit CSV."""
from __future__ import annotations

import csv
import io
import json
import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from flask import (Blueprint, Flask, Response, current_app, flash, g, jsonify, redirect, render_template, request,
                   url_for)
from werkzeug.utils import secure_filename

from index.errors import DocumentNotFound, KBError, KBLocked

from . import ALLOWED_SUFFIXES, error_response
from .auth import role_required
from .db import audit, connect, get_db, now
from .render import doc_type_label, local_time, parse_date, review_status, version_label

bp = Blueprint("curate", __name__, url_prefix="/curate")
log = logging.getLogger("webapp.curate")

DOC_TYPES = ("guideline", "echo-case", "other")
LOCKED_MESSAGE = "Another change to the knowledge base is in progress (write lock held); try again in a moment."


def kb() -> Any:
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
    jobs = db.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT 5").fetchall()
    changes = db.execute(f"SELECT * FROM audit WHERE action IN ({','.join('?' * len(CONTENT_ACTIONS))}) "
                         "ORDER BY id DESC LIMIT 8", CONTENT_ACTIONS).fetchall()
    return render_template("curate/home.html", stats=stats, stats_error=stats_error, jobs=jobs,
                           changes=[audit_row(r) for r in changes])


# What each audited action means, in the curators' words; the first group changes what physicians see.
ACTION_LABELS = {
    "upload": "Uploaded", "edit": "Edited", "delete": "Deleted", "release": "Released from quarantine",
    "release_redacted": "Released redacted", "quarantine_discard": "Discarded from quarantine",
    "reindex": "Re-indexed", "upload_rejected": "Upload rejected", "login": "Signed in",
    "login_failed": "Failed sign-in", "logout": "Signed out", "audit_download": "Downloaded the audit log",
    "token_create": "Created an API token", "token_revoke": "Revoked an API token",
}
CONTENT_ACTIONS = ("upload", "edit", "delete", "release", "release_redacted", "quarantine_discard", "reindex")


def audit_row(row: Any) -> dict:
    """An audit entry ready to show: a readable action and, for edits, each field's before -> after."""
    detail = row["detail"] or ""
    changes: list[tuple[str, str, str]] = []
    text = detail
    if detail.startswith("{"):
        try:
            data = json.loads(detail)
        except ValueError:
            data = None
        if isinstance(data, dict):
            text = ""
            for field, value in data.get("changes", {}).items():
                old, new = (value + ["", ""])[:2] if isinstance(value, list) else ("", value)
                changes.append((FIELD_LABELS.get(field, field), _shown(old), _shown(new)))
            rest = {k: v for k, v in data.items() if k != "changes"}
            text = ", ".join(f"{k}: {v}" for k, v in rest.items())
    return {"id": row["id"], "created": row["created"], "user": row["user"], "action": row["action"],
            "action_label": ACTION_LABELS.get(row["action"], row["action"].replace("_", " ")),
            "target": row["target"], "detail": text, "changes": changes}


FIELD_LABELS = {"title": "Title", "doc_type": "Type", "source": "Source", "published": "Published",
                "reviewed": "Last reviewed", "tags": "Topics", "basis": "Based on"}


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value) if value not in (None, "") else "(empty)"


def _clip(value: Any) -> Any:
    """Audit values are metadata, never document text; long ones are cut so a row stays small."""
    if isinstance(value, list):
        return [str(v)[:80] for v in value[:20]]
    return str(value)[:200]


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
                audit(g.user, "upload_rejected", detail=f"{secure_filename(f.filename or '')}: {reason}")
                continue
            dest = tmp / safe
            f.save(dest)
            paths.append(dest)
            originals[safe] = f.filename or safe
        report = None
        if paths:
            try:
                report = kb().ingest_paths(paths, overrides or None, redact=redact, remember_files=False)
            except KBLocked:
                errors.append(LOCKED_MESSAGE)
            except KBError as e:
                errors.append(f"The upload could not be ingested: {e}")
        if report is not None:
            quarantine = _quarantine_by_filename()
            for fo in report.files:
                base = Path(fo.path).name
                shown = originals.get(base, base)
                findings = quarantine.get(base, []) if fo.status == "quarantined" else []
                outcomes.append({"filename": shown, "status": fo.status, "reason": fo.reason,
                                 "doc_ids": fo.doc_ids, "findings": findings,
                                 "undated": _undated(fo.doc_ids) if fo.status in ("added", "updated") else []})
                audit(g.user, "upload", target=",".join(fo.doc_ids), detail=f"{fo.status}: {secure_filename(shown)}")
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


def _quarantine_by_filename() -> dict[str, list[dict]]:
    """Masked findings per quarantined file name, to show next to the upload outcome."""
    try:
        items = kb().quarantine_list()
    except KBError:
        return {}
    out: dict[str, list[dict]] = {}
    for item in items:
        out.setdefault(Path(item.get("filename", "")).name, []).extend(item.get("reasons", []))
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
            except KBLocked:
                errors.append(LOCKED_MESSAGE)
            except KBError as e:
                errors.append(str(e))
            else:
                diff = {k: [_clip(current.get(k, "")), _clip(v)] for k, v in sorted(changed.items())}
                audit(g.user, "edit", target=doc_id, detail=json.dumps({"changes": diff}, ensure_ascii=False))
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
    except KBLocked:
        flash(LOCKED_MESSAGE)
        return redirect(url_for("curate.documents"))
    audit(g.user, "delete", target=doc_id)
    flash(f"Deleted {doc_id}" + (f"; physicians now search {version_label(generation)}." if generation else "."))
    return redirect(url_for("curate.documents"))


# ---------------------------------------------------------------- re-index in the background


def _run_job(app: Flask, job_id: int, knowledge_base: Any) -> None:
    """Thread body: run kb.reindex, writing throttled progress into webapp.db so any worker can show it."""
    conn = connect(app.config["DATABASE"])
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        t = time.monotonic()
        if t - last[0] < 0.3 and done < total:
            return
        last[0] = t
        conn.execute("UPDATE jobs SET stage = ?, done = ?, total = ? WHERE id = ?", (stage, done, total, job_id))

    try:
        generation = knowledge_base.reindex(progress=progress)
        conn.execute("UPDATE jobs SET state = 'done', result = ?, finished = ? WHERE id = ?",
                     (f"Published {version_label(generation)}: every document re-chunked with the current settings "
                      "and vocabulary; documents and their metadata are unchanged.", now(), job_id))
    except KBLocked:
        conn.execute("UPDATE jobs SET state = 'failed', result = ?, finished = ? WHERE id = ?",
                     (LOCKED_MESSAGE, now(), job_id))
    except Exception as e:  # noqa: BLE001 - the status page must say what happened
        log.exception("re-index job %s failed", job_id)
        conn.execute("UPDATE jobs SET state = 'failed', result = ?, finished = ? WHERE id = ?",
                     (f"Re-index failed: {type(e).__name__}: {e}"[:1000], now(), job_id))
    finally:
        conn.close()


@bp.route("/reindex", methods=["POST"])
def reindex() -> Any:
    """Start a full re-index in a background thread and send the curator to its status page."""
    db = get_db()
    running = db.execute("SELECT id, started FROM jobs WHERE kind = 'reindex' AND state = 'running' "
                         "ORDER BY id DESC LIMIT 1").fetchone()
    if running and _orphaned(running["id"]):
        running = None
    if running:
        flash("A re-index is already running.")
        return redirect(url_for("curate.job", job_id=running["id"]))
    cur = db.execute("INSERT INTO jobs (kind, user, state, stage, started) VALUES ('reindex', ?, 'running', "
                     "'starting', ?)", (g.user, now()))
    job_id = int(cur.lastrowid)
    audit(g.user, "reindex", detail=f"job {job_id}")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    threading.Thread(target=_run_job, args=(app, job_id, kb()), name=f"kb-reindex-{job_id}", daemon=True).start()
    return redirect(url_for("curate.job", job_id=job_id))


def _orphaned(job_id: int) -> bool:
    """A job marked running whose server died: no thread here runs it and nobody holds the KB's write lock."""
    alive = any(t.name == f"kb-reindex-{job_id}" for t in threading.enumerate())
    writer = getattr(kb(), "writer_active", None)
    if alive or writer is None or writer():
        return False
    get_db().execute("UPDATE jobs SET state = 'failed', result = ?, finished = ? WHERE id = ? AND state = 'running'",
                     ("Interrupted: the server stopped while this re-index ran. Start it again.", now(), job_id))
    return True


STAGE_LABELS = {"starting": "Starting", "chunking": "Chunking documents", "embedding": "Embedding passages",
                "vectors": "Building the vector index", "database": "Writing the passage database"}


def _job_row(job_id: int) -> Any:
    row = get_db().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is not None and row["state"] == "running" and _orphaned(job_id):
        row = get_db().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return row


def job_status(row: Any) -> dict:
    """What the status page and its polling script show; one sentence a screen reader can announce."""
    pct = int(100 * row["done"] / row["total"]) if row["total"] else 0
    stage = STAGE_LABELS.get(row["stage"] or "starting", (row["stage"] or "").capitalize())
    if row["state"] == "running":
        message = f"{stage}" + (f": {row['done']} of {row['total']} ({pct}%)" if row["total"] else "") + "."
    else:
        message = row["result"]
    return {"id": row["id"], "state": row["state"], "stage": stage, "done": row["done"], "total": row["total"],
            "percent": pct, "message": message, "finished": local_time(row["finished"])}


@bp.route("/jobs/<int:job_id>")
def job(job_id: int) -> Any:
    """Job status; while it runs, static/job.js polls the JSON below and updates a live region (no refresh)."""
    row = _job_row(job_id) if job_id < 2**63 else None
    if row is None:
        return error_response(404, f"No job {job_id}.")
    return render_template("curate/job.html", job=row, status=job_status(row))


@bp.route("/jobs/<int:job_id>.json")
def job_json(job_id: int) -> Any:
    """The job's progress for the polling script."""
    row = _job_row(job_id)
    if row is None:
        return jsonify({"error": f"No job {job_id}."}), 404
    return jsonify(job_status(row))


# ---------------------------------------------------------------- feedback report, quarantine, audit


@bp.route("/feedback")
def feedback_report() -> Any:
    """Results physicians marked not helpful, grouped by document, most complaints first."""
    db = get_db()
    groups = db.execute(
        "SELECT doc_id, COUNT(*) AS n, MAX(created) AS latest FROM feedback WHERE verdict = 'not_helpful' "
        "GROUP BY doc_id ORDER BY n DESC, latest DESC").fetchall()
    helpful = {r["doc_id"]: r["n"] for r in db.execute(
        "SELECT doc_id, COUNT(*) AS n FROM feedback WHERE verdict = 'helpful' GROUP BY doc_id")}
    try:
        titles = {d.doc_id: d.title for d in kb().list_documents()}
    except KBError:
        titles = {}
    report = []
    for grp in groups:
        entries = db.execute(
            'SELECT created, query, chunk_id, generation, reason, start, "end" FROM feedback '
            "WHERE verdict = 'not_helpful' AND doc_id = ? ORDER BY created DESC LIMIT 50", (grp["doc_id"],)).fetchall()
        text = _document_text(grp["doc_id"]) if grp["doc_id"] in titles else None
        report.append({"doc_id": grp["doc_id"], "title": titles.get(grp["doc_id"], ""), "n": grp["n"],
                       "helpful": helpful.get(grp["doc_id"], 0), "exists": grp["doc_id"] in titles,
                       "entries": [_feedback_entry(grp["doc_id"], e, text) for e in entries]})
    return render_template("curate/feedback.html", report=report)


def _document_text(doc_id: str) -> str | None:
    try:
        return kb().get_document(doc_id).text
    except KBError:
        return None


def _feedback_entry(doc_id: str, row: Any, text: str | None) -> dict:
    """A report line: when, the question, the reason, and the passage's opening words with a link to it."""
    from .search import FEEDBACK_REASONS

    start, end = row["start"], row["end"]
    passage, link = "", ""
    if text is not None and start is not None and end is not None and 0 <= start < end <= len(text):
        words = " ".join(text[start:end].split())
        passage = words[:160] + ("…" if len(words) > 160 else "")
        link = url_for("search.document", doc_id=doc_id, start=start, end=end, _anchor="passage")
    return {"created": row["created"], "query": row["query"], "chunk_id": row["chunk_id"],
            "generation": row["generation"], "reason": FEEDBACK_REASONS.get(row["reason"] or "", ""),
            "passage": passage, "link": link}


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
    except KBLocked:
        flash(LOCKED_MESSAGE)
        return redirect(url_for("curate.quarantine"))
    except (KBError, ValueError) as e:
        flash(f"Could not release {qid}: {e}")
        return redirect(url_for("curate.quarantine"))
    doc_ids = [d for fo in report.files for d in fo.doc_ids]
    audit(g.user, "release_redacted" if redact else "release", target=",".join(doc_ids), detail=f"quarantine {qid}")
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
    except KBLocked:
        flash(LOCKED_MESSAGE)
        return redirect(url_for("curate.quarantine"))
    audit(g.user, "quarantine_discard", target=item.get("filename", ""), detail=f"quarantine {qid}")
    flash(f"Discarded {item.get('filename', qid)}: it was not added to the knowledge base.")
    return redirect(url_for("curate.quarantine"))


def _quarantine_items() -> list[dict]:
    try:
        return kb().quarantine_list()
    except KBError:
        return []


# ---------------------------------------------------------------- audit view, gaps


@bp.route("/audit")
@role_required("admin")
def audit_view() -> Any:
    """The audit log in the app: filter by person, action, document and dates; edits show before -> after."""
    args = request.args
    f = {k: args.get(k, "").strip() for k in ("user", "action", "target", "from", "to")}
    where, params = [], []
    if f["user"]:
        where.append("user = ?")
        params.append(f["user"])
    if f["action"]:
        where.append("action = ?")
        params.append(f["action"])
    if f["target"]:
        where.append("target LIKE ? ESCAPE '\\'")
        params.append("%" + f["target"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    errors = []
    for key, label, op, suffix in (("from", "From", ">=", ""), ("to", "To", "<=", "T23:59:59+99:99")):
        if f[key]:
            if parse_date(f[key]) is None:
                errors.append(f"{label} must be a date written YYYY-MM-DD.")
            else:
                where.append(f"created {op} ?")
                params.append(f[key] + suffix)
    db = get_db()
    sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where and not errors else "")
    rows = db.execute(sql + " ORDER BY id DESC LIMIT 200", params if not errors else []).fetchall()
    users = [r[0] for r in db.execute("SELECT DISTINCT user FROM audit ORDER BY 1")]
    actions = [r[0] for r in db.execute("SELECT DISTINCT action FROM audit ORDER BY 1")]
    return render_template("curate/audit.html", rows=[audit_row(r) for r in rows], f=f, users=users,
                           actions=[(a, ACTION_LABELS.get(a, a)) for a in actions], errors=errors), \
        (400 if errors else 200)


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


def _csv_cell(value: Any) -> str:
    """Neutralise spreadsheet formulas (=, +, -, @) in a user-controlled cell."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/audit.csv")
@role_required("admin")
def audit_csv() -> Response:
    """The whole audit log as CSV, for admins only."""
    rows = get_db().execute("SELECT created, user, action, target, detail FROM audit ORDER BY id").fetchall()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["time_utc", "user", "action", "target_doc", "detail"])
    for r in rows:
        w.writerow([_csv_cell(r[k]) for k in ("created", "user", "action", "target", "detail")])
    audit(g.user, "audit_download")
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})


# ---------------------------------------------------------------- API tokens (admin)


@bp.route("/tokens", methods=["GET", "POST"])
@role_required("admin")
def api_tokens() -> Any:
    """Create (shown once) and list read-only API tokens for services such as an EMR."""
    from .tokens import TokenError, create_token, list_tokens

    db = get_db()
    new_token, errors = None, []
    if request.method == "POST":
        name = request.form.get("name", "")
        try:
            token_id, new_token = create_token(db, name, g.user)
        except TokenError as e:
            errors.append(str(e)[:1].upper() + str(e)[1:] + ".")
        else:
            audit(g.user, "token_create", target=f"token {token_id}", detail=json.dumps({"name": name.strip()}))
    return render_template("curate/tokens.html", tokens=list_tokens(db), new_token=new_token, errors=errors), \
        (400 if errors else 200)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke_api_token(token_id: int) -> Any:
    from .tokens import revoke_token

    name = revoke_token(get_db(), token_id)  # TokenError (404 unknown id): webapp's handler renders it
    audit(g.user, "token_revoke", target=f"token {token_id}", detail=json.dumps({"name": name}))
    flash(f"Token #{token_id} ({name}) revoked: requests using it are refused from now on.")
    return redirect(url_for("curate.api_tokens"))
