"""Login, logout and the role checks that guard the curator area (and search when KB_REQUIRE_LOGIN=1)."""
from __future__ import annotations

import functools
import hashlib
import time
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, g, redirect, render_template, request, session,
                   url_for)

from . import store
from .db import get_db
from .limits import from_config, limiter
from .users import verify

bp = Blueprint("auth", __name__)

RANK = {"physician": 1, "curator": 2, "admin": 3}


@bp.before_app_request
def load_logged_in_user() -> None:
    """Look the role up on every request so a removed or demoted account loses access immediately."""
    g.user = None
    g.role = None
    name = session.get("user")
    if name:
        user = store.get_user(get_db(), name)
        if user is None or session.get("sv") != user.session_version:
            session.clear()  # removed, logged out elsewhere, password or role changed: this cookie is over
        else:
            g.user, g.role = name, user.role


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login form cannot be used as an open redirect."""
    if not target:
        return url_for("search.index")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return url_for("search.index")  # CR/LF would split the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("search.index")
    return target


def _deny(min_role: str) -> Any:
    from .responses import error_response, wants_json

    if g.user is None:
        if wants_json():
            return error_response(401, "Log in to use this service.")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    return error_response(403, f"This page needs the {min_role} role.")


def role_required(min_role: str) -> Callable:
    """Decorator: the logged-in user must hold at least `min_role` (physician < curator < admin)."""

    def deco(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.user is None or RANK.get(g.role or "", 0) < RANK[min_role]:
                return _deny(min_role)
            return view(*args, **kwargs)

        return wrapped

    return deco


def reader_required(view: Callable) -> Callable:
    """Decorator for physician pages: open by default, login-only when settings.require_login."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_app.extensions["kb_settings"].require_login and g.user is None and not g.get("api_token"):
            return _deny("physician")
        return view(*args, **kwargs)

    return wrapped


# Per-account back-off, shared by every worker through webapp.db: after FREE_FAILURES wrong passwords in a row,
# each further attempt must wait 2, 4, 8 ... seconds (at most BACKOFF_MAX_SECONDS) after the last failure. The
# answer while waiting is the same generic error, so it tells an attacker nothing about the account.
FREE_FAILURES = 5
BACKOFF_MAX_SECONDS = 900


def _now() -> float:
    return time.time()


def _account_key(name: str) -> str:
    return hashlib.sha256(name.strip().lower().encode("utf-8", "replace")).hexdigest()


def _backoff_wait(key: str) -> float:
    row = store.login_failures(get_db(), key)
    if row is None or row[0] < FREE_FAILURES:
        return 0.0
    failures, last = row
    wait = min(2.0 ** (failures - FREE_FAILURES + 1), BACKOFF_MAX_SECONDS)
    return max(0.0, last + wait - _now())


def _record_failure(key: str) -> None:
    store.add_login_failure(get_db(), key, _now())


def _audit_name(name: str) -> str:
    """A failed login's user name for the audit log: an existing account's name, else only a short hash (a
    password typed into the name field must never be stored)."""
    if name and store.get_user(get_db(), name) is not None:
        return name
    return f"(unknown name #{_account_key(name)[:10]})" if name else "-"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(from_config("LOGIN_RATE_LIMIT"), methods=["POST"])
def login() -> Any:
    """Password login; the signed session cookie holds the user name and the account's session version."""
    error = None
    next_url = _safe_next(request.values.get("next"))
    if request.method == "POST":
        name = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        settings = current_app.extensions["kb_settings"]
        key = _account_key(name)
        waiting = _backoff_wait(key) > 0
        role = verify(settings, name, password) if name and password and not waiting else None
        if role is None:
            error = "Unknown user name or wrong password."
            if not waiting:
                _record_failure(key)
            store.audit(get_db(), _audit_name(name), "login_throttled" if waiting else "login_failed")
        else:
            store.clear_login_failures(get_db(), key)
            user = store.get_user(get_db(), name)
            session.clear()
            session.permanent = True  # expires after KB_SESSION_HOURS (PERMANENT_SESSION_LIFETIME)
            session["user"] = name
            session["sv"] = user.session_version if user else 0
            store.audit(get_db(), name, "login", detail=role)
            flash(f"Signed in as {name}.")
            return redirect(next_url)
    status = 401 if error else 200
    return render_template("login.html", error=error, next_url=next_url), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """POST only (with CSRF) so another site cannot log the user out with a link; ends all of the user's sessions."""
    if g.user:
        store.end_sessions(get_db(), g.user)
        store.audit(get_db(), g.user, "logout")
    session.clear()
    flash("Signed out.")
    return redirect(url_for("search.index"))
