"""Login, logout and the role checks that guard the curator area (and search when KB_REQUIRE_LOGIN=1)."""
from __future__ import annotations

import functools
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, g, redirect, render_template, request, session,
                   url_for)

from .db import audit, get_db
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
        row = get_db().execute("SELECT role FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            session.clear()
        else:
            g.user, g.role = name, row["role"]


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login form cannot be used as an open redirect."""
    if not target:
        return url_for("search.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("search.index")
    return target


def _deny(min_role: str) -> Any:
    from . import error_response, wants_json

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


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Password login; the session cookie is signed with the app's secret key."""
    error = None
    next_url = _safe_next(request.values.get("next"))
    if request.method == "POST":
        name = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        settings = current_app.extensions["kb_settings"]
        role = verify(settings, name, password) if name and password else None
        if role is None:
            error = "Unknown user name or wrong password."
            audit(name[:64] or "-", "login_failed")
        else:
            session.clear()
            session["user"] = name
            audit(name, "login", detail=role)
            flash(f"Signed in as {name}.")
            return redirect(next_url)
    status = 401 if error else 200
    return render_template("login.html", error=error, next_url=next_url), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """POST only (with CSRF) so another site cannot log the user out with a link."""
    if g.user:
        audit(g.user, "logout")
    session.clear()
    flash("Signed out.")
    return redirect(url_for("search.index"))
