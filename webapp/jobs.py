"""Background jobs of the curator area: the re-index runner and the job rows it keeps in webapp.db.

A job runs in a daemon thread of the worker that started it and writes its progress into the
``jobs`` table, so any worker can show the status page; a job whose server died is marked failed
when its row is next read.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app

from index.api import KnowledgeBaseAPI
from index.errors import KBLocked

from . import store
from .db import connect, get_db
from .render import local_time, version_label

log = logging.getLogger("webapp.curate")

LOCKED_MESSAGE = "Another change to the knowledge base is in progress (write lock held); try again in a moment."


def kb() -> KnowledgeBaseAPI:
    """The per-worker KnowledgeBase created in create_app."""
    return current_app.extensions["kb"]


def _run_job(app: Flask, job_id: int, knowledge_base: KnowledgeBaseAPI) -> None:
    """Thread body: run kb.reindex, writing throttled progress into webapp.db so any worker can show it."""
    conn = connect(app.config["DATABASE"])
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        t = time.monotonic()
        if t - last[0] < 0.3 and done < total:
            return
        last[0] = t
        store.job_progress(conn, job_id, stage, done, total)

    try:
        generation = knowledge_base.reindex(progress=progress)
        store.finish_job(conn, job_id, "done",
                         f"Published {version_label(generation)}: every document re-chunked with the current "
                         "settings and vocabulary; documents and their metadata are unchanged.")
    except KBLocked:
        store.finish_job(conn, job_id, "failed", LOCKED_MESSAGE)
    except Exception as e:  # noqa: BLE001 - the status page must say what happened
        log.exception("re-index job %s failed", job_id)
        store.finish_job(conn, job_id, "failed", f"Re-index failed: {type(e).__name__}: {e}"[:1000])
    finally:
        conn.close()


def running_reindex() -> store.Job | None:
    """The re-index job still running, if any (one whose server died is marked failed first)."""
    running = store.running_job(get_db(), "reindex")
    if running and _orphaned(running.id):
        return None
    return running


def start_reindex(user: str) -> int:
    """Record a re-index job for ``user`` and run it in a background thread; returns the job id."""
    job_id = store.start_job(get_db(), "reindex", user)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    threading.Thread(target=_run_job, args=(app, job_id, kb()), name=f"kb-reindex-{job_id}", daemon=True).start()
    return job_id


def _orphaned(job_id: int) -> bool:
    """A job marked running whose server died: no thread here runs it and nobody holds the KB's write lock."""
    alive = any(t.name == f"kb-reindex-{job_id}" for t in threading.enumerate())
    if alive or kb().writer_active():
        return False
    store.fail_if_running(get_db(), job_id, "Interrupted: the server stopped while this re-index ran. Start it again.")
    return True


STAGE_LABELS = {"starting": "Starting", "chunking": "Chunking documents", "embedding": "Embedding passages",
                "vectors": "Building the vector index", "database": "Writing the passage database"}


def job_row(job_id: int) -> store.Job | None:
    """The job's row, or None; a running job whose server died is marked failed before it is shown."""
    job = store.get_job(get_db(), job_id)
    if job is not None and job.state == "running" and _orphaned(job_id):
        job = store.get_job(get_db(), job_id)
    return job


def job_status(job: store.Job) -> dict:
    """What the status page and its polling script show; one sentence a screen reader can announce."""
    pct = int(100 * job.done / job.total) if job.total else 0
    stage = STAGE_LABELS.get(job.stage or "starting", (job.stage or "").capitalize())
    if job.state == "running":
        message = f"{stage}" + (f": {job.done} of {job.total} ({pct}%)" if job.total else "") + "."
    else:
        message = job.result
    return {"id": job.id, "state": job.state, "stage": stage, "done": job.done, "total": job.total,
            "percent": pct, "message": message, "finished": local_time(job.finished)}

