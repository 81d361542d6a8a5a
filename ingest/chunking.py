"""Structure-aware chunking: sections first, then sentences, packed to the model's token limit with overlap."""
from __future__ import annotations

from dataclasses import dataclass
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


def chunk_document(doc: Document, token_spans: Callable[[list[str]], list[list[tuple[int, int]]]],
                   params: ChunkParams = ChunkParams()) -> list[Chunk]:
    """Chunks whose text is doc.text[start:end] and whose token count never exceeds the budget."""
    text = doc.text
    sections = doc.sections or []
    # Pieces: sentence spans with their section; over-long sentences are cut at word-piece boundaries.
    units: list[tuple[int, int, int]] = []  # (start, end, section index)
    for si, sec in enumerate(sections):
        for s, e in sentence_spans(text, sec.start, sec.end):
            units.append((s, e, si))
    if not units:
        return []
    spans = token_spans([text[s:e] for s, e, _ in units])
    pieces: list[tuple[int, int, int, int]] = []  # (start, end, n_tokens, section)
    for (s, e, si), toks in zip(units, spans):
        if len(toks) <= params.budget:
            pieces.append((s, e, max(1, len(toks)), si))
            continue
        for i in range(0, len(toks), params.budget):
            window = toks[i:i + params.budget]
            ws = s + window[0][0]
            we = s + window[-1][1] if i + params.budget < len(toks) else e
            pieces.append((ws, we, len(window), si))

    # Group pieces by section, merging sections too small to stand alone into the next one.
    groups: list[list[tuple[int, int, int, int]]] = []
    for piece in pieces:
        if groups and groups[-1][-1][3] == piece[3]:
            groups[-1].append(piece)
        else:
            groups.append([piece])
    merged: list[list[tuple[int, int, int, int]]] = []
    carry: list[tuple[int, int, int, int]] = []
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
            total, j = 0, i
            while j < len(group) and total + group[j][2] + (1 if j > i else 0) <= params.budget:
                total += group[j][2] + (1 if j > i else 0)
                j += 1
            j = max(j, i + 1)
            start, end = group[i][0], group[j - 1][1]
            chunks.append(_make(doc, len(chunks), start, end, section, group[i:j], token_spans))
            if j >= len(group):
                break
            # Step back over trailing pieces that fit in the overlap, so context carries across the cut.
            back, k = 0, j
            while k - 1 > i and back + group[k - 1][2] <= params.overlap_tokens:
                back += group[k - 1][2]
                k -= 1
            i = k
    return chunks


def _make(doc, ordinal, start, end, section, pieces, token_spans) -> Chunk:
    page = next((doc.sections[p[3]].page for p in pieces if doc.sections[p[3]].page is not None), section.page)
    return Chunk(doc_id=doc.meta.doc_id, ordinal=ordinal, text=doc.text[start:end], start=start, end=end,
                 heading_path=section.heading_path, page=page, n_tokens=sum(p[2] for p in pieces))
