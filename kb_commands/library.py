"""`kb ingest`, `search`, `list`, `remove`, `reindex`, `rollback`, `status`: the knowledge base's own verbs."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import Progress, open_kb, printable

DOC_TYPES = ["echo-case", "guideline", "other"]


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--type", "doc_type", type=click.Choice(DOC_TYPES), help="Override doc type.")
@click.option("--source", help="Override source organisation.")
@click.option("--tag", "tags", multiple=True, help="Set topic tags (repeatable); replaces the file's tags.")
@click.option("--redact", is_flag=True, help="Ingest a redacted copy of files the privacy screen flags.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def ingest(ctx, paths, doc_type, source, tags, redact, as_json):
    """Add or update documents from files and folders (recursively)."""
    progress = Progress(not as_json)
    report = open_kb(ctx, create=True).ingest_paths(
        list(paths), {"doc_type": doc_type, "source": source, "tags": list(tags)}, progress, redact=redact)
    progress.close()
    for f in report.files:
        if f.status in ("failed", "quarantined", "skipped"):
            click.echo(printable(f"{f.status}: {f.path}: {f.reason}"), err=True)
    s = report.summary_dict()
    if as_json:
        click.echo(json.dumps(s))
    else:
        click.echo(f"{s['documents']} documents added or updated, {s['chunks_embedded']} chunks embedded, "
                   f"{s['unchanged']} unchanged, {s['failed']} failed, {s['quarantined']} quarantined"
                   + (f", {s['skipped']} skipped" if s['skipped'] else "")
                   + (f"; live generation {report.generation}" if report.generation else ""))
    if report.failed or report.quarantined:
        sys.exit(1)


def _filters(doc_type, source, tag, date_from, date_to):
    from index.types import SearchFilters

    return SearchFilters(doc_types=tuple(doc_type), sources=tuple(source), tags=tuple(tag),
                         date_from=date_from or "", date_to=date_to or "")


@click.command()
@click.argument("question")
@click.option("-k", default=5, show_default=True, help="Number of passages.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid", show_default=True)
@click.option("--type", "doc_type", multiple=True, type=click.Choice(DOC_TYPES))
@click.option("--source", multiple=True)
@click.option("--tag", multiple=True)
@click.option("--from", "date_from", help="Published on or after YYYY-MM-DD.")
@click.option("--to", "date_to", help="Published on or before YYYY-MM-DD.")
@click.option("--exact", is_flag=True, help="Search the words as typed (no misspelling correction).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search(ctx, question, k, mode, doc_type, source, tag, date_from, date_to, exact, as_json):
    """Ranked, cited passages and an extractive answer (or an honest abstention) for a question."""
    result = open_kb(ctx).search(question, k=k, mode=mode, filters=_filters(doc_type, source, tag, date_from, date_to),
                                 exact=exact)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    if result.corrected_query:
        click.echo(f"Showing results for: {result.corrected_query}  (search instead for the words as typed: --exact)")
    if result.answer_status == "out_of_scope":
        click.echo("Not covered: the knowledge base does not appear to cover this topic. Nearest passages, probably "
                   "not relevant:\n")
    elif result.answer:
        click.echo(f"Answer (verbatim from the sources; confidence {result.confidence:.2f}):")
        for a in result.answer:
            h = result.hits[a.hit]
            lead = f"{a.context} … " if a.context else ""
            click.echo(f"  • {printable(lead + ' '.join(a.text.split()))} [{a.citation}] ({printable(h.title)}; "
                       f"{h.doc_type}; {h.date or 'undated'})")
        click.echo()
    elif result.hits:
        click.echo("No passage answers this directly; the closest sources:\n")
    for i, h in enumerate(result.hits, 1):
        where = " · ".join(x for x in (h.section, f"p. {h.page}" if h.page else "", h.source, h.date) if x)
        click.echo(click.style(f"[{i}] {printable(h.title)}", bold=True) + f"  ({printable(h.doc_type)}, "
                   f"score {h.score:.4f})")
        click.echo(f"    {printable(where)}")
        snippet = " ".join(h.text.split())
        click.echo(f"    {printable(snippet[:300])}{'…' if len(snippet) > 300 else ''}\n")
    if not result.hits:
        click.echo("No passages found.")


@click.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx, as_json):
    """Documents in the live generation with type, source and dates."""
    docs = open_kb(ctx).list_documents()
    if as_json:
        click.echo(json.dumps([d.to_dict(with_text=False) for d in docs]))
        return
    for d in docs:
        click.echo(f"{printable(d.doc_id):40} {printable(d.doc_type):10} {printable(d.source[:32]):32} "
                   f"published {printable(d.published) or '-':10} reviewed {printable(d.reviewed) or '-':10} "
                   f"{d.n_chunks:4} chunks")
    click.echo(f"{len(docs)} documents")


@click.command()
@click.argument("doc_ids", nargs=-1, required=True)
@click.pass_context
def remove(ctx, doc_ids):
    """Delete documents and their vectors."""
    kb = open_kb(ctx)
    for doc_id in doc_ids:
        gen = kb.remove(doc_id)
        click.echo(f"removed {doc_id}; live generation {gen}")


@click.command()
@click.pass_context
def reindex(ctx):
    """Rebuild everything from the stored documents into a new generation, published atomically."""
    progress = Progress(True)
    gen = open_kb(ctx).reindex(progress)
    progress.close()
    click.echo(f"published generation {gen}")


@click.command()
@click.pass_context
def rollback(ctx):
    """Serve the previous generation again."""
    click.echo(f"live generation is now {open_kb(ctx).rollback()}")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx, as_json):
    """The live generation and its counts."""
    stats = open_kb(ctx).stats()
    click.echo(json.dumps(stats) if as_json else
               f"generation {stats['generation']}: {stats['documents']} documents, {stats['chunks']} chunks")


COMMANDS = (ingest, search, list_, remove, reindex, rollback, status)
