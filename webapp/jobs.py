"""Background jobs of the curator area: the re-index runner and the job rows it keeps in webapp.db.

A job runs in a daemon thread of the worker that started it and writes its progress into the
``jobs`` table, so any worker can show the status page; a job whose server died is marked failed
when its row is next read.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, current_app

from index.api import KnowledgeBaseAPI
from index.errors import KBLocked

from .db import connect, get_db, now
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


def running_reindex() -> Any:
    """The re-index job still running, if any (one whose server died is marked failed first)."""
    running = get_db().execute("SELECT id, started FROM jobs WHERE kind = 'reindex' AND state = 'running' "
                               "ORDER BY id DESC LIMIT 1").fetchone()
    if running and _orphaned(running["id"]):
        return None
    return running


def start_reindex(user: str) -> int:
    """Record a re-index job for ``user`` and run it in a background thread; returns the job id."""
    cur = get_db().execute("INSERT INTO jobs (kind, user, state, stage, started) VALUES ('reindex', ?, 'running', "
                           "'starting', ?)", (user, now()))
    job_id = int(cur.lastrowid)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    threading.Thread(target=_run_job, args=(app, job_id, kb()), name=f"kb-reindex-{job_id}", daemon=True).start()
    return job_id


def _orphaned(job_id: int) -> bool:
    """A job marked running whose server died: no thread here runs it and nobody holds the KB's write lock."""
    alive = any(t.name == f"kb-reindex-{job_id}" for t in threading.enumerate())
    if alive or kb().writer_active():
        return False
    get_db().execute("UPDATE jobs SET state = 'failed', result = ?, finished = ? WHERE id = ? AND state = 'running'",
                     ("Interrupted: the server stopped while this re-index ran. Start it again.", now(), job_id))
    return True


STAGE_LABELS = {"starting": "Starting", "chunking": "Chunking documents", "embedding": "Embedding passages",
                "vectors": "Building the vector index", "database": "Writing the passage database"}


def job_row(job_id: int) -> Any:
    """The job's row, or None; a running job whose server died is marked failed before it is shown."""
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

