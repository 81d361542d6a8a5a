"""Metadata from wherever a curator put it: front matter, HTML meta, PDF info, sidecar YAML, CLI options."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml

from .errors import MetadataError
from .models import DOC_TYPES, DocumentMeta

KEYS = ("id", "title", "type", "source", "published", "reviewed", "tags", "basis", "sample")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
    if not _DATE_RE.match(value):
        raise MetadataError(where, f"'{key}' must be a date written YYYY-MM-DD, not {value!r}")
    return value


def _tags(value) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        value = re.split(r"[,;]", value)
    return tuple(dict.fromkeys(str(t).strip().lower() for t in value if str(t).strip()))


def build_meta(path: Path, *layers: dict, default_id: str | None = None, default_title: str = "") -> DocumentMeta:
    """Merge metadata layers, later layers winning, and validate the result."""
    merged: dict = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            key = str(key).lower().removeprefix("kb:")
            if value not in (None, "", [], ()):
                merged[key] = value
    where = str(path)
    doc_type = str(merged.get("type", "other")).strip().lower()
    if doc_type not in DOC_TYPES:
        raise MetadataError(where, f"doc type must be one of {', '.join(DOC_TYPES)}, not {doc_type!r}")
    doc_id = str(merged.get("id") or default_id or slug(path.stem)).strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}", doc_id):
        raise MetadataError(where, f"document id {doc_id!r} may hold only letters, digits and . _ : / -")
    return DocumentMeta(
        doc_id=doc_id,
        title=str(merged.get("title") or default_title or path.stem).strip(),
        doc_type=doc_type,
        source=str(merged.get("source", "")).strip(),
        published=_date(merged.get("published"), "published", where),
        reviewed=_date(merged.get("reviewed"), "reviewed", where),
        tags=_tags(merged.get("tags")),
        filename=path.name,
        basis=str(merged.get("basis", "")).strip(),
    )
