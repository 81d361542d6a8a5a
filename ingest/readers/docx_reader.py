"""DOCX via python-docx: Heading styles give the section path; tables become rows; zip bombs are refused."""
from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

from ..errors import CorruptDocument
from . import RawDocument
from .sections import BlockBuilder, item_marker

MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200


def _check_zip(path: Path, data: bytes) -> None:
    """Refuse zip bombs: first by the sizes the archive declares, then by inflating every member in bounded reads.

    The second pass matters because headers can lie: zipfile.read() inflates a member's whole compressed data in
    one call before truncating it to the declared size, while read(n) in slices never holds more than n bytes and
    still checks each member's CRC, so a lying header fails here cheaply instead of inside python-docx.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            if total > MAX_UNCOMPRESSED or (total > 10 * 1024 * 1024 and total / packed > MAX_RATIO):
                raise CorruptDocument(str(path), f"DOCX would expand to {total / 1e6:.0f} MB (a zip bomb?); refused")
            for info in infos:
                with zf.open(info) as member:
                    while member.read(1 << 20):
                        pass
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise CorruptDocument(str(path), "not a valid DOCX (the zip container is damaged: "
                                         f"{exc.__class__.__name__}: {str(exc)[:80]})") from exc


def _has_core_properties(data: bytes) -> bool:
    """Whether the package declares a core-properties part (python-docx invents one titled "Word Document")."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            rels = zf.read("_rels/.rels")
    except (KeyError, zipfile.BadZipFile, OSError):
        return False
    return b"/metadata/core-properties" in rels


class _Numbering:
    """Reads list formats (bullet or numbered, start value) from the document's numbering definitions."""

    def __init__(self, document):
        self.formats: dict[tuple[str, int], tuple[bool, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError, ValueError):
            return
        ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
        w = "{%s}" % ns["w"]
        abstract = {}
        for node in root.findall("w:abstractNum", ns):
            levels = {}
            for lvl in node.findall("w:lvl", ns):
                fmt = lvl.find("w:numFmt", ns)
                start = lvl.find("w:start", ns)
                try:
                    levels[int(lvl.get(w + "ilvl", "0"))] = (
                        (fmt.get(w + "val") if fmt is not None else "bullet") not in ("bullet", "none"),
                        int(start.get(w + "val")) if start is not None else 1)
                except (TypeError, ValueError):
                    continue
            abstract[node.get(w + "abstractNumId")] = levels
        for num in root.findall("w:num", ns):
            ref = num.find("w:abstractNumId", ns)
            levels = abstract.get(ref.get(w + "val") if ref is not None else None, {})
            for ilvl, value in levels.items():
                self.formats[(num.get(w + "numId"), ilvl)] = value

    def lookup(self, num_id: str, ilvl: int) -> tuple[bool, int]:
        return self.formats.get((num_id, ilvl), (False, 1))


def _list_info(para, style: str, numbering: _Numbering) -> tuple[str, int, bool, int] | None:
    """(list key, depth, ordered, start) when a paragraph is a list item by numbering or by style, else None."""
    ppr = para._p.pPr
    num_pr = ppr.numPr if ppr is not None else None
    if num_pr is not None and num_pr.numId is not None and num_pr.numId.val:
        ilvl = num_pr.ilvl.val if num_pr.ilvl is not None and num_pr.ilvl.val is not None else 0
        ordered, start = numbering.lookup(str(num_pr.numId.val), int(ilvl))
        return str(num_pr.numId.val), int(ilvl), ordered, start
    if style.startswith("List"):
        last = style.split()[-1]
        depth = int(last) - 1 if last.isdigit() else 0
        return style.rstrip(" 0123456789"), max(0, depth), "Number" in style, 1
    return None


def parse(path: Path, data: bytes) -> list[RawDocument]:
    _check_zip(path, data)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise CorruptDocument(str(path), f"not a valid DOCX ({exc.__class__.__name__})") from exc
    except MemoryError:
        raise  # the sandbox reports it as a memory limit, which says more than "could not be parsed"
    except Exception as exc:  # noqa: BLE001 - lxml errors inside python-docx have many types
        raise CorruptDocument(str(path), f"DOCX could not be parsed ({exc.__class__.__name__}: {str(exc)[:120]})"
                              ) from exc
    meta: dict = {}
    if _has_core_properties(data):
        props = document.core_properties
        meta = {"title": props.title or "", "tags": props.keywords or ""}
    bb = BlockBuilder()
    title = first_heading = ""
    body = document.element.body
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    numbering = _Numbering(document)
    counters: dict[tuple[str, int], int] = {}
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            style = (para.style.name if para.style is not None else "") or ""
            text = para.text.strip()
            if not text:
                continue
            info = _list_info(para, style, numbering)
            if style == "Title":
                title = title or text
                bb.heading(1, text)
            elif style.startswith("Heading"):
                try:
                    level = int(style.split()[-1])
                except ValueError:
                    level = 1
                first_heading = first_heading or text
                bb.heading(level + (1 if title else 0), text)
            elif info is not None:
                key, depth, ordered, start = info
                for k in [k for k in counters if k[0] == key and k[1] > depth]:
                    del counters[k]  # a shallower item restarts the deeper levels under it
                number = None
                if ordered:
                    number = counters.get((key, depth), start - 1) + 1
                    counters[(key, depth)] = number
                bb.item(" ".join(text.split()), depth, number)
            elif style in ("Quote", "Intense Quote"):
                bb.para(text, kind="quote")
            else:
                marker = item_marker(text)
                if marker is not None:  # a typed "1. " or "- " item in a plain paragraph
                    bb.item(text[marker[1]:], 0, marker[0])
                else:
                    bb.para(text)
        elif tag == "tbl":
            rows = []
            for row in Table(child, document).rows:
                cells = []
                previous = None
                for cell in row.cells:
                    if previous is not None and cell._tc is previous:
                        continue  # a merged cell repeats itself across the columns it spans
                    previous = cell._tc
                    cells.append(cell.text)
                rows.append(cells)
            bb.table(rows)
    default_title = title or meta.get("title", "") or first_heading
    return [RawDocument(bb.finish(), meta=meta, default_title=default_title)]
