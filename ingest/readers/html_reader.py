"""HTML: page chrome (navigation, header, footer, scripts, styles) is dropped; headings give the section path."""
from __future__ import annotations

from pathlib import Path

from ..errors import CorruptDocument
from . import RawDocument
from .sections import SectionBuilder
from .textutil import decode, squash

CHROME = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg",
          "template", "button", "object", "embed"]
BLOCKS = {"p", "li", "pre", "blockquote", "tr", "dt", "dd", "caption", "figcaption", "address"}
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
        elif name in ("description", "keywords", "author"):
            continue
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(CHROME):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": ["navigation", "banner", "contentinfo"]}):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    sb = SectionBuilder()
    wanted = set(HEADINGS) | BLOCKS
    for el in root.find_all(wanted):
        if any(parent.name in BLOCKS for parent in el.parents if parent is not root):
            continue  # its text is collected with the enclosing block
        if el.name in HEADINGS:
            sb.heading(HEADINGS[el.name], el.get_text(" ", strip=True))
        elif el.name == "tr":
            cells = [c.get_text(" ", strip=True) for c in el.find_all(["td", "th"])]
            sb.para(" | ".join(c for c in cells if c))
        elif el.name == "li":
            sb.para("- " + squash(el.get_text(" ", strip=True)))
        else:
            sb.para(squash(el.get_text(" ", strip=True)))
    blocks = sb.finish()
    if not blocks:  # no block structure at all: keep whatever text there is
        loose = squash(root.get_text("\n", strip=True))
        sb = SectionBuilder()
        sb.para(loose)
        blocks = sb.finish()
    h1 = root.find("h1")
    default_title = (h1.get_text(" ", strip=True) if h1 else "") or title
    return [RawDocument(blocks, meta=meta, default_title=default_title)]
