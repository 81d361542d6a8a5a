"""The production server behind `kb serve`: gunicorn with gthread workers, each building the app after fork.

Also the checks and messages around it: whether the port is free, the address to give people,
the "ready" announcement once a worker answers, and an access log that never records query text.
"""
from __future__ import annotations

import errno
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from flask import Flask

from kb_settings import Settings


def gunicorn_options(settings: Settings, host: str, port: int) -> dict:
    """Gunicorn settings: gthread workers, no preload (one model per worker), access log without query strings."""
    return {
        "bind": f"{host}:{port}",
        "workers": settings.workers,
        "threads": settings.threads,
        "keepalive": settings.keepalive,
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
        kb.warm_up()  # generation, query encoder and misspelling dictionary, before the first search
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
                body = json.loads(resp.read() or b"{}")
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
            from . import create_app

            return create_app(settings)

    return PracticePartnerServer()


MALLOC_ARENAS = 2  # glibc's default is 8 per core; a second worker then holds ~11 MB less (BENCHMARKS.md)
_M_ARENA_MAX = -8  # mallopt() parameter number, from glibc's malloc.h


def limit_malloc_arenas(n: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas before the workers fork (they inherit it). A worker's threads (gthread, the keyword
    leg, ONNX Runtime) each get an arena by default, and memory freed in one stays there. An operator's own
    MALLOC_ARENA_MAX wins; elsewhere than glibc this does nothing. Returns whether the cap was set here."""
    import ctypes
    import ctypes.util
    import os

    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, int(n)))
    except (OSError, AttributeError):
        return False


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, announce: Any = None) -> None:
    """Run the web app under gunicorn until interrupted (used by `kb serve`); `announce` hears "ready"."""
    limit_malloc_arenas()
    make_gunicorn_app(settings, host, port, announce).run()
