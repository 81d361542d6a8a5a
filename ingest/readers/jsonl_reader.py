"""BEIR-style JSONL: one document per line with `_id`, `title` and `text`."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import CorruptDocument
from ..models import Block
from . import RawDocument
from .textutil import decode


def parse(path: Path, data: bytes) -> list[RawDocument]:
    text = decode(str(path), data)
    docs: list[RawDocument] = []
    seen: set[str] = set()
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorruptDocument(str(path), f"line {lineno} is not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or "_id" not in row or not isinstance(row.get("text", ""), str):
            raise CorruptDocument(str(path), f"line {lineno} needs an '_id' and a 'text' string")
        doc_id = str(row["_id"])
        if doc_id in seen:
            raise CorruptDocument(str(path), f"line {lineno} repeats the id {doc_id!r}")
        seen.add(doc_id)
        title = str(row.get("title") or "")
        body = str(row.get("text") or "").strip()
        meta = {k: row[k] for k in ("type", "source", "published", "reviewed", "tags") if k in row}
        docs.append(RawDocument([Block(body, (), None)], meta=meta, default_id=doc_id, default_title=title))
    return docs
