"""Curators' original files, kept content-addressed under KB_HOME/originals/ (the one owner of that folder).

A file is stored once per content: `originals/ab/<sha256><suffix>`, written to a temporary name, fsynced and
renamed, so a crash never leaves a partial original under its final name. Catalogue rows refer to it by a small
JSON record (sha256, suffix, bytes, media type, pages).
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

FOLDER = "originals"
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html", ".htm": "text/html",
    ".md": "text/markdown", ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".jsonl": "application/jsonl",
}
FORMAT_LABELS = {".pdf": "PDF", ".docx": "Word document", ".html": "HTML page", ".htm": "HTML page",
                 ".md": "Markdown file", ".markdown": "Markdown file", ".txt": "text file", ".jsonl": "JSON Lines file"}
_SHA = re.compile(r"^[0-9a-f]{64}$")


def _path(home: Path, sha256: str, suffix: str) -> Path:
    return home / FOLDER / sha256[:2] / f"{sha256}{suffix}"


def store(home: Path, data: bytes, suffix: str, pages: int | None = None) -> dict:
    """Keep these bytes (once per content) and return the record the catalogue holds for them."""
    suffix = suffix.lower()
    if suffix not in MEDIA_TYPES:
        suffix = ""
    sha = hashlib.sha256(data).hexdigest()
    final = _path(home, sha, suffix)
    if not final.exists():
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    return {"sha256": sha, "suffix": suffix, "bytes": len(data),
            "media_type": MEDIA_TYPES.get(suffix, "application/octet-stream"), "pages": pages}


def locate(home: Path, record: dict | None) -> Path | None:
    """The stored file for a record, or None when the record is malformed or the file is gone or altered in size."""
    if not record or not _SHA.match(str(record.get("sha256", ""))):
        return None
    suffix = str(record.get("suffix", ""))
    if suffix and suffix not in MEDIA_TYPES:
        return None
    path = _path(home, record["sha256"], suffix)
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size != int(record.get("bytes", -1)):
            return None
    except (OSError, ValueError):
        return None
    return path


def label(record: dict | None) -> str:
    """'PDF, 3 pages' — what the document page shows next to the download link."""
    if not record:
        return ""
    kind = FORMAT_LABELS.get(str(record.get("suffix", "")), "file")
    pages = record.get("pages")
    size = int(record.get("bytes") or 0)
    amount = f"{pages} page{'s' if pages != 1 else ''}" if pages else (
        f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes")
    return f"{kind}, {amount}"
