"""Pure helpers that turn untrusted document text and its blocks into plain data; templates escape every piece."""
from __future__ import annotations

import re
from datetime import date

REVIEW_YEARS = 5
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def segments(text: str, spans: list[list[int]] | list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """Split text into alternating plain/marked pieces; overlapping, unsorted or out-of-range spans are tolerated."""
    n = len(text)
    clean: list[tuple[int, int]] = []
    for span in spans or []:
        try:
            s, e = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError):
            continue
        s, e = max(0, min(s, n)), max(0, min(e, n))
        if e > s:
            clean.append((s, e))
    clean.sort()
    merged: list[list[int]] = []
    for s, e in clean:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out: list[tuple[str, bool]] = []
    pos = 0
    for s, e in merged:
        if s > pos:
            out.append((text[pos:s], False))
        out.append((text[s:e], True))
        pos = e
    if pos < n:
        out.append((text[pos:], False))
    return out


def passage_split(text: str, start: int | None, end: int | None) -> tuple[str, str, str] | None:
    """(before, passage, after) for the document view, or None when the offsets do not fit the text."""
    if start is None or end is None or not (0 <= start < end <= len(text)):
        return None
    return text[:start], text[start:end], text[end:]


def parse_date(value: str) -> date | None:
    """YYYY-MM-DD or None; metadata dates are strings that may be empty."""
    if not value or not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def review_status(published: str, reviewed: str, today: date | None = None) -> dict:
    """Flag content whose last review (or, lacking one, publication) is over five years before today."""
    today = today or date.today()
    last = parse_date(reviewed) or parse_date(published)
    if last is None:
        return {"stale": True, "label": "Review date unknown"}
    try:
        limit = last.replace(year=last.year + REVIEW_YEARS)
    except ValueError:  # 29 February
        limit = last.replace(year=last.year + REVIEW_YEARS, day=28)
    if today > limit:
        return {"stale": True, "label": f"Not reviewed for over {REVIEW_YEARS} years (last {last.isoformat()})"}
    return {"stale": False, "label": ""}


DOC_TYPE_LABELS = {"guideline": "Guideline", "echo-case": "ECHO case", "other": "Other"}


def doc_type_label(value: str) -> str:
    """Human label for the badge."""
    return DOC_TYPE_LABELS.get(value, value or "Unknown")


# -- structured rendering ------------------------------------------------------------------------------------
# Documents render from their typed blocks (offsets into the stored text), never from markup in the text. Each
# function returns plain data (node dicts with (text, style) segments); templates/_blocks.html escapes and prints.

Segment = tuple[str, str]  # (text, style): style "" plain, "passage" the cited passage, "focus" the answer sentence


def styled_segments(text: str, a: int, b: int, passage: list[tuple[int, int]] | None = None,
                    focus: list[tuple[int, int]] | None = None) -> list[Segment]:
    """text[a:b] cut where the passage and focus spans (absolute offsets) begin and end; focus wins."""
    a, b = max(0, a), min(len(text), b)
    if b <= a:
        return []
    cuts = {a, b}
    spans = []
    for style, group in (("passage", passage or []), ("focus", focus or [])):
        for s, e in group:
            try:
                s, e = int(s), int(e)
            except (TypeError, ValueError):
                continue
            s, e = max(a, s), min(b, e)
            if e > s:
                cuts.update((s, e))
                spans.append((s, e, style))
    points = sorted(cuts)
    out: list[Segment] = []
    for s, e in zip(points, points[1:]):
        style = ""
        for ss, se, st in spans:
            if ss <= s and e <= se and (st == "focus" or not style):
                style = st
        if out and out[-1][1] == style:
            out[-1] = (out[-1][0] + text[s:e], style)
        else:
            out.append((text[s:e], style))
    return out


def _plain_blocks(text: str, a: int, b: int) -> list[dict]:
    """Without stored blocks (an old generation, a test double): paragraphs at blank lines."""
    out, pos = [], a
    for part in text[a:b].split("\n\n"):
        if part.strip():
            out.append({"kind": "paragraph", "start": pos, "end": pos + len(part), "page": None, "level": 0,
                        "depth": 0, "number": None, "rows": [], "header": False, "heading_path": []})
        pos += len(part) + 2
    return out


def block_nodes(text: str, blocks: list[dict] | None, a: int, b: int, *, passage=None, focus=None,
                headings: bool = True, pages: bool = False, skip_title: str = "") -> list[dict]:
    """Render nodes for text[a:b]: headings, paragraphs, quotes, code, nested lists, tables (with their header
    row even when only some body rows fall in the range) and, when asked, page markers where the page changes."""
    blocks = [blk for blk in (blocks or []) if blk["start"] < b and blk["end"] > a] or _plain_blocks(text, a, b)
    nodes: list[dict] = []
    page = None
    lists: list[dict] = []  # open list nodes, outermost first

    def seg(s: int, e: int) -> list[Segment]:
        return styled_segments(text, max(a, s), min(b, e), passage, focus)

    stack: list[tuple[int, dict]] = []  # open lists: (depth, node), outermost first
    for n, blk in enumerate(blocks):
        kind = blk["kind"]
        if pages and blk.get("page") and blk["page"] != page:
            page = blk["page"]
            stack = []
            nodes.append({"type": "page", "page": page})
        if kind != "list_item":
            stack = []
        if kind == "heading":
            cited = any(int(s) < blk["end"] and int(e) > blk["start"] for s, e in (passage or []))
            if n == 0 and skip_title and not cited and text[blk["start"]:blk["end"]].strip() == skip_title.strip():
                continue  # the page's own title already shows it
            nodes.append({"type": "heading" if headings else "lead", "level": blk.get("level") or 2,
                          "segs": seg(blk["start"], blk["end"]), "anchor": f"h-{blk['start']}"})
        elif kind == "list_item":
            depth = max(0, int(blk.get("depth") or 0))
            number = blk.get("number")
            marker = f"{number}. " if number is not None else ""
            body_start = blk["start"] + len(marker)
            if text[blk["start"]:body_start] != marker:
                body_start = blk["start"]  # the stored text does not carry the marker: show it all
            item = {"segs": seg(body_start, blk["end"]), "number": number, "children": []}
            while stack and stack[-1][0] > depth:
                stack.pop()
            if stack and stack[-1][0] == depth and stack[-1][1]["ordered"] != (number is not None):
                stack.pop()
            if not stack or stack[-1][0] < depth:
                new = {"type": "list", "ordered": number is not None, "start": number or 1, "items": []}
                if stack and stack[-1][1]["items"]:
                    stack[-1][1]["items"][-1]["children"].append(new)
                else:
                    nodes.append(new)
                stack.append((depth, new))
            stack[-1][1]["items"].append(item)
        elif kind == "table":
            node = table_node(text, blk, a, b, passage, focus)
            if node is not None:
                nodes.append(node)
        else:
            nodes.append({"type": {"quote": "quote", "code": "code"}.get(kind, "paragraph"),
                          "segs": seg(blk["start"], blk["end"])})
    return nodes


def table_node(text: str, blk: dict, a: int, b: int, passage=None, focus=None) -> dict | None:
    """A table's header row (always, when it has one) and its body rows that overlap text[a:b], cell by cell.

    Also the shape the shared `table` macro in templates/_blocks.html takes, so an answer that is one table
    row renders as that row under its header.
    """
    rows = blk.get("rows") or []
    head, body = None, []
    for r, (rs, re_, cells) in enumerate(_table_layout(rows, blk["start"])):
        is_head = r == 0 and blk.get("header")
        if not is_head and not (rs < b and re_ > a):
            continue
        segs = []
        for c, (cs, ce) in enumerate(cells):
            cell = rows[r][c]
            inside = 0 <= cs <= ce <= len(text) and text[cs:ce] == cell
            segs.append(styled_segments(text, cs, ce, passage, focus) if inside else ([(cell, "")] if cell else []))
        if is_head:
            head = segs
        else:
            body.append(segs)
    if head is None and not body:
        return None
    return {"type": "table", "header": head, "rows": body}


def _table_layout(rows: list[list[str]], start: int) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Absolute (row start, row end, cell spans), computed exactly as ingest wrote the table's text."""
    from ingest.models import table_text

    _, layout = table_text(tuple(tuple(r) for r in rows))
    return [(start + s, start + e, [(start + x, start + y) for x, y in cells]) for s, e, cells in layout]


def table_of_contents(text: str, blocks: list[dict] | None, skip_title: str = "", min_headings: int = 4,
                      min_chars: int = 3000) -> list[dict]:
    """Headings of a long document (anchor, level, text) for a contents list; empty for short ones."""
    heads = [blk for blk in (blocks or []) if blk["kind"] == "heading"]
    if heads and skip_title and text[heads[0]["start"]:heads[0]["end"]].strip() == skip_title.strip():
        heads = heads[1:]
    if len(heads) < min_headings or len(text) < min_chars:
        return []
    top = min(int(h.get("level") or 1) for h in heads)
    return [{"anchor": f"h-{h['start']}", "level": int(h.get("level") or 1) - top,
             "text": text[h["start"]:h["end"]]} for h in heads]


def first_marked(nodes: list[dict]) -> list[dict]:
    """Tag the first passage or focus segment (in reading order) so the page can anchor #passage on it."""
    def visit_segs(items: list) -> bool:
        for i, (text, style) in enumerate(items):
            if style:
                items[i] = (text, style + " first")
                return True
        return False

    def visit(node_list: list[dict]) -> bool:
        for node in node_list:
            if node["type"] == "list":
                for item in node["items"]:
                    if visit_segs(item["segs"]) or visit(item["children"]):
                        return True
            elif node["type"] == "table":
                for row in ([node["header"]] if node["header"] else []) + node["rows"]:
                    if any(visit_segs(cell) for cell in row):
                        return True
            elif "segs" in node and visit_segs(node["segs"]):
                return True
        return False

    visit(nodes)
    return nodes


def topic_label(slug: str) -> str:
    """A tag as people write it: "low-back-pain" -> "Low back pain", short abbreviations in capitals ("OUD")."""
    words = [w for w in (slug or "").replace("_", "-").split("-") if w]
    if not words:
        return slug or ""
    # short words and words without a vowel read as abbreviations: OUD, MME, CRPS
    words = [w.upper() if len(w) <= 3 and len(words) == 1 or not re.search(r"[aeiouy]", w, re.I) else w
             for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def local_time(value: object) -> str:
    """A stored timestamp (epoch seconds or ISO 8601, usually UTC) in this server's local time, to the minute."""
    from datetime import datetime, timezone

    if value in (None, ""):
        return ""
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value)):
            moment = datetime.fromtimestamp(float(value), tz=timezone.utc)
        else:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return str(value)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def version_label(generation: str) -> str:
    """"g000007" -> "version 7": curators think in versions of the knowledge base, not directory names."""
    digits = (generation or "").lstrip("g").lstrip("0")
    return f"version {digits or '0'}" if (generation or "").startswith("g") and digits.isdigit() else generation
