"""`kb screen` and `kb quarantine`: the privacy screen without ingesting, and the files it held back."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import open_kb, printable, settings_of


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def screen(ctx, paths, as_json):
    """Check files for patient identifiers without ingesting them (exit 0 clean, 1 blocked, 2 errors)."""
    from ingest.privacy import Allowlist, ScreenConfig
    from ingest.sandbox import ParserPool
    from ingest.screening import screen_files, where

    s = settings_of(ctx)
    config = ScreenConfig.load(Path(s.privacy_patterns) if s.privacy_patterns else None)
    with ParserPool(s.parse_timeout, s.parse_memory_mb, s.max_file_mb * 1024 * 1024) as pool:
        results = screen_files(list(paths), pool, Allowlist.load(s.allowlist_path), config)
    if as_json:
        click.echo(json.dumps(results))
    else:
        for r in results:
            if r["verdict"] == "error":
                click.echo(f"error    {printable(r['path'])}: {printable(r['error'])}")
                continue
            click.echo(f"{r['verdict']:8} {printable(r['path'])}")
            for f in r["findings"]:
                click.echo(f"         {f['kind']:12} {where(f):18} offsets {f['start']}-{f['end']}  {f['masked']}")
    if any(r["verdict"] == "error" for r in results):
        sys.exit(2)
    sys.exit(1 if any(r["verdict"] == "blocked" for r in results) else 0)


@click.group()
def quarantine():
    """Files the privacy screen held back: list, release after review, or drop."""


@quarantine.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def quarantine_list(ctx, as_json):
    """Held files with their masked findings."""
    from ingest.screening import where

    items = open_kb(ctx).quarantine_list()
    if as_json:
        click.echo(json.dumps(items))
        return
    for q in items:
        click.echo(f"#{q['qid']} {printable(q['filename'])}: {len(q['reasons'])} finding(s)")
        for f in q["reasons"]:
            click.echo(f"    {f['kind']:12} {where(f):18} {f['masked']}")
    if not items:
        click.echo("nothing in quarantine")


@quarantine.command(name="release")
@click.argument("qid", type=int)
@click.option("--redact", is_flag=True, help="Ingest a copy with each finding replaced by its kind, e.g. [PHONE].")
@click.pass_context
def quarantine_release(ctx, qid, redact):
    """Ingest a held file after review (as is, or redacted)."""
    report = open_kb(ctx).release(qid, redact=redact)
    click.echo(f"released #{qid}: {report.documents} document(s) stored, {report.chunks_embedded} chunks embedded")


@quarantine.command(name="drop")
@click.argument("qid", type=int)
@click.pass_context
def quarantine_drop(ctx, qid):
    """Discard a held file."""
    open_kb(ctx).drop_quarantined(qid)
    click.echo(f"dropped #{qid}")


COMMANDS = (screen, quarantine)
