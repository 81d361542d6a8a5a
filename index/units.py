"""Answer units, cut at build time: sentences, list items with their lead-in, table rows with their header row.

Each unit is a span of one chunk's text (so it is verbatim from one cited passage) plus a structural role read
from the document's layout, so that query time is arithmetic only. This module owns the rules; the generation
stores what they produce (see index/generation.py) and index/answer.py scores it. Just past ~300 lines on purpose:
the segmenter and the labels it reads from headings, lists and tables are one set of rules about one layout.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.sentences import sentence_spans

from .words import STOPWORDS

# Roles a unit can take. Only "sentence", "item", "row" and "definition" can be an answer.
ROLES = ("sentence", "item", "row", "definition", "heading", "table_header", "question", "boilerplate")
ANSWERABLE = frozenset({"sentence", "item", "row", "definition"})

# The kind of section a unit sits in, from its heading path: what a clinician reads as advice vs. as the case.
_ADVICE = re.compile(r"\b(recommend\w*|suggest\w*|plan|management|managing|approach|advice|what to do|steps?|"
                     r"dosing|how to|treatment|options?|practical|key points?|summary|take[- ]home|counsel\w*|"
                     r"monitor\w*|initiat\w*|induction|taper\w*|prescrib\w*|when to|who should)\b", re.I)
_CASE = re.compile(r"\b(case|presentation|presenting|background|history|question|questions from|follow[- ]up|"
                   r"outcome|introduction|about this|scope|references?|sources?|disclaimer)\b", re.I)
_GLOSSARY = re.compile(r"\b(glossary|abbreviations?|definitions|terminology|acronyms?)\b", re.I)
_BOILERPLATE = re.compile(r"(illustrative sample|sample content|not clinical advice|does not describe a real|"
                          r"for (the )?demonstration|does not replace|not patient[- ]specific|all rights reserved|"
                          r"copyright ©|this document (is|was) (written|prepared)|"
                          r"\b(published|reviewed|updated|revised) \d{4}-\d{2}-\d{2}\b)", re.I)
_ITEM = re.compile(r"^\s*(?:[-*•▪◦]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
_MARKER_ONLY = re.compile(r"^\s*(?:[-*•▪◦]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s*$")
_ROW = re.compile(r"^\s*\|.*\|\s*$|^[^|\n]*\S \| \S[^\n]*$")  # "| a | b |" or "a | b | c"
_AMOUNT = re.compile(r"\d(?:[\d.,]*)\s*(?:%|mg|mcg|µg|g\b|ml|mL|units?\b|mme|tabs?\b|tablets?\b|capsules?\b|"
                     r"times\b|x\b|h\b|hours?\b|days?\b|weeks?\b|months?\b|years?\b|/\s*(?:day|d|h|hr|week))", re.I)
_QUANTITY_CELL = re.compile(r"^\s*[<>≤≥~]?\s*\d[\d.,]*(?:\s*[-–]\s*\d[\d.,]*)?\s*$")


def _has_quantity_cell(row: str) -> bool:
    """A body row with a bare number in a cell after the first states an amount: its unit is in the header row
    ("Hydromorphone | 5 |" under "Drug | Conversion factor |")."""
    cells = [c for c in row.strip().strip("|").split("|")]
    return any(_QUANTITY_CELL.match(c) for c in cells[1:])


_IMPERATIVE = frozenset("""start offer use avoid stop continue reduce prescribe consider check ask review refer give
taper screen monitor explain document discuss hold switch add measure obtain order begin repeat treat assess arrange
limit keep do don't never always increase decrease rotate dispense provide teach counsel encourage recommend
reassess titrate educate involve agree plan confirm test co-prescribe schedule try slow split aim target""".split())


POPULATIONS = [re.compile(p, re.I) for p in (
    r"\b(cirrho\w*|hepat\w*|liver)\b", r"\b(ckd|renal|kidney|egfr|dialysis)\b", r"\b(pregnan\w*|postpartum|breastfeed\w*|lactat\w*)\b",
    r"\b(older|elderly|geriatric|frail|over 65|long[- ]term care|care home|nursing home)\b|"
    r"\b(6[5-9]|[7-9]\d|1[01]\d)[- ]?(y/?o|years?[- ]old|yrs?[- ]old)\b|\b(in (his|her|their) )?[7-9]0s\b",
    r"\b(child\w*|paediatric|pediatric|adolescen\w*|youth|infant|toddler|teen\w*)\b|"
    r"\b([1-9]|1[0-7])[- ]?(months?|years?|yrs?)[- ]old\b",
    r"\b(sleep apnea|osa|copd|respiratory)\b", r"\b(dementia|cognitive impairment)\b", r"\b(cancer|palliative)\b")]
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _stem(word: str) -> str:
    """A crude stem: enough to match 'tapering' with 'taper' and 'doses' with 'dose' in one sentence."""
    w = word.lower()
    for suffix in ("ing", "ed", "es", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[:-len(suffix)][:7]
    return w[:7]


def content_words(text: str) -> list[str]:
    """Lower-cased words minus stopwords, as the answer stage compares them."""
    return [w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in STOPWORDS and len(w) > 1]


def stems(text: str) -> str:
    """The distinct stems of a unit's words, stored at build time so query time only splits a string."""
    return " ".join(sorted({_stem(w) for w in content_words(text)}))


def population_mask(text: str) -> int:
    """Bit i set when the text names patient group i of POPULATIONS (cirrhosis, CKD, pregnancy, older adult…)."""
    return sum(1 << i for i, p in enumerate(POPULATIONS) if p.search(text))


@dataclass(frozen=True)
class Unit:
    """A span of one chunk (offsets into the chunk's text) with its role and, when needed, its context."""

    start: int
    end: int
    role: str
    advice: bool        # in a recommendations / plan / how-to section
    case: bool          # in a case presentation, background or the presenter's question
    amount: bool        # states an amount with a unit (dose, rate, duration)
    imperative: bool    # an instruction: a list step or a sentence opening with a verb of action
    context: str = ""   # a list item's lead-in sentence, or a table row's header row (verbatim from the document)
    path: tuple[str, ...] = ()  # the headings above the unit, the document title first (for its placed vector)


_DEFINE_Q = re.compile(r"\b(stands? for|mean(s|ing)?( of| by)?|defin\w*|abbreviation|acronym)\b|"
                       r"^\s*what(?:'s| is| are| does)\s+(?:an? |the )?[\w/-]+(?:\s+[\w/-]+)?\s*\??\s*$", re.I)


def is_definition_question(query: str) -> bool:
    """Whether the question asks what a term means (only then may a glossary answer or rank high)."""
    return bool(_DEFINE_Q.search(query))


def is_glossary_title(title: str) -> bool:
    """A glossary or abbreviation list: its sentences define terms and answer only 'what is X'."""
    return bool(_GLOSSARY.search(title or ""))


def section_kind(heading_path: list[str] | tuple[str, ...]) -> tuple[bool, bool]:
    """(advice, case) from the innermost heading that says either; the document title is not a section."""
    for heading in reversed(list(heading_path)[1:]):
        advice, case = bool(_ADVICE.search(heading)), bool(_CASE.search(heading))
        if advice and case:  # "Follow-up plan", "Questions to ask": the advice word decides only for "recommend"
            return ("recommend" in heading.lower(), "recommend" not in heading.lower())
        if advice or case:
            return advice, case
    return False, False


def _line_bounds(text: str, pos: int) -> tuple[int, int]:
    s = text.rfind("\n", 0, pos) + 1
    e = text.find("\n", pos)
    return s, (len(text) if e < 0 else e)


def _table_header(doc_text: str, line_start: int) -> tuple[int, int]:
    """The first row of the pipe table holding the line at line_start (walks up through the document)."""
    s = line_start
    while s > 0:
        prev_s, prev_e = _line_bounds(doc_text, s - 1)
        if not _ROW.match(doc_text[prev_s:prev_e]):
            break
        s = prev_s
    return _line_bounds(doc_text, s)


def _marker_kind(line: str) -> str:
    m = _ITEM.match(line)
    if not m:
        return ""
    return "bullet" if m.group(0).strip()[:1] in "-*•▪◦" else "number"


def _lead_in(doc_text: str, line_start: int, floor: int) -> str:
    """The sentence introducing a list (it ends with ':'), found by walking up over the list's items.

    An item of the same kind is a sibling and is passed; a line ending with ':' that is not a sibling (a plain
    line, or a numbered step whose bullets these are) is the lead-in; a plain line that is not is the list's end.
    """
    kind = _marker_kind(doc_text[line_start:_line_bounds(doc_text, line_start)[1]])
    s = line_start
    for _ in range(60):
        if s <= floor:
            return ""
        ps, pe = _line_bounds(doc_text, s - 1)
        line = doc_text[ps:pe]
        other = _marker_kind(line)
        if line.strip().endswith(":") and other != kind:
            spans = sentence_spans(doc_text, ps, pe)
            a, b = spans[-1] if spans else (ps, pe)
            return doc_text[a:b].strip()
        if not line.strip() or not other:
            return ""
        s = ps
    return ""


def _block(sec) -> dict:
    """The structure of a stored section ([start, end, path, page, {kind, depth, ...}]); {} for a plain paragraph."""
    return sec[4] if sec is not None and len(sec) > 4 and isinstance(sec[4], dict) else {}


def _block_lead_in(doc_text: str, sections: list, at: int) -> str:
    """For a list item that is a typed block: the sentence ending with ':' that introduces its list, if any.

    Sibling items are passed; a shallower item ending with ':' (a step whose sub-items these are) is the lead-in.
    """
    depth = int(_block(sections[at]).get("depth") or 0)
    for j in range(at - 1, max(-1, at - 60), -1):
        prev = sections[j]
        info = _block(prev)
        text = doc_text[prev[0]:prev[1]].rstrip()
        if info.get("kind") == "list_item" and int(info.get("depth") or 0) >= depth:
            continue
        if text.endswith(":"):
            spans = sentence_spans(doc_text, prev[0], prev[1])
            a, b = spans[-1] if spans else (prev[0], prev[1])
            return doc_text[a:b].strip()
        return ""
    return ""


def _first_word(text: str) -> str:
    body = _ITEM.sub("", text, count=1)
    m = re.match(r"[\W_]*([A-Za-z'’-]+)", body)
    return m.group(1).lower().replace("’", "'") if m else ""


ITEM_MAX_WORDS = 70  # a list item up to this long is one unit (a recommendation is read whole); longer: sentences
# A sentence that leans on the one before it ("This is the approach…", "It should…") is not a unit on its own.
_ANAPHOR = re.compile(r"^\W*(this|these|that|those|it|they|such|both|either|here|there|otherwise|instead|also|"
                      r"however|then|if so|in that case)\b", re.I)


def _groups(doc_text: str, spans: list[tuple[int, int]], item: bool) -> list[tuple[int, int]]:
    """Sentence spans joined into coherent units: a short list item whole, a leaning sentence with the one before."""
    if not spans:
        return []
    if item and len(doc_text[spans[0][0]:spans[-1][1]].split()) <= ITEM_MAX_WORDS:
        return [(spans[0][0], spans[-1][1])]
    out = [spans[0]]
    for s, e in spans[1:]:
        prev = doc_text[out[-1][0]:out[-1][1]]
        if _ANAPHOR.match(doc_text[s:e]) and len(prev.split()) + len(doc_text[s:e].split()) <= ITEM_MAX_WORDS:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def segment(doc_text: str, title: str, sections: list, chunk_start: int, chunk_end: int) -> list[Unit]:
    """The answer units of doc_text[chunk_start:chunk_end], offsets relative to the chunk.

    sections: the document's [start, end, heading_path, page] list, which says where each line sits.
    """
    units: list[Unit] = []
    pos = chunk_start
    while pos < chunk_end:
        full_s, full_e = _line_bounds(doc_text, pos)
        ls, le = max(full_s, chunk_start), min(full_e, chunk_end)
        line = doc_text[ls:le]
        full = doc_text[full_s:full_e]
        pos = le + 1
        if not line.strip():
            continue
        at = next((i for i, x in enumerate(sections) if x[0] <= ls < x[1] + 1), None)
        sec = sections[at] if at is not None else None
        path = list(sec[2]) if sec else [title]
        floor = sec[0] if sec else 0
        headings = {h.strip().lower() for h in path} | {title.strip().lower()}
        glossary = is_glossary_title(title) or any(is_glossary_title(h) for h in path[1:])
        advice, case = section_kind(path)
        if _ROW.match(full):
            hs, he = _table_header(doc_text, full_s)
            header = doc_text[hs:he].strip()
            role = "table_header" if hs == full_s else "row"
            s, e = ls + (len(line) - len(line.lstrip())), le - (len(line) - len(line.rstrip()))
            units.append(Unit(s - chunk_start, e - chunk_start, role, advice, case,
                              bool(_AMOUNT.search(line)) or (role == "row" and _has_quantity_cell(line)), False,
                              "" if role == "table_header" else header, tuple(path)))
            continue
        typed_item = _block(sec).get("kind") == "list_item"
        item = typed_item or bool(_ITEM.match(full))
        if typed_item:
            lead = _block_lead_in(doc_text, sections, at)
        else:
            lead = _lead_in(doc_text, full_s, floor) if item else ""
        whole = line.strip().rstrip(":").lower()
        spans = sentence_spans(doc_text, ls, le)
        if len(spans) > 1 and _MARKER_ONLY.match(doc_text[spans[0][0]:spans[0][1]]):
            spans = [(spans[0][0], spans[1][1])] + spans[2:]  # "1." split off as a sentence: keep it with its item
        for k, (s, e) in enumerate(_groups(doc_text, spans, item)):
            sent = doc_text[s:e]
            low = sent.strip().rstrip(":").lower()
            alone = k == 0 and len(sent.strip()) == len(line.strip())
            if low in headings or whole in headings or (
                    alone and not item and len(sent.split()) <= 8 and not re.search(r"[.!?;]$", sent.strip())
                    and not _AMOUNT.search(sent)):
                role = "heading"
            elif _BOILERPLATE.search(sent):
                role = "boilerplate"
            elif sent.rstrip().endswith("?"):
                role = "question"
            elif glossary:
                role = "definition"
            elif item:
                role = "item"
            else:
                role = "sentence"
            imperative = _first_word(sent) in _IMPERATIVE or (item and k == 0 and advice)
            units.append(Unit(s - chunk_start, e - chunk_start, role, advice, case, bool(_AMOUNT.search(sent)),
                              imperative, lead if (item and k == 0) else "", tuple(path)))
    return units


def unit_row(chunk_id: int, chunk_text: str, u: Unit) -> tuple:
    """The units-table row the generation stores for a unit (see index/generation.py GEN_SCHEMA)."""
    both = chunk_text[u.start:u.end] + " " + u.context
    return (chunk_id, u.start, u.end, u.role, int(u.advice), int(u.case), int(u.amount), int(u.imperative),
            u.context, stems(both), population_mask(both))


def embed_text(unit_text: str, context: str) -> str:
    """What the model sees for a unit: a table row under its header row, a list item after its lead-in."""
    return f"{context}\n{unit_text}" if context else unit_text


def placed_text(unit_text: str, context: str, path: tuple[str, ...]) -> str:
    """The unit read where it sits: under its heading path, so "Avoid in people under 25" is about cannabis."""
    body = embed_text(unit_text, context)
    return " › ".join(path) + "\n" + body if path else body
