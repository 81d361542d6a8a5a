"""Practice Partner web app: application factory and the gunicorn entry point used by `kb serve`."""
from __future__ import annotations

import errno
import logging
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect

from kb_errors import KBError
from kb_settings import Settings

csrf = CSRFProtect()

ALLOWED_SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx", ".jsonl")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

log = logging.getLogger("webapp")


def load_secret_key(settings: Settings) -> str:
    """Use the configured key, else one generated once into KB_HOME/secret_key (0600) so all workers agree."""
    if settings.secret_key:
        return settings.secret_key
    home = Path(settings.home)
    home.mkdir(parents=True, exist_ok=True)
    path = home / "secret_key"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=home, prefix=".secret_key.")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, secrets.token_hex(32).encode())
            os.close(fd)
            try:
                os.link(tmp, path)  # atomic and fails if another worker won the race
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty; delete it so a new key is generated")
    return key


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


def wants_json() -> bool:
    """API and health routes answer errors in JSON; pages answer in HTML."""
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, message: str) -> Any:
    """One place that renders an error as JSON or as a page, with the right status."""
    if wants_json():
        return jsonify({"error": message}), status
    return render_template("error.html", status=status, message=message), status


def retry_after_seconds(app: Flask) -> int:
    """Seconds until the breached limit's window resets (for the Retry-After header); 60 if unknown."""
    try:
        current = app.extensions["kb_limiter"].current_limit
        if current is not None:
            return max(1, int(current.reset_at - time.time()))
    except Exception:  # noqa: BLE001 - a storage hiccup must not turn a 429 into a 500
        pass
    return 60


def _install_rate_limits(app: Flask) -> Limiter:
    """A Limiter per app (flask-limiter keeps its state on the object), wrapped around the limited views."""
    lim = Limiter(get_remote_address, app=app, storage_uri=app.config["RATELIMIT_STORAGE_URI"], default_limits=[])

    def no_query() -> bool:
        return not request.args.get("q", "").strip()

    wraps = [
        ("auth.login", app.config["LOGIN_RATE_LIMIT"], {"methods": ["POST"]}),
        ("search.index", app.config["SEARCH_RATE_LIMIT"], {"exempt_when": no_query}),
        ("search.api_search", app.config["SEARCH_RATE_LIMIT"], {}),
        ("search.feedback", app.config["FEEDBACK_RATE_LIMIT"], {}),
    ]
    for endpoint, limit, kwargs in wraps:
        if str(limit).strip().lower() in ("off", "none", "0", ""):
            continue  # KB_SEARCH_RATE_LIMIT=off: e.g. behind a proxy that limits per user instead
        app.view_functions[endpoint] = lim.limit(limit, **kwargs)(app.view_functions[endpoint])
    app.extensions["kb_limiter"] = lim
    return lim


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

    db.init_app(app)
    csrf.init_app(app)

    from . import auth, curate, search, tokens

    app.register_blueprint(auth.bp)
    app.register_blueprint(tokens.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(curate.bp)
    _install_rate_limits(app)

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
        retry = retry_after_seconds(app)
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



def gunicorn_options(settings: Settings, host: str, port: int) -> dict:
    """Gunicorn settings: gthread workers, no preload (one model per worker), access log without query strings."""
    return {
        "bind": f"{host}:{port}",
        "workers": settings.workers,
        "threads": settings.threads,
        "worker_class": "gthread",
        "preload_app": False,
        "timeout": 300,
        "accesslog": "-",
        # %(U)s is the path without the query string, so search text never reaches the log.
        "access_log_format": '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms',
        "errorlog": "-",
        "logger_class": access_logger_class(),
        "post_worker_init": _warm_worker,
    }


def escape_controls(value: Any) -> Any:
    """Control characters in a logged value (a %0a in a path, an escape sequence) become visible \\xNN text,
    so a request can never start a new, forged line in the access log or drive the operator's terminal."""
    if not isinstance(value, str):
        return value
    return "".join(f"\\x{ord(ch):02x}" if ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 else ch for ch in value)


def access_logger_class() -> Any:
    """gunicorn's logger with every access-log field escaped (imported lazily: nothing heavy at import time)."""
    from gunicorn.glogging import Logger

    class EscapingLogger(Logger):
        def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict:
            return {k: escape_controls(v) for k, v in super().atoms(resp, req, environ, request_time).items()}

    return EscapingLogger


def _warm_worker(worker: Any) -> None:
    """Load the model and the live generation as a worker starts, so no physician waits for it."""
    app = getattr(worker, "wsgi", None)
    kb = app.extensions.get("kb") if app is not None and hasattr(app, "extensions") else None
    if kb is None:
        return
    try:
        kb.generation()
        kb.query_encoder.encode_query("warm up")
        if hasattr(kb, "speller"):  # the misspelling dictionary is built per generation: build it now, not on a search
            kb.speller(kb.generation())
    except Exception as exc:  # noqa: BLE001 - an empty or broken KB must not stop the worker; requests report it
        worker.log.warning("warm-up skipped: %s", exc.__class__.__name__)


def port_problem(host: str, port: int) -> str | None:
    """Why nothing could listen on host:port, checked before gunicorn starts (it would only log a traceback)."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        return f"cannot use host {host!r}: {exc.strerror}"
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does: TIME_WAIT is no obstacle
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"port {port} on {host} is already in use (is Practice Partner already running?); stop that "
                        f"server or choose another port (kb serve --port N, make run PORT=N)")
            return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def public_url(host: str, port: int) -> str:
    """The address to give people: a wildcard bind is reached through this machine's name."""
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    return f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"


def wait_until_ready(host: str, port: int, announce: Any, timeout: float = 900.0) -> bool:
    """Poll /healthz until a worker answers, then announce it once: the URL printed earlier is not yet serving."""
    probe = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    url = f"http://{'[' + probe + ']' if ':' in probe else probe}:{port}/healthz"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=60) as resp:
                import json as _json

                body = _json.loads(resp.read() or b"{}")
            from .render import version_label

            announce(f"ready: {public_url(host, port)} serves {body.get('documents', '?')} documents "
                     f"({version_label(str(body.get('generation', '')))}). Stop with Ctrl-C.")
            return True
        except urllib.error.HTTPError as exc:
            if exc.code == 503:
                announce(f"ready: {public_url(host, port)}, but the knowledge base is empty: add documents with "
                         "`kb ingest PATH` or the curator area. Stop with Ctrl-C.")
                return True
            time.sleep(0.5)
        except (OSError, ValueError):
            time.sleep(0.5)
    announce(f"error: no worker answered {url} within {int(timeout)} s; see the log above")
    return False


def make_gunicorn_app(settings: Settings, host: str, port: int, announce: Any = None) -> Any:
    """Build the gunicorn application object (separate from running it so tests can inspect its config)."""
    from gunicorn.app.base import BaseApplication

    class PracticePartnerServer(BaseApplication):
        """Runs create_app() in each worker after fork, so each worker loads the model once."""

        def __init__(self) -> None:
            self.options = gunicorn_options(settings, host, port)
            if announce is not None:
                def when_ready(_server: Any) -> None:
                    threading.Thread(target=wait_until_ready, args=(host, port, announce), name="kb-ready",
                                     daemon=True).start()

                self.options["when_ready"] = when_ready
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return create_app(settings)

    return PracticePartnerServer()


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, announce: Any = None) -> None:
    """Run the web app under gunicorn until interrupted (used by `kb serve`); `announce` hears "ready"."""
    make_gunicorn_app(settings, host, port, announce).run()
