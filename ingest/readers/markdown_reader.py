"""Markdown with YAML front matter: '#' headings give the section path; inline markup is stripped."""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import MetadataError
from ..metadata import split_front_matter
from . import RawDocument
from .sections import SectionBuilder, join_wrapped
from .textutil import decode

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def strip_inline(text: str) -> str:
    """Remove emphasis, code ticks, images and link targets, keeping the words."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"<[^>\n]+>", "", text)
    return text


def parse(path: Path, data: bytes) -> list[RawDocument]:
    text = decode(str(path), data)
    try:
        meta, body, _ = split_front_matter(text)
    except MetadataError as exc:
        raise MetadataError(str(path), exc.reason) from exc
    except (ValueError, RecursionError) as exc:  # PyYAML builds dates eagerly: 'published: 2021-02-30' -> ValueError
        raise MetadataError(str(path), f"front matter holds a value that cannot be read ({exc})") from exc
    sb = SectionBuilder()
    para: list[str] = []
    title = ""
    in_code = False

    def end_para() -> None:
        if para:
            sb.para(join_wrapped(para))
            para.clear()

    for raw in body.split("\n"):
        line = raw.rstrip()
        if line.strip().startswith("```"):
            in_code = not in_code
            continue
        m = None if in_code else _HEADING.match(line)
        if m:
            end_para()
            heading = strip_inline(m.group(2))
            sb.heading(len(m.group(1)), heading)
            title = title or (heading if len(m.group(1)) == 1 else "")
        elif not line.strip():
            end_para()
        elif re.fullmatch(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*", line):
            continue  # table separator row
        else:
            para.append(strip_inline(line.strip()))
    end_para()
    return [RawDocument(sb.finish(), meta=meta, default_title=title)]
