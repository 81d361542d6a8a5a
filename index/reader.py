"""Reading the knowledge base: the live generation (followed, verified, never a damaged one), search, documents,
statistics, filter values and warm-up. Everything here is safe to call from many threads at once."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from ingest.models import Section, sections_from_json

from . import generation as gens
from . import publishing
from . import originals, shared_db
from .context import KBContext
from .errors import CorruptIndex, DocumentNotFound, KBEmpty, ModelMismatch, QueryError
from .search import MODES, Retriever, demote_glossary, diversify, load_hits, table_cells
from .types import AnswerUnit, DocumentRecord, SearchFilters, SearchResult

log = logging.getLogger("kb")
MAX_QUERY_CHARS = 500
MAX_FACETS = 200  # values a filter list offers at most (the most used ones), so no page grows without bound
WATCH_SECONDS = 30.0  # how often a serving process stats its live generation's files for changes on disk
OUT_OF_SCOPE_HITS = 3  # "nearest, probably not relevant" sources shown with an out-of-scope answer


def block_dict(b: Section) -> dict:
    """A positioned block as the API and the web app see it."""
    return {"start": b.start, "end": b.end, "heading": " › ".join(b.heading_path), "page": b.page,
            "kind": b.kind, "level": b.level, "depth": b.depth, "number": b.number,
            "heading_path": list(b.heading_path), "header": b.header, "rows": [list(r) for r in b.rows]}


class Reader:
    """Holds the generation this process serves and answers every read from it."""

    def __init__(self, ctx: KBContext):
        self.ctx = ctx
        self._gen: gens.Generation | None = None
        self._gen_lock = threading.Lock()
        self._refused: tuple | None = None  # (CURRENT, error) already found damaged: not re-read per request
        self._watched = time.monotonic()

    def generation(self) -> gens.Generation:
        """The live generation; a newly published one replaces it, a damaged one is refused.

        A damaged live generation is never served: a process already serving an intact one keeps it, and a
        fresh process serves the newest intact published generation instead, saying so once in the log.
        """
        try:
            name = publishing.read_current(self.ctx.home)
            damage: CorruptIndex | None = None
        except CorruptIndex as exc:
            name, damage = None, exc
        if name is None and damage is None:
            made_live = publishing.published(self.ctx.home)
            if made_live:
                raise CorruptIndex(f"{self.ctx.home / publishing.CURRENT} is missing, yet generations up to "
                                   f"{made_live[-1]} were "
                                   "published; run `kb rollback` to make the newest intact one live")
            raise KBEmpty(f"the knowledge base at {self.ctx.home} is empty: run `kb ingest PATH` first")
        gen = self._gen
        if gen is not None and (gen.name == name or self._refused == (name, str(damage))):
            self._watch(gen)
            return gen
        with self._gen_lock:
            if self._gen is not None and (self._gen.name == name or self._refused == (name, str(damage))):
                return self._gen
            try:
                if damage is not None:
                    raise damage
                loaded = self._load(name)
            except ModelMismatch:
                raise
            except CorruptIndex as exc:
                self._refused = (name, str(damage))
                if self._gen is None:
                    self._gen = self._newest_intact(name, exc)
                    return self._gen
                log.error("not switching to generation %s: %s; still serving %s. To recover, run `kb reindex` "
                          "(publishes a new generation) or `kb rollback`", name, exc, self._gen.name)
                return self._gen
            self._gen = loaded
            self._refused = None
            return loaded

    def _load(self, name: str) -> gens.Generation:
        return gens.Generation.load(self.ctx.home / publishing.GEN_DIR / name, self.ctx.embedder.fingerprint,
                                    shared_dir=shared_db.shared_dir(self.ctx.settings.shared_db_dir))

    def _watch(self, gen: gens.Generation) -> None:
        """At most every WATCH_SECONDS: has the served generation changed on disk since it was verified?"""
        now = time.monotonic()
        if now - self._watched < WATCH_SECONDS:
            return
        self._watched = now
        problem = gen.damaged_on_disk()
        if problem:
            log.error("%s; still serving its verified copy in RAM, but a restart would fall back to an older "
                      "generation: run `kb reindex` (rebuilds from the catalogue) or `kb rollback`", problem)

    def _newest_intact(self, damaged: str | None, exc: CorruptIndex) -> gens.Generation:
        """The newest published generation that still verifies, or the original error when there is none."""
        for name in publishing.intact_published(self.ctx.home):
            if name == damaged:
                continue
            try:
                gen = self._load(name)
            except CorruptIndex:
                continue
            log.error("%s; serving %s, the newest intact published generation, instead. To recover, run "
                      "`kb rollback` (makes the newest intact generation live) or `kb reindex` (rebuilds from the "
                      "catalogue)", exc, name)
            return gen
        raise exc

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None, mode: str = "hybrid",
               per_doc: int = 2, answer: bool = True, exact: bool = False, fusion: str = "convex-prf",
               timings: dict[str, float] | None = None) -> SearchResult:
        """Cited passages for a question, plus verbatim answer units, an answer status and a confidence.

        The one search physicians, `kb eval` and `kb bench` all run. exact=True searches the words as typed (no
        misspelling correction); fusion other than convex-prf is for comparison only; `timings`, when given,
        receives the milliseconds of each stage.
        """
        from .search import StageClock

        clock = StageClock(timings)
        query = (query or "").strip()
        if not query:
            raise QueryError("the question is empty")
        if len(query) > MAX_QUERY_CHARS:
            raise QueryError(f"the question is longer than {MAX_QUERY_CHARS} characters")
        if mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}")
        if fusion not in Retriever.FUSIONS:
            raise QueryError(f"fusion must be one of {', '.join(Retriever.FUSIONS)}")
        k = max(1, min(int(k), 100))
        from ingest.metadata import valid_date

        for label, value in (("from", (filters.date_from if filters else "")), ("to", (filters.date_to if filters else ""))):
            if value and not valid_date(value):
                raise QueryError(f"'{label}' must be a real date written YYYY-MM-DD, not {value[:40]!r}")
        gen = self.generation()
        clock.mark("generation_check")
        filters = filters or SearchFilters()
        searched, corrections = query, []
        if not exact:
            fix = self.speller(gen).correct(query)
            if fix.changes:
                searched, corrections = fix.query, [list(c) for c in fix.changes]
        clock.mark("spelling")
        retriever = Retriever(gen, self.ctx.vocabulary, fusion)
        # in a hybrid search the keyword leg runs on another thread while the question is encoded
        leg = retriever.start_keyword(searched, filters) \
            if mode == "hybrid" and self.ctx.settings.parallel_legs else None
        # the query vector reads clinical shorthand spelled out ("bup" -> buprenorphine): the model knows the words
        qvec = None if mode == "bm25" else self.ctx.query_encoder.encode_query(
            self.ctx.vocabulary.spelled_out(searched))
        clock.mark("encode_query")
        cands = retriever.retrieve(searched, qvec, max(k * 4, 50), filters, mode, timings, keyword_leg=leg)
        clock.restart()
        shown = diversify(cands, gen, k + 10, per_doc) if per_doc else cands[:k + 10]
        clock.mark("diversify")
        hits = load_hits(gen, shown)
        hits = demote_glossary(hits, searched)[:k]
        clock.mark("load_hits")
        result = SearchResult(query=query, generation=gen.name, hits=hits, mode=mode,
                              corrected_query=searched if corrections else "", corrections=corrections)
        if answer:
            self._answer(result, searched, qvec, gen, cands)
            clock.mark("answer_stage")
        if self.ctx.settings.log_queries:
            log.info("query %r -> %d hits", query, len(hits))
        return result

    def _answer(self, result: SearchResult, query: str, qvec, gen: gens.Generation, cands) -> None:
        """The answer stage (index/answer.py) over candidates chosen independently of k; cited hits are added."""
        from .answer import answer_candidates, decide

        if qvec is None:
            qvec = self.ctx.query_encoder.encode_query(self.ctx.vocabulary.spelled_out(query))
        decision = decide(query, qvec, gen, answer_candidates(cands, gen), [h.chunk_id for h in result.hits],
                          self.ctx.vocabulary, self.terms(gen), typed=result.query,
                          corrected=frozenset(a.lower() for a, _ in result.corrections))
        result.answer_status, result.confidence, result.signals = decision.status, decision.confidence, \
            decision.signals
        if decision.status == "out_of_scope":
            result.hits = result.hits[:OUT_OF_SCOPE_HITS]
        index = {h.chunk_id: i for i, h in enumerate(result.hits)}
        missing = [u.chunk_id for u in decision.units if u.chunk_id not in index]
        if missing:  # a quoted passage is always among the sources: it joins the list after the k ranked ones
            from .search import Candidate

            for h in load_hits(gen, [Candidate(cid, 0.0) for cid in dict.fromkeys(missing)]):
                index[h.chunk_id] = len(result.hits)
                result.hits.append(h)
        for h in result.hits:
            h.highlights = sorted([list(x) for x in decision.highlights.get(h.chunk_id, [])])
        for u in decision.units:
            i = index[u.chunk_id]
            text = result.hits[i].text[u.start:u.end]
            table = None
            if u.role == "row" and u.context:
                table = {"header": table_cells(u.context), "row": table_cells(text)}
            result.answer.append(AnswerUnit(text=text, hit=i, start=u.start, end=u.end, citation=i + 1, role=u.role,
                                            context=u.context, table=table, score=u.score))

    def terms(self, gen: gens.Generation) -> dict[str, int]:
        """The generation's term dictionary (word -> occurrences), read once per generation."""
        if "terms" not in gen.cache:
            gen.cache["terms"] = gen.reader.terms()
        return gen.cache["terms"]

    def speller(self, gen: gens.Generation):
        """The misspelling corrector over this generation's terms, built once per generation."""
        from .spelling import Speller

        if "speller" not in gen.cache:
            with self._gen_lock:
                if "speller" not in gen.cache:
                    gen.cache["speller"] = Speller(self.terms(gen))
        return gen.cache["speller"]

    def get_document(self, doc_id: str) -> DocumentRecord:
        """A document with its text and typed blocks, from the live generation."""
        gen = self.generation()
        d = gen.reader.document(doc_id)
        if d is None:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        sections = [block_dict(b) for b in sections_from_json(d.sections)]
        return DocumentRecord(d.doc_id, d.title, d.doc_type, d.source, d.published, d.reviewed, d.tags, d.filename,
                              d.basis, d.text, d.content_hash, d.n_chunks, sections, d.original)

    def blocks(self, doc_id: str, start: int, end: int) -> list[dict]:
        """The typed blocks of a document that overlap text[start:end] (a chunk's span), in order."""
        return [b.to_dict() for b in self.generation().reader.blocks(doc_id, start, end)]

    def original_file(self, doc_id: str) -> tuple[Path, dict, str]:
        """(stored path, record, download name) of a document's original file; DocumentNotFound when none is kept."""
        rec = self.get_document(doc_id)
        path = originals.locate(self.ctx.home, rec.original)
        if path is None:
            raise DocumentNotFound(f"no original file is kept for document {doc_id!r}")
        name = Path(rec.filename or f"{doc_id}{rec.original.get('suffix', '')}").name
        return path, rec.original, name

    def list_documents(self) -> list[DocumentRecord]:
        """Every live document's metadata (no text); empty before the first ingest."""
        try:
            gen = self.generation()
        except KBEmpty:
            return []
        return [DocumentRecord(d.doc_id, d.title, d.doc_type, d.source, d.published, d.reviewed, d.tags, d.filename,
                               d.basis, "", d.content_hash, d.n_chunks) for d in gen.reader.documents()]

    def stats(self) -> dict:
        """The live generation's name, counts and creation time."""
        gen = self.generation()
        return {"generation": gen.name, **gen.counts, "updated": gen.manifest.get("created", "")}

    def facets(self) -> dict:
        """Values the filters can take, for the web form."""
        return self.generation().reader.facets(MAX_FACETS)

    def warm_up(self) -> None:
        """Load the live generation, the query encoder and the spelling dictionary before the first search."""
        gen = self.generation()
        self.ctx.query_encoder.encode_query("warm up")
        self.speller(gen)
