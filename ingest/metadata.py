"""Metadata from wherever a curator put it: front matter, HTML meta, PDF info, sidecar YAML, CLI options."""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import yaml

from .errors import MetadataError
from .models import DOC_TYPES, DocumentMeta

KEYS = ("id", "title", "type", "source", "published", "reviewed", "tags", "basis", "sample")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Bounds on metadata, so one document cannot make every search page huge (each hit and the filter list show them).
MAX_TAGS = 50
MAX_TAG_CHARS = 64
MAX_FIELD_CHARS = {"title": 500, "source": 300, "basis": 2000}
# Ids appear in URLs and commands: letters, digits and . _ : - only (no '/', so no '..' path segments).
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}")


def slug(text: str) -> str:
    """A stable id from a file name: lower case, runs of other characters become '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "document"


def sidecar_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.meta.yaml")


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(".meta.yaml") or path.name.endswith(".meta.yml")


def load_sidecar(path: Path) -> dict:
    """Read NAME.meta.yaml beside a file, if there is one."""
    side = sidecar_path(path)
    if not side.exists():
        return {}
    try:
        data = yaml.safe_load(side.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:
        # PyYAML raises ValueError for impossible dates such as 2021-02-30
        raise MetadataError(str(side), f"sidecar metadata is not valid YAML ({exc.__class__.__name__}: "
                            f"{str(exc)[:80]})") from exc
    if not isinstance(data, dict):
        raise MetadataError(str(side), "sidecar metadata must be a mapping of keys to values")
    return data


def split_front_matter(text: str) -> tuple[dict, str, int]:
    """Split a leading '---' YAML block off Markdown; returns (metadata, body, body offset)."""
    m = re.match(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|\Z)", text, re.S)
    if not m:
        return {}, text, 0
    try:
        data = yaml.safe_load(m.group(1)) or {}
    except (yaml.YAMLError, ValueError) as exc:
        raise MetadataError("front matter", f"front matter is not valid YAML ({exc.__class__.__name__}: "
                            f"{str(exc)[:80]})") from exc
    if not isinstance(data, dict):
        data = {}
    return data, text[m.end():], m.end()


def _date(value, key: str, where: str) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    value = str(value).strip()
    if re.fullmatch(r"\d{4}", value):
        return f"{value}-01-01"
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return f"{value}-01"
    if not _DATE_RE.match(value) or not valid_date(value):
        raise MetadataError(where, f"'{key}' must be a real date written YYYY-MM-DD, not {value[:40]!r}")
    return value


def valid_date(value: str) -> bool:
    """YYYY-MM-DD naming a day that exists (2021-02-30 does not)."""
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return bool(_DATE_RE.match(value))


def _tags(value, where: str = "") -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        value = re.split(r"[,;]", value)
    if not isinstance(value, (list, tuple)):
        value = [value]
    tags = tuple(dict.fromkeys(str(t).strip().lower() for t in value if str(t).strip()))
    check_tags(tags, where)
    return tags


def check_tags(tags, where: str = "") -> None:
    """Refuse more than MAX_TAGS tags or a tag longer than MAX_TAG_CHARS, saying which bound was passed."""
    if len(tags) > MAX_TAGS:
        raise MetadataError(where, f"{len(tags)} tags; at most {MAX_TAGS} are allowed")
    long = next((t for t in tags if len(t) > MAX_TAG_CHARS), None)
    if long is not None:
        raise MetadataError(where, f"a tag is {len(long)} characters long; at most {MAX_TAG_CHARS} are allowed "
                            f"({long[:20]!r}…)")


def _bounded(value, key: str, where: str) -> str:
    text = str(value or "").strip()
    limit = MAX_FIELD_CHARS[key]
    if len(text) > limit:
        raise MetadataError(where, f"'{key}' is {len(text)} characters long; at most {limit} are allowed")
    return text


def build_meta(path: Path, *layers: dict, default_id: str | None = None, default_title: str = "") -> DocumentMeta:
    """Merge metadata layers, later layers winning, and validate the result."""
    merged: dict = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            key = str(key).lower().removeprefix("kb:")
            if value not in (None, "", [], ()):
                merged[key] = value
    where = os.fsencode(str(path)).decode("utf-8", errors="backslashreplace")
    doc_type = str(merged.get("type", "other")).strip().lower()
    if doc_type not in DOC_TYPES:
        raise MetadataError(where, f"doc type must be one of {', '.join(DOC_TYPES)}, not {doc_type!r}")
    # a file name that is not UTF-8 (from another system) is kept readable, never allowed to break storage
    name = os.fsencode(path.name).decode("utf-8", errors="backslashreplace")
    stem = os.fsencode(path.stem).decode("utf-8", errors="replace")
    doc_id = str(merged.get("id") or default_id or slug(stem)).strip()
    if not ID_RE.fullmatch(doc_id):
        raise MetadataError(where, f"document id {doc_id[:60]!r} is refused: ids may hold only letters, digits "
                            "and . _ : - (at most 200, starting with a letter or digit)")
    return DocumentMeta(
        doc_id=doc_id,
        title=_bounded(merged.get("title") or default_title or stem, "title", where),
        doc_type=doc_type,
        source=_bounded(merged.get("source", ""), "source", where),
        published=_date(merged.get("published"), "published", where),
        reviewed=_date(merged.get("reviewed"), "reviewed", where),
        tags=_tags(merged.get("tags"), where),
        filename=name,
        basis=_bounded(merged.get("basis", ""), "basis", where),
    )
