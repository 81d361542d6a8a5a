"""Rate limits: one Flask-Limiter extension, limits declared on the views they guard, values read from the app's config.

``LOGIN_RATE_LIMIT``, ``SEARCH_RATE_LIMIT`` and ``FEEDBACK_RATE_LIMIT`` come from ``create_app`` (and so from
KB_SEARCH_RATE_LIMIT / KB_FEEDBACK_RATE_LIMIT); the value ``off`` (or ``none``, ``0``, empty) turns a limit off,
for example behind a proxy that limits per user instead.  Counters live in the storage named by
``RATELIMIT_STORAGE_URI`` (``memory://``: per worker process).
"""
from __future__ import annotations

import time
from typing import Callable

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(get_remote_address, default_limits=[])


def from_config(key: str) -> Callable[[], str]:
    """The limit named by ``app.config[key]``, read per request; "" (no limit) when it is switched off."""

    def value() -> str:
        limit = str(current_app.config.get(key, "")).strip()
        return "" if limit.lower() in ("off", "none", "0", "") else limit

    return value


def no_query() -> bool:
    """An empty search form (the home page) is not a search, so it costs no search allowance."""
    return not request.args.get("q", "").strip()


def retry_after_seconds() -> int:
    """Seconds until the breached limit's window resets (for the Retry-After header); 60 if unknown."""
    try:
        current = limiter.current_limit
        if current is not None:
            return max(1, int(current.reset_at - time.time()))
    except Exception:  # noqa: BLE001 - a storage hiccup must not turn a 429 into a 500
        pass
    return 60
