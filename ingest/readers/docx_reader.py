"""DOCX via python-docx: Heading styles give the section path; tables become rows; zip bombs are refused."""
from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

from ..errors import CorruptDocument
from . import RawDocument
from .sections import SectionBuilder

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
    props = document.core_properties
    meta = {"title": props.title or "", "tags": props.keywords or ""}
    sb = SectionBuilder()
    title = ""
    body = document.element.body
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            style = (para.style.name if para.style is not None else "") or ""
            text = para.text.strip()
            if not text:
                continue
            if style == "Title":
                title = title or text
                sb.heading(1, text)
            elif style.startswith("Heading"):
                try:
                    level = int(style.split()[-1])
                except ValueError:
                    level = 1
                sb.heading(level + (1 if title else 0), text)
            elif style.startswith("List"):
                sb.para("- " + text)
            else:
                sb.para(text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = []
                for cell in row.cells:
                    value = cell.text.strip()
                    if value and (not cells or cells[-1] != value):
                        cells.append(value)
                if cells:
                    sb.para(" | ".join(cells))
    return [RawDocument(sb.finish(), meta=meta, default_title=title or meta["title"])]
