"""Result and record types shared by the CLI and the web app, so both print the same JSON."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


def _plain(obj) -> dict:
    """A flat dataclass as a dict (lists copied one level): asdict's deep copy costs more than the search."""
    return {f.name: (list(v) if isinstance(v := getattr(obj, f.name), list) else
                     dict(v) if isinstance(v, dict) else v) for f in fields(obj)}


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions applied inside retrieval, so a filtered query still fills k results."""

    doc_types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    date_from: str = ""  # YYYY-MM-DD (inclusive), compared with the publication date
    date_to: str = ""

    @property
    def active(self) -> bool:
        return bool(self.doc_types or self.sources or self.tags or self.date_from or self.date_to)


@dataclass
class Hit:
    """One cited passage: where it comes from and why it ranked."""

    doc_id: str
    chunk_id: int
    title: str
    text: str
    score: float
    section: str
    page: int | None
    doc_type: str
    source: str
    date: str
    reviewed: str
    tags: list[str]
    start: int
    end: int
    filename: str = ""
    highlights: list[list[int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return _plain(self)


@dataclass
class AnswerUnit:
    """One verbatim answer unit: hits[hit].text[start:end] == text; `citation` is hit + 1, the source's number.

    role: sentence | item (a list item; `context` is its lead-in) | row (a table row; `context` is the table's
    header row, and `table` holds both as cells) | definition. `context` is verbatim from the same document.
    """

    text: str
    hit: int
    start: int = 0
    end: int = 0
    citation: int = 0
    role: str = "sentence"
    context: str = ""
    table: dict | None = None   # {"header": [cells], "row": [cells]} for a table row
    score: float = 0.0


AnswerSentence = AnswerUnit  # the name used before answer units had roles


@dataclass
class SearchResult:
    query: str
    generation: str
    hits: list[Hit]
    answer: list[AnswerUnit] = field(default_factory=list)
    mode: str = "hybrid"
    answer_status: str = "no_direct_answer"   # answered | no_direct_answer | out_of_scope
    confidence: float = 0.0                   # in [0, 1]: how likely the first answer unit answers the question
    corrected_query: str = ""                 # the query as searched when a misspelling was corrected, else ""
    corrections: list[list[str]] = field(default_factory=list)  # [[typed, searched], ...]
    signals: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "generation": self.generation,
            "mode": self.mode,
            "answer_status": self.answer_status,
            "confidence": self.confidence,
            "corrected_query": self.corrected_query,
            "corrections": self.corrections,
            "answer": [_plain(a) for a in self.answer],
            "hits": [h.to_dict() for h in self.hits],
        }


@dataclass
class DocumentRecord:
    """A stored document as a reader sees it: metadata and its full extracted text."""

    doc_id: str
    title: str
    doc_type: str
    source: str
    published: str
    reviewed: str
    tags: list[str]
    filename: str
    basis: str
    text: str
    content_hash: str
    n_chunks: int
    # the typed blocks: [{"start","end","heading","page","kind","level","depth","number","heading_path","header","rows"}]
    sections: list[dict] = field(default_factory=list)
    original: dict | None = None  # the kept original file: {"sha256","suffix","bytes","media_type","pages"}

    def to_dict(self, with_text: bool = True) -> dict:
        d = asdict(self)
        if not with_text:
            d.pop("text")
            d.pop("sections")
        return d


@dataclass
class FileOutcome:
    """What one ingest did with one file; a quarantined file carries its quarantine id and masked findings."""

    path: str
    status: str  # 'added' | 'updated' | 'unchanged' | 'failed' | 'quarantined' | 'skipped' | 'released'
    doc_ids: list[str] = field(default_factory=list)
    reason: str = ""
    quarantine_id: int | None = None
    findings: list[dict] = field(default_factory=list)  # masked: kind, line, page, masked text; never the value


@dataclass
class IngestReport:
    """What one ingest did; the CLI prints it and the web upload shows it."""

    documents: int = 0
    chunks_embedded: int = 0
    unchanged: int = 0
    failed: int = 0
    quarantined: int = 0
    skipped: int = 0  # links out of the folder, devices, FIFOs, files under KB_HOME: reported, never read
    generation: str = ""
    files: list[FileOutcome] = field(default_factory=list)

    def summary_dict(self) -> dict:
        return {
            "documents": self.documents,
            "chunks_embedded": self.chunks_embedded,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "quarantined": self.quarantined,
            "skipped": self.skipped,
        }
