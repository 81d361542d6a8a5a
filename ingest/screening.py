"""`kb screen`: check files for patient identifiers without ingesting anything."""
from __future__ import annotations

from pathlib import Path

from .errors import IngestError
from .privacy import Allowlist, ScreenConfig, screen_text
from .readers import supported
from .readers.textutil import decode
from .sandbox import ParserPool, iter_files


def screen_files(paths: list[Path], pool: ParserPool, allowlist: Allowlist, config: ScreenConfig) -> list[dict]:
    """One result per file: verdict and findings (offsets into the extracted text; for .txt, into the content)."""
    results = []
    for path in iter_files(paths):
        entry: dict = {"path": str(path)}
        try:
            if not supported(path):
                raise IngestError(str(path), f"unknown format '{path.suffix or '(no suffix)'}'")
            if path.suffix.lower() == ".txt":
                texts = [("", decode(str(path), path.read_bytes()), [])]
            else:
                texts = [(d.meta.doc_id, d.text, d.sections) for d in pool.read(path)]
        except (IngestError, OSError) as exc:
            entry.update(verdict="error", error=getattr(exc, "reason", str(exc)), findings=[])
            results.append(entry)
            continue
        findings = []
        for doc_id, text, sections in texts:
            for f in screen_text(text, allowlist=allowlist, config=config).findings:
                item = {"kind": f.kind, "start": f.start, "end": f.end, "line": f.line, "masked": f.masked}
                page = next((s.page for s in sections if s.start <= f.start <= s.end), None)
                if page is not None:
                    item["page"] = page
                if len(texts) > 1:
                    item["doc_id"] = doc_id
                findings.append(item)
        entry.update(verdict="blocked" if findings else "clean", findings=findings)
        results.append(entry)
    return results
