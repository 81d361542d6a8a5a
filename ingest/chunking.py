"""Structure-aware chunking: sections first, then sentences, packed to the model's token limit with overlap."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Protocol

from .models import Chunk, Document
from .sentences import sentence_spans


class TokenCounter(Protocol):
    def __call__(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """For each text, the character span of each word piece (special tokens excluded)."""


@dataclass(frozen=True)
class ChunkParams:
    max_tokens: int = 256      # the model's input limit, special tokens included
    overlap_tokens: int = 32
    min_section_tokens: int = 64  # smaller sections (a lone heading, a one-line note) join the next one
    reserved_tokens: int = 2   # [CLS] and [SEP]
    title_tokens: int = 32     # room for the document title the model sees in front of every chunk

    @property
    def budget(self) -> int:
        return self.max_tokens - self.reserved_tokens - self.title_tokens

    def to_dict(self) -> dict:
        return {"max_tokens": self.max_tokens, "overlap_tokens": self.overlap_tokens,
                "min_section_tokens": self.min_section_tokens, "reserved_tokens": self.reserved_tokens,
                "title_tokens": self.title_tokens}


def row_statement(headers: tuple[str, ...], row: tuple[str, ...], context: str = "") -> str:
    """A table row as a sentence that stands alone: "Oxycodone — Conversion factor: 1.5 — Brands: Percocet".

    The first cell names the row; every other non-empty cell carries its column's header.
    """
    parts: list[str] = []
    for i, cell in enumerate(row):
        if not cell:
            continue
        head = headers[i] if i < len(headers) else ""
        parts.append(f"{head}: {cell}" if i and head and head != cell else cell)
    statement = " — ".join(parts)
    return f"{context} — {statement}" if context and statement else statement


def chunk_document(doc: Document, token_spans: Callable[[list[str]], list[list[tuple[int, int]]]],
                   params: ChunkParams = ChunkParams()) -> list[Chunk]:
    """Chunks whose text is doc.text[start:end] and whose token count never exceeds the budget.

    Units are sentences, whole list items and whole table rows, so no chunk ever splits an item or a row (unless
    one alone exceeds the model's limit). A chunk that starts inside a table is indexed with the table's header
    row in front. Each body row of a table with a header row is also a chunk of its own (kind "row"), indexed as
    a self-contained statement.
    """
    text = doc.text
    sections = doc.sections or []
    units: list[tuple[int, int, int, int]] = []  # (start, end, section index, role: 0 text, 1 header row, 2 body row)
    for si, sec in enumerate(sections):
        if sec.kind == "table":
            for r, (rs, re_, _) in enumerate(sec.row_spans()):
                if re_ > rs:
                    units.append((rs, re_, si, 1 if (r == 0 and sec.header) else (2 if sec.header else 0)))
        elif sec.kind == "list_item":
            units.append((sec.start, sec.end, si, 0))
        else:
            for s, e in sentence_spans(text, sec.start, sec.end):
                units.append((s, e, si, 0))
    if not units:
        return []
    spans = token_spans([text[s:e] for s, e, _, _ in units])
    header_tokens: dict[int, int] = {}
    pieces: list[tuple[int, int, int, int, int]] = []  # (start, end, n_tokens, section, role)
    for (s, e, si, role), toks in zip(units, spans):
        if role == 1:
            header_tokens[si] = max(1, len(toks))
        if len(toks) <= params.budget:
            pieces.append((s, e, max(1, len(toks)), si, role))
            continue
        for i in range(0, len(toks), params.budget):
            window = toks[i:i + params.budget]
            ws = s + window[0][0]
            we = s + window[-1][1] if i + params.budget < len(toks) else e
            pieces.append((ws, we, len(window), si, role))

    def key(piece) -> tuple:
        sec = sections[piece[3]]
        return sec.heading_path, sec.page

    # Group pieces by heading (and page), merging groups too small to stand alone into the next one.
    groups: list[list[tuple[int, int, int, int, int]]] = []
    for piece in pieces:
        if groups and key(groups[-1][-1]) == key(piece):
            groups[-1].append(piece)
        else:
            groups.append([piece])
    merged: list[list[tuple[int, int, int, int, int]]] = []
    carry: list[tuple[int, int, int, int, int]] = []
    for group in groups:
        if carry and sections[carry[0][3]].page != sections[group[0][3]].page:
            merged.append(carry)  # never merge across a page break: the page is part of the citation
            carry = []
        group = carry + group
        if sum(p[2] for p in group) < params.min_section_tokens and group is not groups[-1]:
            carry = group
            continue
        carry = []
        merged.append(group)
    if carry:
        merged.append(carry)

    chunks: list[Chunk] = []
    for group in merged:
        section = sections[group[-1][3]]
        i = 0
        while i < len(group):
            # a chunk that opens inside a table body is indexed with that table's header row in front
            head_si = group[i][3] if group[i][4] == 2 and group[i][3] in header_tokens else None
            total = header_tokens[head_si] + 1 if head_si is not None else 0
            j = i
            while j < len(group) and total + group[j][2] + (1 if j > i else 0) <= params.budget:
                total += group[j][2] + (1 if j > i else 0)
                j += 1
            j = max(j, i + 1)
            start, end = group[i][0], group[j - 1][1]
            chunk = _make(doc, len(chunks), start, end, section, group[i:j])
            if head_si is not None:
                hs, he, _ = sections[head_si].row_spans()[0]
                chunk = replace(chunk, index_text=text[hs:he] + "\n" + chunk.text,
                                n_tokens=chunk.n_tokens + header_tokens[head_si] + 1)
            chunks.append(chunk)
            if j >= len(group):
                break
            # Step back over trailing pieces that fit in the overlap, so context carries across the cut.
            back, k = 0, j
            while k - 1 > i and back + group[k - 1][2] <= params.overlap_tokens:
                back += group[k - 1][2]
                k -= 1
            i = k
    return chunks + _row_chunks(doc, len(chunks), token_spans, params)


def _row_chunks(doc: Document, first: int, token_spans, params: ChunkParams) -> list[Chunk]:
    """One chunk per body row of each table with a header row, indexed as a self-contained statement."""
    rows: list[tuple[int, int, object, str]] = []
    for sec in doc.sections:
        if sec.kind != "table" or not sec.header or len(sec.rows) < 2 or len(sec.rows[0]) < 2:
            continue
        context = sec.heading_path[-1] if sec.heading_path else ""
        for (rs, re_, _), row in list(zip(sec.row_spans(), sec.rows))[1:]:
            statement = row_statement(sec.rows[0], row, context)
            if statement and re_ > rs:
                rows.append((rs, re_, sec, statement))
    if not rows:
        return []
    counts = token_spans([r[3] for r in rows])
    return [Chunk(doc_id=doc.meta.doc_id, ordinal=first + n, text=doc.text[rs:re_], start=rs, end=re_,
                  heading_path=sec.heading_path, page=sec.page, n_tokens=min(params.budget, max(1, len(toks))),
                  kind="row", index_text=statement)
            for n, ((rs, re_, sec, statement), toks) in enumerate(zip(rows, counts))]


def _make(doc, ordinal, start, end, section, pieces) -> Chunk:
    page = next((doc.sections[p[3]].page for p in pieces if doc.sections[p[3]].page is not None), section.page)
    return Chunk(doc_id=doc.meta.doc_id, ordinal=ordinal, text=doc.text[start:end], start=start, end=end,
                 heading_path=section.heading_path, page=page, n_tokens=sum(p[2] for p in pieces))
