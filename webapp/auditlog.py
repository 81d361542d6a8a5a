"""The audit log as people read it: action names in the curators' words and edits as field before -> after.

Pure formatting over rows of the ``audit`` table (``store.AuditEntry``, written by ``store.audit``); shared by
the curator dashboard, the edit view (which records the changes) and the admin's audit page.
"""
from __future__ import annotations

import json
from typing import Any

from .store import AuditEntry

# What each audited action means, in the curators' words; the first group changes what physicians see.
ACTION_LABELS = {
    "upload": "Uploaded", "edit": "Edited", "delete": "Deleted", "release": "Released from quarantine",
    "release_redacted": "Released redacted", "quarantine_discard": "Discarded from quarantine",
    "reindex": "Re-indexed", "upload_rejected": "Upload rejected", "login": "Signed in",
    "login_failed": "Failed sign-in", "logout": "Signed out", "audit_download": "Downloaded the audit log",
    "token_create": "Created an API token", "token_revoke": "Revoked an API token",
}
CONTENT_ACTIONS = ("upload", "edit", "delete", "release", "release_redacted", "quarantine_discard", "reindex")


def audit_row(row: AuditEntry) -> dict:
    """An audit entry ready to show: a readable action and, for edits, each field's before -> after."""
    detail = row.detail or ""
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
                changes.append((FIELD_LABELS.get(field, field), shown(old), shown(new)))
            rest = {k: v for k, v in data.items() if k != "changes"}
            text = ", ".join(f"{k}: {v}" for k, v in rest.items())
    return {"id": row.id, "created": row.created, "user": row.user, "action": row.action,
            "action_label": ACTION_LABELS.get(row.action, row.action.replace("_", " ")),
            "target": row.target, "detail": text, "changes": changes}


FIELD_LABELS = {"title": "Title", "doc_type": "Type", "source": "Source", "published": "Published",
                "reviewed": "Last reviewed", "tags": "Topics", "basis": "Based on"}


def shown(value: Any) -> str:
    """A field value as a cell: lists joined, blanks named."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value) if value not in (None, "") else "(empty)"


def clip(value: Any) -> Any:
    """Audit values are metadata, never document text; long ones are cut so a row stays small."""
    if isinstance(value, list):
        return [str(v)[:80] for v in value[:20]]
    return str(value)[:200]

