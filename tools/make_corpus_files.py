#!/usr/bin/env python
"""Generate the binary documents (PDF and DOCX) of the sample corpus from readable Markdown sources.

Run from the repository root:

    .venv/bin/python tools/make_corpus_files.py            # regenerate corpus/ from tools/corpus_sources/
    .venv/bin/python tools/make_corpus_files.py --check    # exit 1 if corpus/ differs from its sources

Each source is ``tools/corpus_sources/<id>.md``: YAML front matter holding every metadata key (id, title, type,
source, published, reviewed, tags, basis, sample) plus ``format: pdf`` or ``format: docx``, then a body in a small
subset of Markdown:

* ``# Heading``      -> section heading (PDF: bold 14 pt; DOCX: style "Heading 1")
* ``## Heading``     -> sub-section heading (PDF: bold 12 pt; DOCX: style "Heading 2")
* ``- item``         -> bullet item (an indented next line continues it)
* ``1. item``        -> numbered item (the number is kept in the text)
* ``| a | b |``      -> table row (first row is the header row; ``|---|`` rows are skipped)
* blank line         -> paragraph break

The first paragraph (the sample-content notice) goes on the PDF's cover page. Each document is written to
``corpus/<cases|guidance>/<id>.<pdf|docx>`` (cases for ``type: echo-case``) with a sidecar ``<id>.meta.yaml``
holding every metadata key. The sources live outside corpus/ so that ``kb ingest corpus/`` never reads them twice.
PDF document info carries /Title, /Subject (the source programme) and /Keywords (comma-separated tags); DOCX core
properties carry title, subject and keywords. Output is deterministic: fixed creation dates, no random content, so
an unchanged source regenerates byte-identical files.

All content is illustrative sample material, not clinical advice.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import re
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SOURCES = Path(__file__).resolve().parent / "corpus_sources"
FORMATS = ("pdf", "docx")

META_KEYS = ("id", "title", "type", "source", "published", "reviewed", "tags", "basis", "sample")

# Core PDF fonts only cover Latin-1; map the few typographic characters used in the sources.
_TRANSLIT = {
    "\u2013": "-", "\u2014": " - ", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2265": ">=", "\u2264": "<=", "\u2192": "->", "\u2022": "-", "\u2026": "...", "\u00a0": " ",
    "\u2248": "~", "\u2212": "-",
}

def load_source(path: Path) -> dict:
    """One source file as {name, folder, fmt, meta, body}; raises ValueError naming the file when it is malformed."""
    text = path.read_text(encoding="utf-8")
    parts = text.split("---\n", 2)
    if len(parts) != 3 or parts[0] != "":
        raise ValueError(f"{path.name}: must start with YAML front matter between two '---' lines")
    front = yaml.safe_load(parts[1]) or {}
    fmt = front.pop("format", None)
    if fmt not in FORMATS:
        raise ValueError(f"{path.name}: format must be one of {', '.join(FORMATS)}")
    missing = [k for k in META_KEYS if k not in front]
    extra = sorted(set(front) - set(META_KEYS))
    if missing or extra:
        raise ValueError(f"{path.name}: missing metadata keys {missing}, unknown keys {extra}")
    meta = {k: front[k] for k in META_KEYS}
    for k in ("published", "reviewed"):  # YAML reads an unquoted date as a date; the sidecars hold strings
        meta[k] = meta[k].isoformat() if isinstance(meta[k], _dt.date) else str(meta[k])
    if meta["id"] != path.stem:
        raise ValueError(f"{path.name}: id {meta['id']!r} must match the file name")
    folder = "cases" if meta["type"] == "echo-case" else "guidance"
    return {"name": path.stem, "folder": folder, "fmt": fmt, "meta": meta, "body": parts[2].strip("\n")}


def load_sources(folder: Path = SOURCES) -> list[dict]:
    """Every source document, in file-name order."""
    return [load_source(p) for p in sorted(folder.glob("*.md"))]


# ---------------------------------------------------------------------------------------------
# Markup parsing
# ---------------------------------------------------------------------------------------------

def parse_blocks(body: str) -> list[tuple[str, object]]:
    """Return a list of (kind, payload): h1/h2/p/bullet/num -> str, table -> list[list[str]]."""
    blocks: list[tuple[str, object]] = []
    para: list[str] = []
    table: list[list[str]] = []

    def flush_para():
        if para:
            blocks.append(("p", " ".join(s.strip() for s in para)))
            para.clear()

    def flush_table():
        if table:
            blocks.append(("table", [row[:] for row in table]))
            table.clear()

    for raw in body.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            flush_para()
            flush_table()
            continue
        if stripped.startswith("|"):
            flush_para()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                continue
            table.append(cells)
            continue
        flush_table()
        if stripped.startswith("## "):
            flush_para()
            blocks.append(("h2", stripped[3:].strip()))
        elif stripped.startswith("# "):
            flush_para()
            blocks.append(("h1", stripped[2:].strip()))
        elif stripped.startswith("- "):
            flush_para()
            blocks.append(("bullet", stripped[2:].strip()))
        elif re.match(r"^\d+\.\s", stripped):
            flush_para()
            blocks.append(("num", stripped))
        elif para or not line.startswith("  "):
            para.append(stripped)
        else:  # continuation of a list item (indented)
            kind, text = blocks[-1]
            blocks[-1] = (kind, f"{text} {stripped}")
    flush_para()
    flush_table()
    return blocks


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------

def _latin1(text: str) -> str:
    for k, v in _TRANSLIT.items():
        text = text.replace(k, v)
    return text.encode("latin-1", "replace").decode("latin-1")


def write_pdf(d: dict, path: Path) -> None:
    from fpdf import FPDF

    meta = d["meta"]

    class _PDF(FPDF):
        def header(self):
            if self.page_no() == 1:
                return
            self.set_font("Helvetica", "I", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 6, _latin1(f"{meta['source']} - illustrative sample content"), align="R")
            self.ln(10)
            self.set_text_color(0, 0, 0)

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", "I", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 8, f"Page {self.page_no()} of {{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    pdf = _PDF(format="A4")
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.alias_nb_pages()
    pdf.set_title(_latin1(meta["title"]))
    pdf.set_subject(_latin1(meta["source"]))
    pdf.set_keywords(", ".join(meta["tags"]))
    pdf.set_author(_latin1(meta["source"]))
    pdf.set_creator("tools/make_corpus_files.py (fpdf2)")
    pdf.set_creation_date(_dt.datetime.fromisoformat(meta["published"] + "T09:00:00+00:00"))

    blocks = parse_blocks(d["body"])
    # Cover page: title, provenance and the first paragraph (the sample-content notice).
    pdf.add_page()
    pdf.ln(30)
    pdf.set_font("Helvetica", "B", 20)
    pdf.multi_cell(0, 10, _latin1(meta["title"]), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 11)
    kind_label = "Case recommendation" if meta["type"] == "echo-case" else "Guidance document"
    for line in (kind_label, meta["source"], f"Published {meta['published']} - reviewed {meta['reviewed']}",
                 f"Based on: {meta['basis']}"):
        pdf.multi_cell(0, 6.5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    if blocks and blocks[0][0] == "p":
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6.5, _latin1(str(blocks[0][1])), new_x="LMARGIN", new_y="NEXT")
        blocks = blocks[1:]
    pdf.add_page()

    width = pdf.w - pdf.l_margin - pdf.r_margin
    for kind, payload in blocks:
        if kind == "h1":
            pdf.ln(4)
            pdf.set_font("Helvetica", "B", 14)
            pdf.multi_cell(0, 8, _latin1(str(payload)), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "h2":
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 12)
            pdf.multi_cell(0, 7, _latin1(str(payload)), new_x="LMARGIN", new_y="NEXT")
        elif kind == "p":
            pdf.set_font("Helvetica", "", 11.5)
            pdf.multi_cell(0, 7, _latin1(str(payload)), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.5)
        elif kind in ("bullet", "num"):
            pdf.set_font("Helvetica", "", 11.5)
            text = str(payload)
            marker = "-"
            if kind == "num":
                marker, text = text.split(" ", 1)
            pdf.set_x(pdf.l_margin + 3)
            pdf.cell(7, 7, _latin1(marker))
            pdf.multi_cell(width - 10, 7, _latin1(text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "table":
            rows = payload
            pdf.set_font("Helvetica", "", 10)
            ncol = max(len(r) for r in rows)
            with pdf.table(width=width, col_widths=tuple([1] * ncol), text_align="LEFT",
                           line_height=6) as table:
                for row in rows:
                    r = table.row()
                    for cell in row + [""] * (ncol - len(row)):
                        r.cell(_latin1(cell))
            pdf.ln(3)
    pdf.output(str(path))


# ---------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------

def write_docx(d: dict, path: Path) -> None:
    import docx
    from docx.shared import Pt

    meta = d["meta"]
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)

    cp = document.core_properties
    cp.title = meta["title"]
    cp.subject = meta["source"]
    cp.keywords = ", ".join(meta["tags"])
    cp.author = meta["source"]
    cp.comments = f"Illustrative sample content. Based on: {meta['basis']}"
    fixed = _dt.datetime.fromisoformat(meta["published"] + "T09:00:00")
    cp.created = fixed
    cp.modified = _dt.datetime.fromisoformat(meta["reviewed"] + "T09:00:00")
    cp.last_modified_by = "make_corpus_files.py"
    cp.revision = 1

    document.add_paragraph(meta["title"], style="Title")
    for kind, payload in parse_blocks(d["body"]):
        if kind == "h1":
            document.add_heading(str(payload), level=1)
        elif kind == "h2":
            document.add_heading(str(payload), level=2)
        elif kind == "p":
            document.add_paragraph(str(payload))
        elif kind == "bullet":
            document.add_paragraph(str(payload), style="List Bullet")
        elif kind == "num":
            document.add_paragraph(str(payload))
        elif kind == "table":
            rows = payload
            ncol = max(len(r) for r in rows)
            table = document.add_table(rows=0, cols=ncol)
            table.style = "Table Grid"
            for i, row in enumerate(rows):
                cells = table.add_row().cells
                for j, text in enumerate(row + [""] * (ncol - len(row))):
                    cells[j].text = text
                    if i == 0:
                        for run in cells[j].paragraphs[0].runs:
                            run.bold = True
    document.save(str(path))
    _normalise_docx_zip(path)


def _normalise_docx_zip(path: Path) -> None:
    """Rewrite the zip with fixed timestamps so regenerated files are byte-stable."""
    import zipfile

    with zipfile.ZipFile(path) as zin:
        items = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


# ---------------------------------------------------------------------------------------------
# Sidecars and driver
# ---------------------------------------------------------------------------------------------

def write_sidecar(meta: dict, path: Path) -> None:
    ordered = {k: meta[k] for k in META_KEYS}
    ordered["tags"] = list(ordered["tags"])
    text = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=1000)
    path.write_text(text, encoding="utf-8")


def generate(docs: list[dict], corpus: Path) -> list[Path]:
    """Write each document and its sidecar under corpus; returns the paths written."""
    written: list[Path] = []
    seen: set[str] = set()
    for d in docs:
        if d["meta"]["id"] in seen:
            raise SystemExit(f"duplicate id {d['meta']['id']}")
        seen.add(d["meta"]["id"])
        out_dir = corpus / d["folder"]
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{d['name']}.{d['fmt']}"
        if d["fmt"] == "pdf":
            write_pdf(d, target)
        else:
            write_docx(d, target)
        sidecar = out_dir / f"{d['name']}.meta.yaml"
        write_sidecar(d["meta"], sidecar)
        written += [target, sidecar]
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Generate corpus PDF and DOCX files from tools/corpus_sources/.")
    parser.add_argument("--check", action="store_true",
                        help="generate into a temporary folder and exit 1 if any file in corpus/ differs")
    args = parser.parse_args(argv)
    try:
        docs = load_sources()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.check:
        for path in generate(docs, CORPUS):
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        stale = [p.relative_to(tmp) for p in generate(docs, Path(tmp))
                 if not (CORPUS / p.relative_to(tmp)).is_file()
                 or (CORPUS / p.relative_to(tmp)).read_bytes() != p.read_bytes()]
    for rel in stale:
        print(f"out of date: corpus/{rel}")
    return 1 if stale else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
