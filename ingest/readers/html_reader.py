"""HTML: page chrome (navigation, header, footer, scripts, styles) is dropped; headings give the section path."""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import CorruptDocument
from . import RawDocument
from .sections import BlockBuilder
from .textutil import decode

CHROME = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg",
          "template", "button", "object", "embed"]
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
MAX_DEPTH = 256  # libxml2 caps its own trees at 256 levels; real pages stay far below it


class _TooDeep(Exception):
    pass


class _DepthProbe:
    """lxml parser target that only tracks element depth, so a nesting bomb is refused before bs4 builds it."""

    def __init__(self) -> None:
        self.depth = 0

    def start(self, tag, attrib) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep()

    def end(self, tag) -> None:
        self.depth -= 1

    def data(self, data) -> None:
        pass

    def close(self) -> None:
        pass


def _check_depth(path: Path, text: str) -> None:
    """Refuse HTML nested deeper than MAX_DEPTH; bs4 would build every level (slowly) and then walk them."""
    from lxml import etree

    parser = etree.HTMLParser(target=_DepthProbe())  # the same event stream bs4's lxml builder consumes
    try:
        for i in range(0, len(text), 1 << 20):  # fed in slices so the probe stops the parse early
            parser.feed(text[i:i + (1 << 20)])
        parser.close()
    except _TooDeep:
        raise CorruptDocument(str(path), f"HTML is nested more than {MAX_DEPTH} levels deep; refused") from None
    except etree.LxmlError:
        pass  # malformed markup is BeautifulSoup's to judge below


_INLINE_BREAKS = {"br", "p", "div", "li", "tr", "td", "th", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
                  "ul", "ol", "table", "blockquote", "pre", "section", "article", "figure", "figcaption", "caption"}
_CONTAINERS = {"div", "section", "article", "main", "body", "html", "figure", "center", "details", "summary",
               "dl", "hgroup", "search", "fieldset"}
_BLOCKS = {"p", "ul", "ol", "table", "blockquote", "pre", "dt", "dd", "figcaption", "caption", "address", "hr",
           "li", "tr"} | set(HEADINGS) | _CONTAINERS
_FORMAT_SPACE = re.compile(r"[ \t\r\f\u00a0]*\n\s*(?=[,.;:!?)\]%])")


_BOUNDARY = "\u2029"  # marks an element boundary: whitespace to split(), invisible to _FORMAT_SPACE


def inline_text(el, skip: frozenset = frozenset()) -> str:
    """The words of an element (or a list of sibling nodes) as a reader sees them.

    Strings are joined as written, so an inline tag adds no space and none lands before punctuation; block
    boundaries and <br> give a space; a formatting line break in front of punctuation is dropped; whitespace is
    collapsed. Descendants named in `skip` are left out. One pass over the nodes: linear in the input.
    """
    from bs4.element import CData, NavigableString, Tag

    roots = el if isinstance(el, list) else [el]
    parts: list[str] = []
    stack: list = [(node, True) for node in reversed(roots)]
    while stack:
        node, root = stack.pop()
        if node is None:
            parts.append(_BOUNDARY)
        elif isinstance(node, Tag):
            if not root and node.name in skip:
                continue
            if node.name in _INLINE_BREAKS:
                parts.append(_BOUNDARY)
                stack.append((None, False))
            stack.extend((child, False) for child in reversed(node.contents))
        elif type(node) is NavigableString or isinstance(node, CData):
            parts.append(str(node))
    text = _FORMAT_SPACE.sub("", "".join(parts))
    return " ".join(text.split())


def _rows(table) -> tuple[list[list[str]], bool]:
    """The table's own rows (not those of tables nested in its cells) and whether the first is a header row."""
    rows, header = [], False
    for i, tr in enumerate(r for r in table.find_all("tr") if r.find_parent("table") is table):
        cells = tr.find_all(["td", "th"], recursive=False)
        if i == 0:
            header = tr.find_parent("thead") is not None or (bool(cells) and all(c.name == "th" for c in cells))
        rows.append([inline_text(c) for c in cells])
    return rows, header


class _Walker:
    """Visits the block elements of a page in document order, turning each into typed blocks."""

    def __init__(self, bb: BlockBuilder):
        self.bb = bb
        self.loose: list = []

    def flush_loose(self) -> None:
        """Text and inline elements sitting directly in a container form one paragraph."""
        if self.loose:
            self.bb.para(inline_text(self.loose))
            self.loose = []

    def walk(self, el, depth: int = 0) -> None:
        from bs4.element import NavigableString, Tag

        for child in el.children:
            if isinstance(child, Tag) and child.name in _BLOCKS:
                self.flush_loose()
                self.block(child, depth)
            elif isinstance(child, Tag) or type(child) is NavigableString:
                self.loose.append(child)
        self.flush_loose()

    def _nested(self, li, owner, depth: int) -> None:
        """Lists and tables inside a list item, one level deeper (those nested further are theirs to visit)."""
        for sub in li.find_all(["ul", "ol", "table"]):
            if sub.find_parent(["ul", "ol", "table"]) is owner:
                self.block(sub, depth + 1)

    def block(self, el, depth: int) -> None:
        name = el.name
        bb = self.bb
        if name in HEADINGS:
            bb.heading(HEADINGS[name], inline_text(el))
        elif name in ("ul", "ol"):
            number = None
            if name == "ol":
                try:
                    number = int(el.get("start", 1))
                except (TypeError, ValueError):
                    number = 1
            for child in el.find_all(recursive=False):
                if child.name != "li":
                    self.walk(child, depth)
                    continue
                if number is not None:
                    try:
                        number = int(child.get("value", number))
                    except (TypeError, ValueError):
                        pass
                bb.item(inline_text(child, _NESTED), depth, number)
                self._nested(child, el, depth)
                if number is not None:
                    number += 1
        elif name == "li":  # a list item outside any list
            bb.item(inline_text(el, _NESTED), depth, None)
            self._nested(el, None, depth)
        elif name == "table":
            for caption in el.find_all("caption", recursive=False):
                bb.para(inline_text(caption))  # a table's title is text too
            rows, header = _rows(el)
            bb.table(rows, header=header)
        elif name == "tr":
            bb.table([[inline_text(c) for c in el.find_all(["td", "th"], recursive=False)]], header=False)
        elif name == "blockquote":
            bb.para(inline_text(el), kind="quote")
        elif name == "pre":
            bb.para(el.get_text(), kind="code")
        elif name == "hr":
            return
        elif name in _CONTAINERS:
            self.walk(el, depth)
        else:
            bb.para(inline_text(el))


_NESTED = frozenset({"ul", "ol", "table"})


def parse(path: Path, data: bytes) -> list[RawDocument]:
    from bs4 import BeautifulSoup

    text = decode(str(path), data)
    _check_depth(path, text)
    try:
        soup = BeautifulSoup(text, "lxml")
    except (RecursionError, ValueError) as exc:
        raise CorruptDocument(str(path), f"HTML could not be parsed ({exc.__class__.__name__})") from exc
    meta: dict = {}
    for tag in soup.find_all("meta"):
        name = (tag.get("name") or tag.get("property") or "").strip().lower()
        content = tag.get("content")
        if name.startswith("kb:") and content is not None:
            meta[name[3:]] = content
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(CHROME):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": ["navigation", "banner", "contentinfo"]}):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    bb = BlockBuilder()
    try:
        _Walker(bb).walk(root)
    except RecursionError as exc:
        raise CorruptDocument(str(path), "HTML is nested too deeply to read; refused") from exc
    blocks = bb.finish()
    h1 = root.find("h1")
    default_title = (inline_text(h1) if h1 else "") or title
    return [RawDocument(blocks, meta=meta, default_title=default_title)]
