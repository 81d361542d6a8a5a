"""The answer stage: pick verbatim answer units from the answer candidates, or say honestly that there is none.

Everything expensive happened at build time (units, roles, int8 vectors in the generation); here it is numpy
arithmetic over the units of a dozen passages. The weights are few and named (WEIGHTS, SCOPE), fitted on the
development split of corpus/eval/answers.jsonl and out_of_scope.jsonl by benchmarks/fit_answer.py (see
BENCHMARKS.md). A little over ~300 lines on purpose: the unit scoring,
the scope decision and the choice of units read the same table of features and are refitted together.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from .generation import Generation
from .search import Candidate
from .spelling import known, specific_english
from .units import ANSWERABLE, _stem, content_words, is_definition_question, is_glossary_title, population_mask
from .vocabulary import Vocabulary, _norm

# How a unit's score is made: a weighted sum of named features, read as "worth this much cosine" (the cosine's
# weight is 1). Fitted listwise on the development split only by `benchmarks/fit_answer.py --part units`: for each
# of the 96 dev questions a softmax over the units the Answer box may quote (`eligible`), maximising the probability
# of those matching a gold fact of answers.jsonl (index/answer_eval.matches), L2 penalty 0.01 and temperature 0.3
# chosen by 5 x 5-fold cross-validation over questions. Cross-validated answer@1 / @3 of the ranking: 0.75 / 0.92
# (0.72 / 0.88 before the "placed" vector; 0.69 with the earlier hand-set weights). Held-back questions were never
# used. Small weights mean the fit found little in a feature, not that it is off; "document" comes out slightly
# negative because "placed", "rank" and "passage" already carry what it measured. "population" is set, not fitted:
# the fit gave -0.18 (18 dev questions name a patient group, too few to learn it), which let a generic "4 g/day"
# outrank the older-adult "3 g/day" beside it; +0.2 leaves dev and held-back answer@1/@3 unchanged (0.2 is the
# largest value that does: 0.4 loses one dev question) and makes the group's own sentence win such near-ties.
WEIGHTS = {
    "cosine": 1.0,          # sentence vector . query vector (the model is trained on question-answer pairs)
    "placed": 2.31,         # the same, for the unit read under its heading path (what it is about, where unsaid)
    "overlap": 0.68,        # share of the question's content words (rarer words weigh more) in the unit
    "advice": 0.16,         # sits in a Recommendations / plan / how-to section (items there carry it already)
    "case": 0.0,            # sits in a case presentation, background or the presenter's question: never quoted
    "amount": 0.41,         # states an amount and the question asks how much / how fast / max
    "steps": 0.07,          # an instruction, and the question asks how to / what to do
    "definition": -0.63,    # a glossary definition, when the question does not ask what a term means
    "population": 0.2,      # names the patient group the question names (cirrhosis, CKD, pregnancy, older adult)
    "other_group": 0.18,    # names a patient group the question does not
    "rank": 1.04,           # the passage's place among the answer candidates (1 for the first, 0 for the last)
    "passage": 0.66,        # the whole passage's vector . query vector (how on-topic its surroundings are)
    "length": 0.51,         # words in the unit, up to 30, over 30: an answer states specifics
    "document": -0.24,      # the document's place among the candidates' documents (1 first, 0 last)
    "focus": 0.7,           # overlap with the question's words that few of the candidate units share
}
# Is the question in scope? A logistic regression (scikit-learn, C=1, balanced classes) over quantities that mean
# the same on every query (unlike min-max fused scores), fitted on the dev split by `benchmarks/fit_answer.py
# --part scope --max-flagged 0.035` (which prints these constants): in scope = answers.jsonl questions and
# out_of_scope.jsonl's no_direct_answer rows; out of scope = its out_of_scope rows. The signals are the subset that
# cross-validated best (`--compare`: every subset of five candidates); keyword coverage and the share of the
# question's words in the first passages fitted the first 51 dev questions but flagged 12 of the 45 added ones.
# The query vector is made from the question with its clinical shorthand spelled out (Vocabulary.spelled_out).
SCOPE = {
    "dense_top": 4.16,      # best cosine between the query vector and a candidate passage's vector
    "best_cosine": 3.61,    # best cosine between the query vector and a candidate answer unit's vector
    "foreign": -1.98,       # share of the typed content words that are topic-naming English words the corpus never
                            # uses ("strep"); a plural or singular counts as found, a corrected misspelling does not
    "bias": -3.83,
}
SCOPE_SIGNALS = tuple(k for k in SCOPE if k != "bias")  # each is a key of AnswerDecision.signals
SCOPE_MIN = 0.617           # dev: 3 of 96 answerable flagged, 51 of 52 out of scope caught; 10 x 5-fold
                            # cross-validated on dev: 0.037 flagged, 0.96 caught
ANSWER_MIN = 3.57           # best unit score below this is no direct answer (dev: 0.05 under every answerable one)
ANSWER_MARGIN = 1.10        # further units (up to 3) are shown when within this much of the best one (dev: 0.7 ->
                            # 1.1 lifts answer@3 0.91 -> 0.93 for 2.8 units shown on average instead of 2.4)
# confidence = P(the first unit answers | best unit score) x P(in scope); the first factor is a logistic
# regression of "answer@1 hit" on the best score over the dev questions (a calibration, not a threshold).
CONFIDENCE = {"slope": 1.02, "intercept": -3.54}

CANDIDATE_PASSAGES = 12     # answer candidates, chosen from the fused ranking independently of k
CANDIDATE_PER_DOC = 5

_AMOUNT_Q = re.compile(r"\b(how (much|many|fast|quickly|long|often|soon)|doses?|dosing|dosage|max(imum)?|min(imum)?|"
                       r"mg|mcg|mme|rate|factor|conver\w*|frequency|interval|duration|threshold|limit|ceiling|"
                       r"starting|start at|titrat\w*|increments?|per day|daily)\b", re.I)
# What describes the patient, not what is asked: "high-dose oxycodone", "low dose naltrexone", and a quantity the
# physician states ("from 90 MME", "on 120 mg/day"). The question asks for an amount only in its own words.
_DESCRIBED_DOSE = re.compile(r"\b(high|low|higher|lower|large|small)[- ]dos(e|es|ed|ing)\b", re.I)
_STATED_AMOUNT = re.compile(r"\b\d[\d.,]*\s*(?:mg|mcg|µg|g|mme|med|ml|units?)\b"
                            r"(?:\s*(?:/\s*(?:day|d|h|hr)|per day|daily|a day))?", re.I)


def asks_amount(query: str) -> bool:
    """Whether the question wants an amount (how much, a dose, a maximum, how fast): then a unit stating one helps."""
    return bool(_AMOUNT_Q.search(_STATED_AMOUNT.sub(" ", _DESCRIBED_DOSE.sub(" ", query))))


_STEPS_Q = re.compile(r"\b(how (do|should|can|to|would)|what (to do|should)|steps?|approach|manag\w*|handle|"
                      r"switch|start\w*|initiat\w*|induc\w*|rotate|taper\w*|stop\w*|treat\w*|counsel\w*)\b", re.I)


@dataclass
class ChosenUnit:
    chunk_id: int
    start: int
    end: int
    role: str
    context: str
    score: float


@dataclass
class AnswerDecision:
    """What the answer stage decided, and the signals it decided on (for eval and calibration)."""

    status: str
    confidence: float
    units: list[ChosenUnit] = field(default_factory=list)
    highlights: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    signals: dict = field(default_factory=dict)


def answer_candidates(cands: list[Candidate], gen: Generation, n: int = CANDIDATE_PASSAGES,
                      per_doc: int = CANDIDATE_PER_DOC) -> list[int]:
    """The passages the answer may quote: the fused ranking's best, more of them per document than the list shows."""
    top = cands[: n * 4]
    if not top:
        return []
    docs = gen.reader.doc_of(c.chunk_id for c in top)
    seen: dict[str, int] = {}
    out = []
    for c in top:
        d = docs.get(c.chunk_id)
        if seen.get(d, 0) < per_doc:
            seen[d] = seen.get(d, 0) + 1
            out.append(c.chunk_id)
        if len(out) == n:
            break
    return out


_EXPANDERS: dict[int, "_Expander"] = {}


def _expander(vocab: Vocabulary | None) -> "_Expander":
    """One normalised copy of the vocabulary's groups per Vocabulary object."""
    key = id(vocab)
    if key not in _EXPANDERS:
        _EXPANDERS.clear()
        _EXPANDERS[key] = _Expander(vocab)
    return _EXPANDERS[key]


class _Expander:
    """Which words count as a match for a query word: itself, or a vocabulary synonym of it."""

    def __init__(self, vocab: Vocabulary | None):
        self.groups = [[_norm(t) for t in g] for g in (vocab.groups if vocab else [])]

    def alternatives(self, word: str) -> list[list[str]]:
        out = [[_stem(word)]]
        for g in self.groups:
            if word in g:
                out += [[_stem(w) for w in t.split()] for t in g if t and t != word]
        return out


def _weight(word: str, terms: dict[str, int]) -> float:
    """Rarer words say more about what is asked (a condition, a drug) than common ones (dose, pain)."""
    return 1.0 / math.log(2.0 + terms.get(word, 0))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


FEATURES = tuple(WEIGHTS)


@dataclass
class UnitTable:
    """The units of the passages being scored, their features (columns in FEATURES order) and texts."""

    rows: list[tuple]
    texts: list[str]
    features: np.ndarray
    cosine: np.ndarray
    candidate: np.ndarray     # True for units of the answer candidates (the only ones that may answer)
    top_coverage: float = 0.0  # share of the question's words (or their synonyms) in the first 3 candidates' units


def unit_table(query: str, q: np.ndarray, gen: Generation, candidates: list[int], shown: list[int],
               vocab: Vocabulary | None, terms: dict[str, int]) -> UnitTable:
    """Every answerable unit of the candidate and shown passages with its named features."""
    ids = list(dict.fromkeys(candidates + shown))
    empty = UnitTable([], [], np.zeros((0, len(FEATURES)), "float32"), np.zeros(0, "float32"), np.zeros(0, bool))
    if not ids or gen.unit_vectors is None:
        return empty
    rows = gen.reader.unit_tuples(ids)
    meta = gen.reader.passages(ids)
    words = list(dict.fromkeys(content_words(query)))
    definitional = is_definition_question(query)
    amount_q = asks_amount(query)
    steps_q = bool(_STEPS_Q.search(query))
    pops = population_mask(query)
    expander = _expander(vocab)
    alts = {w: expander.alternatives(w) for w in words}
    singles = [frozenset(a[0] for a in alts[w] if len(a) == 1) for w in words]
    multis = [[a for a in alts[w] if len(a) > 1] for w in words]
    glossary = {cid: is_glossary_title(m[1]) for cid, m in meta.items()}
    wsum = sum(_weight(w, terms) for w in words) or 1.0
    rank_of = {cid: i for i, cid in enumerate(candidates)}
    ncand = max(1, len(candidates) - 1)
    passage = dict(zip(ids, (gen.vectors.reconstruct(ids) @ q).tolist()))
    doc_rank = {d: i for i, d in enumerate(dict.fromkeys(meta[c][2] for c in candidates if c in meta))}
    ndocs = max(1, len(doc_rank) - 1)
    keep, texts, feats, bags = [], [], [], []
    weights = [_weight(w, terms) for w in words]
    for r in rows:
        _, cid, s, e, role, advice, in_case, amount, imperative, context, stems, upops = r
        if role not in ANSWERABLE:
            continue
        text = meta[cid][0][s:e]
        if role != "row" and len(text.split()) < 4:
            continue
        bag = frozenset(stems.split())
        hit = [not bag.isdisjoint(one) or bool(many) and any(all(x in bag for x in alt) for alt in many)
               for one, many in zip(singles, multis)]
        matched = sum(wt for wt, h in zip(weights, hit) if h)
        is_def = role == "definition" or glossary[cid]
        feats.append((0.0, 0.0, matched / wsum, advice, in_case, float(amount and amount_q),
                      float(imperative and steps_q), float(is_def and not definitional),
                      float(bool(pops & upops)), float(bool(upops & ~pops)),
                      1 - rank_of[cid] / ncand if cid in rank_of else 0.0, passage[cid],
                      min(len(text.split()), 30) / 30,
                      1 - doc_rank[meta[cid][2]] / ndocs if meta[cid][2] in doc_rank else 0.0, 0.0))
        keep.append(r)
        texts.append(text)
        bags.append(hit)
    if not keep:
        return empty
    # focus: the question's words weighted by how few candidate units contain them, so a word every unit of the
    # passage shares (the topic) does not decide between them, and the word that singles one out does
    n = len(keep)
    present = np.asarray(bags, dtype="float32").reshape(n, len(words))
    if words:
        local = np.log((n + 1) / (1 + present.sum(0)))
        focus = present @ local / max(float(local.sum()), 1e-6)
    else:
        focus = np.zeros(n, dtype="float32")
    uid = np.fromiter((r[0] for r in keep), dtype="int64", count=len(keep))
    stored = np.asarray(gen.unit_vectors[uid], dtype="float32") / gen.unit_scale
    dim = q.shape[0]
    cos = stored[:, :dim] @ q
    f = np.asarray(feats, dtype="float32")
    f[:, 0] = cos
    f[:, FEATURES.index("placed")] = stored[:, dim:2 * dim] @ q if "placed" in gen.unit_layout else cos
    f[:, FEATURES.index("focus")] = focus
    cand = np.fromiter((r[1] in rank_of for r in keep), dtype=bool, count=len(keep))
    top = set(candidates[:3])
    in_top = np.fromiter((r[1] in top for r in keep), dtype=bool, count=n)
    lettered = np.array([not any(ch.isdigit() for ch in w) for w in words], dtype=bool)
    top_cov = float(present[in_top][:, lettered].max(0).mean()) if in_top.any() and lettered.any() else 0.0
    return UnitTable(keep, texts, f, cos, cand, top_cov)


def eligible(table: "UnitTable") -> np.ndarray:
    """Units that may be quoted as the answer: those of the answer candidates, except a case presentation, its
    background and the presenter's question (a patient's history is not advice; on dev, 6 of 383 gold units sit
    there and no question needs them). They still count for the scope signals and highlights."""
    if not len(table.rows):
        return np.zeros(0, bool)
    return table.candidate & (table.features[:, FEATURES.index("case")] == 0)


def _query_words(text: str, terms: dict[str, int]) -> list[str]:
    """The question's content words (numbers aside), two neighbours joined when only the joined form is a corpus
    word ("post herpetic" -> "postherpetic", "micro induction" -> "microinduction")."""
    words = [w for w in content_words(text) if not any(ch.isdigit() for ch in w)]  # numbers are not vocabulary
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = words[i] + words[i + 1] if i + 1 < len(words) else ""
        if pair and pair in terms and not (known(words[i], terms) and known(words[i + 1], terms)):
            out.append(pair)
            i += 2
        else:
            out.append(words[i])
            i += 1
    return list(dict.fromkeys(out))


def _top_specific(words: list[str], table: "UnitTable", top: list[int], vocab: Vocabulary | None,
                  terms: dict[str, int]) -> float:
    """Share of the question's words found in the first candidates' units, each weighted by its rarity in the
    corpus: an off-topic question often shares only common words ("dose", "elderly") with the passages it
    reaches, while its one specific word ("metformin") is rare in the corpus and absent from them."""
    if not words:
        return 0.0
    top_set = set(top)
    bag: set[str] = set()
    for r in table.rows:
        if r[1] in top_set:
            bag.update(r[10].split())
    expander = _expander(vocab)
    found = total = 0.0
    for w in words:
        weight = _weight(w, terms)
        total += weight
        if any(all(x in bag for x in alt) for alt in expander.alternatives(w)):
            found += weight
    return found / total if total else 0.0


def decide(query: str, qvec: np.ndarray, gen: Generation, candidates: list[int], shown: list[int],
           vocab: Vocabulary | None, terms: dict[str, int], typed: str | None = None,
           corrected: frozenset[str] = frozenset(), max_units: int = 3) -> AnswerDecision:
    """Score the units of the candidate passages (and of the shown passages, for highlights only) and decide.

    query is the query as searched; typed is what the user typed (when a misspelling was corrected) and
    corrected the lower-cased words that were changed.
    """
    q = np.asarray(qvec, dtype="float32").reshape(-1)
    words = _query_words(typed or query, terms)
    coverage = sum(0.5 if w in corrected else 1.0 for w in words if w in corrected or known(w, terms)) / len(words) \
        if words else 0.0
    # a topic-naming English word the corpus never uses ("strep", "eczema") says the question is about something
    # else; an ordinary word ("max", "year") or an unknown non-word (a typo nothing fixed, nonsense) does not
    foreign = sum(1 for w in words if w not in corrected and not known(w, terms) and specific_english(w)) \
        / len(words) if words else 0.0
    dense_top = float((gen.vectors.reconstruct(candidates[:5]) @ q).max()) if candidates else 0.0
    table = unit_table(query, q, gen, candidates, shown, vocab, terms)
    weights = np.asarray([WEIGHTS[f] for f in FEATURES], dtype="float32")
    scores = table.features @ weights if len(table.rows) else np.zeros(0, "float32")
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    may_answer = eligible(table)
    in_cands = [i for i in order if may_answer[i]]
    best = float(scores[in_cands[0]]) if in_cands else 0.0
    best_cos = float(table.cosine[table.candidate].max()) if table.candidate.any() else 0.0
    signals = {"coverage": round(coverage, 4), "dense_top": round(dense_top, 4), "best_cosine": round(best_cos, 4),
               "best_score": round(best, 4), "top_coverage": round(table.top_coverage, 4),
               "foreign": round(foreign, 4),
               "top_specific": round(_top_specific(_query_words(query, terms), table, candidates[:3], vocab, terms), 4)}
    scope = _sigmoid(sum(SCOPE[name] * signals[name] for name in SCOPE_SIGNALS) + SCOPE["bias"])
    signals["scope"] = round(scope, 4)

    chosen: list[ChosenUnit] = []
    if scope >= SCOPE_MIN and best >= ANSWER_MIN:
        seen_text: set[str] = set()
        for i in in_cands:
            if scores[i] < best - ANSWER_MARGIN or len(chosen) == max_units:
                break
            cid, s, e, role, context = table.rows[i][1:5] + (table.rows[i][9],)
            text = table.texts[i]
            if any(text in seen or seen in text for seen in seen_text):  # overlapping chunks repeat a unit
                continue
            seen_text.add(table.texts[i])
            chosen.append(ChosenUnit(cid, s, e, role, context, round(float(scores[i]), 4)))
    highlights: dict[int, list[tuple[int, int]]] = {}
    for i in order:
        cid, s, e = table.rows[i][1], table.rows[i][2], table.rows[i][3]
        if scores[i] >= max(ANSWER_MIN, best - ANSWER_MARGIN) and len(highlights.get(cid, [])) < 2:
            highlights.setdefault(cid, []).append((s, e))
    for u in chosen:
        spans = highlights.setdefault(u.chunk_id, [])
        if (u.start, u.end) not in spans:
            spans.append((u.start, u.end))
    if scope < SCOPE_MIN:
        status = "out_of_scope"
    else:
        status = "answered" if chosen else "no_direct_answer"
    confidence = _sigmoid(CONFIDENCE["slope"] * best + CONFIDENCE["intercept"]) * scope
    return AnswerDecision(status, round(float(confidence), 4), chosen, highlights, signals)
