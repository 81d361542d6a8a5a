"""Person-name detection: context rules, name lexicons and a statistical NER model.

Four layers, each returning (start, end, priority) spans:

1. honorifics ("Dr. Jane Smith", "Mme Tremblay", "M. Gagnon");
2. context rules: labels ("Patient:", "Name:", "c/o", "Attn:"), relations ("her
   partner Luc", "his daughter, Amira", "sa fille Julie"), salutations ("Dear
   Wojciech"), signatures ("Regards,\\nPriya Raghunathan") and introductions
   ("named", "the patient, Ana,");
3. lexicon pairs: a known given name followed by a surname-like word, and the
   "SURNAME, Given" form (US Census 1990 lists, public domain, in ``data/names``);
4. the packaged spaCy NER model, run only on short windows around name-like
   words (a whole document would cost ~35 ms/kB), with clinical filters:
   eponyms ("Tinel sign", "Crohn's disease"), cited authors ("Busse et al.",
   "Busse JW,"), institutions ("Michael Garron Hospital") and clinical words.

Word look-ups (given names, surname-like words, stop words) are ``name_lexicon.py``.

One module (~400 lines) on purpose: the layers share the name-token patterns and the
eponym/citation filters, and each layer's rules are tuned against the others'.
"""
from __future__ import annotations

import bisect
import functools
import re
import unicodedata

from . import lexicon
from .name_lexicon import Lexicon, default_lexicon, fold
from .rules import LO, UP

_PART = rf"[{UP}](?:[{LO}]+(?:['’][{UP}]?[{LO}]+)?|['’][{UP}][{LO}]+)(?:[{UP}][{LO}]+)?"
NAME_TOKEN = rf"{_PART}(?:-{_PART}){{0,2}}"
CAPS_TOKEN = rf"[{UP}](?:[{UP}]+|['’][{UP}]{{2,}})(?:['’-][{UP}]+)*(?![\w])"
NAME_OR_CAPS = rf"(?:{NAME_TOKEN}|{CAPS_TOKEN})"
PARTICLES = rf"(?:(?:{'|'.join(re.escape(p) for p in lexicon.NAME_PARTICLES)})[ \t]+){{0,2}}"
_SEQ = rf"{NAME_OR_CAPS}(?:[ \t]+[{UP}]\.)?(?:(?:,[ \t]+|[ \t]+{PARTICLES}){NAME_OR_CAPS}(?:[ \t]+[{UP}]\.)?){{0,3}}"

HONORIFIC_RE = re.compile(
    rf"(?<![\w.])(?P<hon>{'|'.join(lexicon.HONORIFICS)})(?:\.[ \t]*|(?<!M)[ \t]+)"
    rf"(?P<name>(?:[{UP}]\.[ \t]*){{0,2}}(?:{NAME_TOKEN}[ \t]+){{0,2}}{PARTICLES}{NAME_OR_CAPS}|(?:[{UP}]\.[ \t]*){{1,2}}[{UP}][{LO}]+)"
)

_LABELS = (
    r"(?:Patient|Patiente|Pt|Client|Cliente|Resident|Usager|Usag[èe]re)(?:['’]s)?(?:[ \t]+(?:full[ \t]+|legal[ \t]+)?[Nn]ame)?|Name|Full[ \t]+name|"
    r"(?:First|Last|Given|Family|Middle|Preferred)[ \t]+name|Surname|Nom(?:[ \t]+(?:du|de[ \t]+la)[ \t]+patient(?:e)?)?|Pr[ée]nom|Patient\(e\)|"
    r"Presenter|Presented[ \t]+by|Case[ \t]+presenter|Submitted[ \t]+by|Prepared[ \t]+by|Referring[ \t]+(?:physician|provider|clinician|MD)|"
    r"Family[ \t]+(?:physician|doctor)|Physician|Clinician|Attending|Contact|Emergency[ \t]+contact|Next[ \t]+of[ \t]+kin|"
    r"Substitute[ \t]+decision[ -]maker|SDM|POA|Caregiver|Pharmacist|Nurse|NP|MD|Signed|Signature|Author|"
    r"Spouse|Partner|Husband|Wife|Mother|Father|Parent|Guardian|Daughter|Son|Conjoint(?:e)?|Re|RE|Attn|Attention|From|To|Cc|CC"
)
_RELATIONS = (
    r"partner|husband|wife|spouse|daughter|son|mother|father|mom|mum|dad|sister|brother|sibling|friend|caregiver|niece|nephew|"
    r"grandson|granddaughter|grandmother|grandfather|grandma|grandpa|aunt|uncle|cousin|fianc[ée]e?|boyfriend|girlfriend|roommate|"
    r"neighbou?r|guardian|child|stepson|stepdaughter|stepmother|stepfather|landlord|employer|co-?worker|ex|ex-wife|ex-husband|"
    r"ex-partner|twin|nurse|worker|advocate|interpreter|translator"
)
_FR_RELATIONS = (
    r"conjointe?|partenaire|fille|fils|m[èe]re|p[èe]re|mari|femme|s[oœ]eur|fr[èe]re|amie?|petite?-fille|petit-fils|tante|oncle|"
    r"cousine?|voisine?|tuteur|tutrice|proche\s+aidante?"
)
_SIGNOFF = (
    r"Regards|Kind[ \t]+regards|Best[ \t]+regards|Warm[ \t]+regards|Sincerely|Yours[ \t]+(?:truly|sincerely)|Thanks|Thank[ \t]+you|"
    r"Best|Cheers|Respectfully|Cordialement|Merci|Salutations|Bien[ \t]+[àa][ \t]+vous|Amicalement"
)
CONTEXT_RE = re.compile(
    rf"(?<![\w'’])"  # every branch starts at a word or line start: positions inside words fail at once
    rf"(?:\b(?:the\s+)?(?:patient|pt|client|resident|{_RELATIONS}),[ \t]+"
    rf"|(?:^|(?<=[\n;|(]))[ \t]*(?:[-*•][ \t]*)?(?:\*\*)?(?i:{_LABELS})[ \t]*(?:\*\*)?[ \t]*:[ \t]*(?:\*\*)?[ \t]*"
    rf"|\b(?:[Hh]er|[Hh]is|[Tt]heir|[Mm]y|[Oo]ur|(?:the[ \t]+)?(?:patient|pt|client)['’]s)[ \t]+(?:(?:common[- ]law|late|elder|older|younger|adult|eldest|youngest|step-?|new|former)[ \t]+)?(?:{_RELATIONS})(?:[ \t]*\(|,)?[ \t]+(?:(?:named|called|is|was)[ \t]+)?"
    rf"|\b(?:[Ss]a|[Ss]on|[Ll]eur)[ \t]+(?:{_FR_RELATIONS})[ \t]*,?[ \t]+(?:(?:nommée?|appelée?)[ \t]+)?"
    rf"|(?:^|(?<=\n))[ \t]*(?:Dear|Hi|Hello|Hey|Bonjour|Cher|Ch[èe]re|Salut|Allo|Allô)[ \t]+"
    rf"|(?:^|(?<=\n))[ \t]*(?:{_SIGNOFF})[ \t]*[,.!]?[ \t]*\n[ \t]*"
    rf"|(?:^|(?<=\n))[ \t]*(?:--|—|–)[ \t]*(?=[{UP}][{LO}])"
    rf"|\b(?:c/o|C/O|care[ \t]+of|Care[ \t]+of|a/s|aux[ \t]+soins[ \t]+de)[ \t]+"
    rf"|\b[Pp]atient[ \t]+(?:name[ \t]+)?(?:is|was)[ \t]+(?:named[ \t]+)?|\bnamed[ \t]+|\bcalled[ \t]+|\bnommée?[ \t]+|\bs['’]appelle[ \t]+"
    rf"|\b(?:seen|lives|living|staying|stays|came|attended|visited|married|engaged)[ \t]+(?:with|by|to)[ \t]+"
    rf"|\b(?:[Ss]igned|[Ee]lectronically[ \t]+signed|[Dd]ictated|[Tt]ranscribed|[Rr]eviewed|[Pp]resented|[Ss]ubmitted|[Pp]repared|[Rr]eferred|[Aa]ccompanied|[Ss]een)[ \t]+by[ \t]+)"
    rf"(?P<name>{_SEQ})"
)
_ROLE_LABEL = re.compile(
    r"presenter|presented|submitted|prepared|referring|family|physician|clinician|attending|contact|pharmacist|nurse|np|md|"
    r"signed|signature|author|kin|sdm|poa|caregiver|decision|\bre\b|attn|attention|from|\bto\b|\bcc\b|dictated|transcribed|reviewed|"
    r"referred|accompanied|seen\s+by|with\s*$|\bto\s*$"
)
CAP_TOKEN_RE = re.compile(rf"(?<![\w'’-])(?:{NAME_TOKEN}|{CAPS_TOKEN})(?![\w'’-]|\.[ \t]*[{LO}])")
FOLLOW_LAST_RE = re.compile(
    rf"[ \t]+(?:(?P<mid>[{UP}])\.?[ \t]+|(?P<midname>{NAME_OR_CAPS})[ \t]+)?(?P<particles>{PARTICLES})(?P<last>{NAME_OR_CAPS})(?![\w'’-])"
)
COMMA_GIVEN_RE = re.compile(rf",[ \t]*(?P<given>{NAME_OR_CAPS})(?![\w'’-])")
NEXT_WORD_RE = re.compile(r"[ \t]*(?:['’]s)?[ \t]*([\w'’]+)")
TOKEN_SPLIT_RE = re.compile(rf"{NAME_OR_CAPS}")
WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")

_ORG_WORDS = lexicon.INSTITUTION_WORDS | lexicon.CORPORATE_WORDS  # "... Hospital", "... Inc": not a person
EPONYM_FOLLOW = frozenset(
    """sign signs test tests manoeuvre maneuver manoeuvres maneuvers disease diseases syndrome syndromes criteria criterion
    scale score scores index reflex phenomenon palsy classification fracture procedure approach method technique law rule
    rules questionnaire tool inventory equation formula staging stage triad point points lesion lesions node nodes ulcer
    cyst canal tunnel contracture disorder disorders deformity neuroma neuralgia test's sign's operation protocol model
    lines line effect curve et al""".split()
)
_EPONYM_OR_ORG = EPONYM_FOLLOW | _ORG_WORDS
_CITATION_AFTER = re.compile(r"[ \t]+(?:et[ \t]+al\b|and[ \t]+colleagues\b|[A-Z]{1,3}[,.;:](?![\w])|[A-Z]{1,3}[ \t]+(?:et|and|&|[A-Z][a-z]+[ \t]+[A-Z]{1,3}\b))|,?[ \t]*\(?(?:19|20)\d{2}[a-z]?\)?(?![\d/-])")



def _trim(name: str, lex: Lexicon, closed: bool = False) -> tuple[str, list[str]]:
    """Drop trailing tokens that are not name words ("Jane Smith Recommends" -> "Jane Smith").

    ``closed``: punctuation or a line end follows, so a final ordinary word is part of the name ("Chaitanya Mall,").
    """
    toks = TOKEN_SPLIT_RE.findall(name)
    while len(toks) > 1 and (lex.is_stop(toks[-1]) or (not closed and not lex.is_name_word(toks[-1]) and lex.common(fold(toks[-1])))):
        cut = name.rfind(toks[-1])
        name = name[:cut].rstrip(" \t,")
        toks = toks[:-1]
    return name, toks


def _followed_by(text: str, end: int, words: frozenset[str]) -> bool:
    m = NEXT_WORD_RE.match(text, end)
    return bool(m and fold(m.group(1)) in words)


_MEDICAL_NOUN = re.compile(
    r"(?:['’]s?)?[ \t]+[a-z]*(?:itis|oma|omas|osis|opathy|pathy|algia|ectomy|plasty|phagus|a?emia|ysis|ocele|plegia|paresis|"
    r"trophy|kyphosis|scoliosis|gait|nodes?|cysts?|fractures?|contractures?|neuromas?|tenosynovitis|dementia|dystrophy|"
    r"encephalopathy|palsy|ulcers?|sarcoma|lymphoma|tumou?r|anomaly|malformation|reaction|scratch|manoeuvre|maneuver)\b"
)
_MORE_CAPS = re.compile(r"(?:['’]s)?(?:[ \t]+(?:[A-Z][\w'’.-]*|of|de|du|and|&|\([^()\n]{1,24}\)))")
_PROVINCE_AFTER = re.compile(
    r",?[ \t]+(?:Ontario|Quebec|Québec|Alberta|Manitoba|Saskatchewan|Nunavut|Yukon(?:[ \t]+Territory)?|Northwest[ \t]+Territories|"
    r"British[ \t]+Columbia|Nova[ \t]+Scotia|New[ \t]+Brunswick|Newfoundland|Prince[ \t]+Edward[ \t]+Island|ON|QC|AB|MB|SK|NU|YT|NT|BC|NS|NB|NL|PE)\b"
)
_PLACE_BEFORE = re.compile(r"(?:\b(?:St|Ste|Saint|Sainte|Mount|Mt|San|Santa|Fort|Port|Lake|Cape|Pointe?)\.?[ \t-]*)$")


def _eponym_or_citation(text: str, start: int, end: int) -> bool:
    """'Tinel sign', "Crohn's disease", 'Busse et al.', 'Busse JW,', 'Smith (2019)', 'Michael Garron Hospital'."""
    if end < len(text) and text[end] in ")]":
        end += 1  # "FABER (Patrick) test"
    pos = end
    if _MEDICAL_NOUN.match(text, end):
        return True  # "Barrett esophagus", "Hashimoto thyroiditis", "Trendelenburg gait"
    for _ in range(4):  # look past further capitalised words: "Lou Gehrig disease", "Keele STarT Back tool", "Berg and Lee (2018)"
        if _followed_by(text, pos, _EPONYM_OR_ORG) or _CITATION_AFTER.match(text, pos):
            return True
        m = _MORE_CAPS.match(text, pos)
        if not m:
            break
        pos = m.end()
    if _PLACE_BEFORE.search(text[max(0, start - 12):start]) or _PROVINCE_AFTER.match(text, end):
        return True
    if _CITATION_AFTER.match(text, end):
        return True
    before = text[max(0, start - 12):start]
    return bool(re.search(r"(?:\bet\b|\band\b|&|,)[ \t]*$", before) and _CITATION_AFTER.match(text, end))


def _honorific_names(text: str, lex: Lexicon, out: list[tuple[int, int, int]]) -> None:
    for m in HONORIFIC_RE.finditer(text):
        s = m.start("name")
        name, toks = _trim(m.group("name"), lex)
        if not toks or (lex.is_stop(toks[0]) and not re.match(rf"[{UP}]\.", name)):
            continue
        if m.group("hon") == "M" and lex.is_stop(toks[0]):
            continue  # "M. tuberculosis"-style abbreviations
        e = s + len(name)
        if m.group("hon") in ("Dr", "Fr", "Sr") and len(toks) == 1 and _followed_by(text, e, _ORG_WORDS):
            continue
        out.append((s, e, 6))


def _context_names(text: str, lex: Lexicon, out: list[tuple[int, int, int]]) -> None:
    for m in CONTEXT_RE.finditer(text):
        s = m.start("name")
        closed = bool(re.match(r"[ \t]*(?:[,;(\n]|$)", text[m.end("name"):m.end("name") + 3]))
        name, toks = _trim(m.group("name"), lex, closed=closed)
        if toks and lex.is_stop(toks[0]) and len(toks) > 1 and fold(toks[0]) in lex.given_raw:
            pass  # "June Goodwin", "April King": a month that is also a given name, before a surname
        elif not toks or any(lex.is_stop(t) for t in toks):
            # keep the leading name words before a stop word
            keep = []
            for t in toks:
                if lex.is_stop(t):
                    break
                keep.append(t)
            if not keep:
                continue
            name = name[: name.find(keep[-1]) + len(keep[-1])]
            toks = keep
        e = s + len(name)
        prefix = m.group(0)[: s - m.start()].lower()
        if _ROLE_LABEL.search(prefix) or re.search(r"^\s*(?:--|—|–|-)", prefix):
            # roles, senders and dashes also introduce organisations: need a real name shape
            if len(toks) < 2 and not lex.is_given(toks[0]):
                continue
            if len(toks) >= 2 and not any(lex.is_name_word(t) for t in toks):
                continue
        if _followed_by(text, e, _ORG_WORDS):
            continue
        out.append((s, e, 6))


PERSON_SUBJECT_RE = re.compile(
    rf"(?<![\w'’-])(?:^|(?<=[\n.!?:;])|(?<=[.!?:;][ \t])|(?<=[.!?][ \t]{{2}}))[ \t]*(?P<name>{NAME_OR_CAPS}(?:[ \t]+{PARTICLES}{NAME_OR_CAPS}){{1,2}})"
    r"[ \t]+(?:is|was)[ \t]+an?[ \t]+\d{1,3}[- ](?:year|yr|y)[- ]?o"
    r"|(?:^|(?<=[\n.!?:;])|(?<=[.!?:;][ \t]))[ \t]*(?P<name2>" + NAME_OR_CAPS + r"(?:[ \t]+" + PARTICLES + NAME_OR_CAPS + r"){1,2})"
    r"[ \t]+(?:reports|reported|presents|presented|states|stated|says|said|denies|denied|describes|described|complains|"
    r"endorses|admits|declines|declined|requests|requested|tells|told|feels|lives|works|takes|took|uses|used|agrees|agreed|"
    r"attends|attended|returns|returned|wants|asks|asked|notes|noted|continues|remains|is[ \t]+seen|was[ \t]+seen)\b"
)


def _subject_names(text: str, lex: Lexicon, out: list[tuple[int, int, int]]) -> None:
    """Two or three name-shaped words opening a sentence whose verb is a person's ("... is a 54-year-old", "... reports")."""
    for m in PERSON_SUBJECT_RE.finditer(text):
        grp = "name" if m.group("name") else "name2"
        s, e = m.span(grp)
        toks = TOKEN_SPLIT_RE.findall(m.group(grp))
        if any(lex.is_stop(t) for t in toks) or all(lex.common(fold(t)) and not lex.is_name_word(t) for t in toks):
            continue
        if not any(lex.is_name_word(t) for t in toks):
            continue
        out.append((s, e, 5))


def _lexicon_pairs(text: str, lex: Lexicon, out: list[tuple[int, int, int]]) -> None:
    for m in CAP_TOKEN_RE.finditer(text):
        first = m.group(0)
        if lex.is_given(first):
            f = FOLLOW_LAST_RE.match(text, m.end())
            if f:
                last, mid = f.group("last"), f.group("midname")
                initials = re.fullmatch(r"[A-Z]{1,3}", last) and not first.isupper()  # "Wilson CW," "Kelly PLC"
                if not initials and (lex.is_surname_like(last) or (lex.is_given(last) and not lex.common(fold(last)))) and not (mid and lex.is_stop(mid)):
                    if not _eponym_or_citation(text, m.start(), f.end()):
                        out.append((m.start(), f.end(), 5))
                        continue
        elif lex.is_surname_like(first):
            # two name-like words with no given name: "Emmanuelle Delisle", "Przemysław Wojtiuk"
            f = FOLLOW_LAST_RE.match(text, m.end())
            if f and not f.group("mid") and not f.group("midname") and lex.is_surname_like(f.group("last")) \
                    and (lex.on_list(first) or lex.on_list(f.group("last"))) and not first.isupper() \
                    and not f.group("last").isupper() \
                    and not _eponym_or_citation(text, m.start(), f.end()):
                out.append((m.start(), f.end(), 4))
                continue
        if lex.is_surname_like(first) and fold(first) in lex.surnames:
            c = COMMA_GIVEN_RE.match(text, m.end())
            if c and lex.is_given(c.group("given")) and not _PROVINCE_AFTER.match(text, m.end()) and not _eponym_or_citation(text, m.start(), c.end()) and not re.match(r"[ \t]*(?:,|and\b|&)", text[c.end():c.end() + 6]) and not _followed_by(text, c.end(), _ORG_WORDS):
                out.append((m.start(), c.end(), 5))


# ----------------------------------------------------------------------------- NER windows
WINDOW = 40  # characters each side: the model's token features see 4 words either way


_CAPS_RUN = re.compile(rf"{CAPS_TOKEN}(?:[ \t,]+{CAPS_TOKEN})+")


def _caps_to_title(window: str, lex: Lexicon) -> str:
    """Same-length copy where runs of all-capital words holding a name word read as Title Case.

    The model was trained on mixed case; a lone capitalised acronym (ED, OHIP) is left alone.
    """
    return _CAPS_RUN.sub(lambda m: _title_run(m.group(0), lex) if any(lex.name_ish(w) for w in WORD_RE.findall(m.group(0))) else m.group(0), window)


def _title_run(run: str, lex: Lexicon) -> str:
    def fix(m: re.Match) -> str:
        w = m.group(0)
        out = []
        cap = True
        for ch in w:
            low = ch if cap else ch.lower()
            out.append(low if len(low) == 1 else ch)
            cap = ch in "-'’"
        return "".join(out)
    return WORD_RE.sub(fix, run)


_WS = re.compile(r"\s+")
_CITATION_LINE = re.compile(r"\bet[ \t]+al\b|\b(?:19|20)\d{2};\d|\bdoi:|(?:^|\n)[^\n]*\b[A-Z][a-z]+[ \t]+[A-Z]{1,3},[ \t]+[A-Z][a-z]+[ \t]+[A-Z]{1,3}\b")


def _windows(text: str, lex: Lexicon, found: list[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Stretches of text around name-like words that no rule has already reported."""
    starts = [a for a, _b in found]
    spans: list[tuple[int, int]] = []
    toks = list(CAP_TOKEN_RE.finditer(text))
    for j, m in enumerate(toks):
        tok = m.group(0)
        if len(tok) < 4 and tok.isupper():
            continue
        # a name-like word next to another capitalised word, or one on a name list; a lone unknown
        # word (a drug brand) cannot become a name on the model's word alone, so it costs no model time
        near = [t for t in (toks[j - 1] if j else None, toks[j + 1] if j + 1 < len(toks) else None)
                if t is not None and re.fullmatch(r"[ \t]+|[ \t]*,[ \t]*|[ \t]+[a-z]{1,4}[ \t]+", text[min(t.end(), m.end()):max(t.start(), m.start())])]
        if near:
            if not (lex.name_ish(tok) or (lex.on_list(tok) and any(lex.on_list(t.group(0)) for t in near))):
                continue
        elif not (lex.name_ish(tok) and lex.on_list(tok)):
            continue
        i = bisect.bisect_right(starts, m.start()) - 1
        if i >= 0 and found[i][0] <= m.start() and m.end() <= found[i][1]:
            continue  # already a finding
        if _eponym_or_citation(text, m.start(), m.end()) or _CITATION_LINE.search(text, max(0, m.start() - 80), m.start()):
            continue  # an eponym, institution or cited author: the filters would drop the model's answer anyway
        lo = max(0, m.start() - WINDOW)
        hi = min(len(text), m.end() + WINDOW)
        if lo > 0:  # start and end on whole words
            ws = _WS.search(text, lo, m.start())
            lo = ws.end() if ws else m.start()
        if hi < len(text):
            cut = max(text.rfind(" ", m.end(), hi), text.rfind("\n", m.end(), hi))
            hi = cut if cut != -1 else m.end()
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
        else:
            spans.append((lo, hi))
    return spans


_LEADING_ROLES = frozenset(
    "mr mrs ms miss mx dr drs prof mme mlle m patient pt client resident nurse doctor pharmacist "
    "partner husband wife spouse daughter son mother father sister brother dear hi hello".split()
)


def _ner_names(text: str, lex: Lexicon, out: list[tuple[int, int, int]]) -> None:
    from . import ner

    found = sorted((a, b) for a, b, _p in out)
    spans = _windows(text, lex, found)
    if not spans:
        return
    windows = [_caps_to_title(text[a:b].replace("\n", " ").replace("\t", " "), lex) for a, b in spans]
    for (a, _b), ents in zip(spans, ner.person_spans(windows)):
        for ent in ents:
            s, e = a + ent.start, a + ent.end
            raw = text[s:e]
            if "\n" in raw:
                continue  # a heading and the next paragraph are not one name
            toks = [(t.start(), t.end(), t.group(0)) for t in TOKEN_SPLIT_RE.finditer(raw)]
            # drop leading titles and roles; any other clinical word rejects the span ("Lou Gehrig")
            while toks and fold(toks[0][2]).rstrip(".") in _LEADING_ROLES:
                toks.pop(0)
            if not toks or any(lex.is_stop(t[2]) for t in toks) or _eponym_or_citation(text, s, e):
                continue
            # trailing initials or a company ending belong to a citation or a firm: judge on what follows
            while len(toks) > 1 and (re.fullmatch(r"[A-Z]{1,3}", toks[-1][2]) or fold(toks[-1][2]) in lexicon.CORPORATE_WORDS):
                toks.pop()
            s2, e2 = s + toks[0][0], s + toks[-1][1]
            words = [t[2] for t in toks]
            if len(words) == 1:
                w = words[0]
                if lex.common(fold(w)) or not (lex.is_given(w) or (fold(w) in lex.surnames and lex.is_surname_like(w))):
                    continue  # a lone "Joy" or "Hope" is a word; context rules catch "Dear Joy"
            elif not any(lex.is_name_word(w) or lex.on_list(w) for w in words):
                continue
            if _eponym_or_citation(text, s2, e2):
                continue
            out.append((s2, e2, 4))


# Rule layers in the order they run, the NER model last: it skips what the rules already found.
_LAYERS = (_honorific_names, _context_names, _lexicon_pairs, _subject_names, _ner_names)


@functools.lru_cache(maxsize=1)
def _latin_table() -> dict[int, str]:
    """One-to-one map of accented Latin letters to their base letter (Ł->L, ễ->e), so offsets are kept."""
    table: dict[int, str] = {}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = unicodedata.normalize("NFKD", ch)[:1]
        if base.isascii() and base.isalpha() and base != ch:
            table[cp] = base
    for a, b in zip("ŁłĐđØøĦħıŒœÆæĿŀŦŧ", "LlDdOoHhiOoAaLlTt"):
        table[ord(a)] = b
    return table


def find_names(text: str, first_names: frozenset[str] | None = None, *, use_model: bool = True) -> list[tuple[int, int, int]]:
    """Name spans in ``text`` as (start, end, priority); ``use_model=False`` skips the NER layer.

    The rules read a same-length copy with accents folded (Łukasz -> Lukasz, Nguyễn -> Nguyen).
    """
    lex = default_lexicon() if first_names is None else Lexicon(first_names)
    if not text.isascii():
        text = text.translate(_latin_table())
    out: list[tuple[int, int, int]] = []
    for layer in _LAYERS if use_model else _LAYERS[:-1]:
        layer(text, lex, out)
    return out
