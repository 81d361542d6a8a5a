"""The one error root: every error a person can act on carries a message for them and an HTTP status.

The edges translate it once: the `kb` command prints `error: <message>` and exits non-zero; the web app renders
JSON (API) or a page (HTML) with `status`. Families live where they are raised (index/errors.py,
ingest/errors.py, webapp/users.py, ...) and all derive from `KBError`, so no edge needs a list of them.
"""
from __future__ import annotations

from typing import Any


class KBError(Exception):
    """Base class: the message is meant for a physician, curator or operator to act on; `status` is for HTTP."""

    status: int = 500

    def __init__(self, message: str = "", *, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        """The text shown to a person (the CLI's `error:` line, the web app's error page or JSON)."""
        return str(self)

    def to_json(self) -> dict[str, Any]:
        """The JSON body the API answers with; subclasses may add fields a client can act on."""
        return {"error": self.message}

    def __reduce__(self) -> Any:
        # Errors cross the parser sandbox's process boundary: keep a per-instance status through pickling.
        return (_rebuild, (self.__class__, self.args, self.__dict__))


def _rebuild(cls: type, args: tuple, state: dict) -> KBError:
    err = Exception.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class ConfigError(KBError):
    """A setting (environment variable or option) has a value the product cannot use; names the setting."""

    status = 500
