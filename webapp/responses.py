"""How the web app answers when something goes wrong, and what it accepts: shared by the factory and every
blueprint, so no view module needs to import the package that imports it."""
from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request

ALLOWED_SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx", ".jsonl")


def wants_json() -> bool:
    """API and health routes answer errors in JSON; pages answer in HTML."""
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, message: str) -> Any:
    """One place that renders an error as JSON or as a page, with the right status."""
    if wants_json():
        return jsonify({"error": message}), status
    return render_template("error.html", status=status, message=message), status
