"""API tokens for services such as an EMR: created by an admin, stored as SHA-256 only, read-only, revocable."""
from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from dataclasses import asdict
from typing import Any

from flask import Blueprint, g, jsonify, request

from kb_errors import KBError
from kb_settings import Settings

from . import store
from .db import connect, get_db, init_schema, now

PREFIX = "ppt_"
SCOPE = "read"
_NAME = re.compile(r"^[A-Za-z0-9 _.@-]{1,64}$")

bp = Blueprint("tokens", __name__)


class TokenError(KBError, ValueError):
    """A bad token name (400) or an unknown token id (404); the message is for the admin."""

    status = 400


def _hash(token: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough (no slow hash needed, unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn: sqlite3.Connection, name: str, created_by: str) -> tuple[int, str]:
    """A new read-only token; the clear text is returned once and never stored."""
    name = (name or "").strip()
    if not _NAME.match(name):
        raise TokenError("token name must be 1-64 letters, digits, spaces or . _ @ -")
    token = PREFIX + secrets.token_urlsafe(32)
    return store.add_token(conn, name, _hash(token), SCOPE, created_by), token


def list_tokens(conn: sqlite3.Connection) -> list[dict]:
    """Every token's id, name, scope and dates (never the hash)."""
    return [asdict(t) for t in store.all_tokens(conn)]


def revoke_token(conn: sqlite3.Connection, token_id: int) -> str:
    """Revoke by id; returns the token's name. Revoking twice is harmless."""
    found = store.get_token(conn, token_id)
    if found is None:
        raise TokenError(f"no API token with id {token_id}", status=404)
    store.revoke_token(conn, token_id)
    return found.name


def verify_token(conn: sqlite3.Connection, token: str) -> dict | None:
    """The live token row for a presented token, or None (unknown, malformed or revoked)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    found = store.live_token(conn, _hash(token))
    if found is None:
        return None
    stamp = now()
    if found.last_used[:16] != stamp[:16]:  # at most one write a minute per token
        store.token_used(conn, found.id, stamp)
    return {"id": found.id, "name": found.name, "scope": found.scope, "last_used": found.last_used}


def open_db(settings: Settings) -> sqlite3.Connection:
    """webapp.db for the CLI (`kb tokens ...`)."""
    path = settings.home / "webapp.db"
    init_schema(path)
    return connect(path)


@bp.before_app_request
def _bearer() -> Any:
    """`Authorization: Bearer ppt_...` on a GET to /api/ authenticates a service; a bad token is a 401, not anonymous."""
    g.api_token = None
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    if not request.path.startswith("/api/"):
        return None  # tokens open the API only, never the pages or the curator area
    if request.method not in ("GET", "HEAD"):
        return _unauthorized("API tokens are read-only")
    row = verify_token(get_db(), header[7:].strip())
    if row is None:
        return _unauthorized("the API token is unknown or revoked")
    g.api_token = row
    return None


def _unauthorized(message: str) -> Any:
    resp = jsonify({"error": message})
    resp.status_code = 401
    resp.headers["WWW-Authenticate"] = 'Bearer realm="Practice Partner API"'
    return resp
