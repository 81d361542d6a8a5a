"""Practice Partner web app: the application factory, security headers and error pages.

The gunicorn server behind `kb serve` is ``server.py``; the session key ``secret_key.py``; rate limits
``limits.py``.  Their public names are re-exported here, where the CLI and tests import them.
"""
from __future__ import annotations

import logging
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from kb_errors import KBError
from kb_settings import Settings

from .limits import limiter
from .responses import ALLOWED_SUFFIXES, error_response, wants_json
from .secret_key import load_secret_key
from .server import gunicorn_options, make_gunicorn_app, port_problem, public_url, serve

__all__ = [
    "ALLOWED_SUFFIXES", "create_app", "error_response", "gunicorn_options", "load_secret_key", "make_gunicorn_app",
    "port_problem", "public_url", "serve", "wants_json",
]

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

log = logging.getLogger("webapp")


def _log_queries_to_stderr() -> None:
    """KB_LOG_QUERIES=1: the search logger writes its INFO lines to stderr (gunicorn's error log)."""
    qlog = logging.getLogger("webapp.search")
    qlog.setLevel(logging.INFO)
    if not any(isinstance(h, _StderrHandler) for h in qlog.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s [%(process)d] [INFO] %(message)s"))
        qlog.addHandler(handler)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is logged (gunicorn may redirect it after start-up)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def create_app(settings: Settings | None = None, kb: Any | None = None, test_config: dict | None = None) -> Flask:
    """Build the app; the KnowledgeBase is created once here (per worker) and loads its model lazily."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=load_secret_key(settings),
        MAX_CONTENT_LENGTH=settings.max_file_mb * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.behind_tls,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_HEADERS_ENABLED=False,
        DATABASE=str(Path(settings.home) / "webapp.db"),
        SEARCH_RATE_LIMIT=settings.search_rate_limit,
        LOGIN_RATE_LIMIT="10/minute",
        FEEDBACK_RATE_LIMIT=settings.feedback_rate_limit,
    )
    if test_config:
        app.config.update(test_config)
    if settings.proxy_hops > 0:
        # Behind a TLS-terminating proxy: the client's address (rate limits), https links and the public host.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.json.sort_keys = False  # keep the key order of result.to_dict(), like `kb search --json`
    if settings.log_queries:
        _log_queries_to_stderr()
    if kb is None:
        from index.kb import KnowledgeBase  # imported here: nothing heavy at import time

        kb = KnowledgeBase(settings)
    app.extensions["kb"] = kb
    app.extensions["kb_settings"] = settings

    from . import db
    from .limits import retry_after_seconds

    db.init_app(app)
    csrf.init_app(app)

    from . import auth, curate, search, tokens

    app.register_blueprint(auth.bp)
    app.register_blueprint(tokens.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(curate.bp)  # with its nested reports and admin blueprints
    limiter.init_app(app)

    from .render import doc_type_label, local_time, version_label

    app.add_template_filter(local_time, "when")
    app.add_template_filter(version_label, "version")
    app.add_template_global(doc_type_label, "type_label")

    @app.context_processor
    def _globals() -> dict:
        return {"require_login": settings.require_login}

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        """Every response gets the same strict headers; no inline script exists anywhere."""
        resp.headers.setdefault("Content-Security-Policy", CSP)  # a download may set a stricter one
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @app.errorhandler(KBError)
    def _kb_error(e: KBError) -> Any:
        """The one translation of library errors: the error's own status, JSON under /api/, a page otherwise."""
        from index.errors import KBEmpty

        from .search import EMPTY_MESSAGE

        if e.status >= 500:
            log.error("%s %s: %s", request.method, request.path, e)  # the path, never the query string
        if isinstance(e, KBEmpty):  # the physician's wording, not the operator's `kb ingest` hint
            return error_response(e.status, EMPTY_MESSAGE)
        if wants_json():
            return jsonify(e.to_json()), e.status
        return error_response(e.status, e.message)

    @app.errorhandler(413)
    def _too_large(_e: Exception) -> Any:
        return error_response(
            413, f"The upload is larger than the {settings.max_file_mb} MB limit (KB_MAX_FILE_MB). "
            "Upload fewer or smaller files."
        )

    @app.errorhandler(CSRFError)
    def _csrf(e: CSRFError) -> Any:
        return error_response(400, f"The form expired or was not sent from this site ({e.description}). "
                              "Go back, reload the page and try again.")

    @app.errorhandler(429)
    def _rate(_e: Exception) -> Any:
        retry = retry_after_seconds()
        resp = error_response(429, f"Too many requests; try again in {retry} seconds.")
        body, status = resp
        out = app.make_response((body, status))
        out.headers["Retry-After"] = str(retry)
        return out

    @app.errorhandler(404)
    def _nf(_e: Exception) -> Any:
        return error_response(404, "Not found.")

    @app.errorhandler(405)
    def _method(_e: Exception) -> Any:
        return error_response(405, "Method not allowed.")

    @app.errorhandler(500)
    def _ise(_e: Exception) -> Any:
        return error_response(500, "Internal error; the operator can find details in the server log.")

    return app
