"""The `kb` command: parses arguments, calls library functions, turns their errors into one-line messages."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kb_settings import SETTINGS_TABLE, Settings


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _kb(ctx: click.Context, create: bool = False):
    from index.kb import KnowledgeBase

    return KnowledgeBase(_existing(ctx) if not create else _settings(ctx))


def _existing(ctx: click.Context) -> Settings:
    """Settings of a KB that must already exist: a mistyped or relative KB_HOME must not create an empty one."""
    s = _settings(ctx)
    if not s.kb_exists():
        _fail(f"no knowledge base at {s.home.resolve()}: build one with `kb ingest PATH` (or `make run`), or point "
              "--home / KB_HOME at an existing one")
    return s


_BIDI = {0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def printable(text: object) -> str:
    """Text safe for a terminal: control characters (escape sequences, carriage returns, bidi overrides) from
    documents or file names are shown as \\x1b-style escapes instead of being obeyed."""
    out = []
    for ch in str(text):
        o = ord(ch)
        if o < 0x20 or 0x7F <= o < 0xA0 or o in _BIDI:
            out.append(f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {printable(message)}", err=True)
    sys.exit(code)


STAGE_WORDS = {"reading": "Reading and screening files", "chunking": "Chunking", "embedding": "Embedding passages",
               "vectors": "Building the vector index", "database": "Writing the passage database",
               "queries": "Scoring questions"}


class _Progress:
    """A tqdm bar per stage on a terminal; otherwise a line per stage and a count every `every` seconds.

    The plain lines go to stdout, so stderr still holds nothing but the one-line `error:` when a command fails.
    """

    def __init__(self, enabled: bool, tty: bool | None = None, every: float = 10.0):
        self.enabled = enabled
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.every = every
        self.bar = None
        self.stage = None
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if not self.tty:
            self._line(stage, done, total)
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=stage, unit="", leave=False, file=sys.stderr)
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def _line(self, stage: str, done: int, total: int) -> None:
        """Plain lines for logs and `make run > file`: the stage when it starts, then a periodic count."""
        import time

        now = time.monotonic()
        label = STAGE_WORDS.get(stage, stage.capitalize())
        if stage != self.stage:
            self.stage = stage
            self.last = now
            click.echo(f"{label} ..." + (f" {done} of {total}" if total else ""))
        elif now - self.last >= self.every or (total and done >= total):
            self.last = now
            click.echo(f"{label}: {done} of {total}" if total else f"{label}: {done}")
        sys.stdout.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _guard(fn):
    """Library errors become `error: ...` lines and a non-zero exit, never tracebacks."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from index.errors import KBError
        from ingest.errors import IngestError

        try:
            return fn(*args, **kwargs)
        except (KBError, IngestError) as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("interrupted", 130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), envvar="KB_HOME",
              help="Knowledge-base home directory [env KB_HOME; default kb-data in the project folder].")
@click.pass_context
def cli(ctx: click.Context, home: Path | None) -> None:
    """Practice Partner knowledge base: ingest, search, evaluate and serve."""
    ctx.obj = {"settings": Settings.from_env(home=home)}


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--type", "doc_type", type=click.Choice(["echo-case", "guideline", "other"]), help="Override doc type.")
@click.option("--source", help="Override source organisation.")
@click.option("--tag", "tags", multiple=True, help="Set topic tags (repeatable); replaces the file's tags.")
@click.option("--redact", is_flag=True, help="Ingest a redacted copy of files the privacy screen flags.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@_guard
def ingest(ctx, paths, doc_type, source, tags, redact, as_json):
    """Add or update documents from files and folders (recursively)."""
    progress = _Progress(not as_json)
    report = _kb(ctx, create=True).ingest_paths(list(paths), {"doc_type": doc_type, "source": source, "tags": list(tags)},
                                   progress, redact=redact)
    progress.close()
    for f in report.files:
        if f.status in ("failed", "quarantined", "skipped"):
            click.echo(printable(f"{f.status}: {f.path}: {f.reason}"), err=True)
    if as_json:
        click.echo(json.dumps(report.summary_dict()))
    else:
        s = report.summary_dict()
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


@cli.command()
@click.argument("question")
@click.option("-k", default=5, show_default=True, help="Number of passages.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid", show_default=True)
@click.option("--type", "doc_type", multiple=True, type=click.Choice(["echo-case", "guideline", "other"]))
@click.option("--source", multiple=True)
@click.option("--tag", multiple=True)
@click.option("--from", "date_from", help="Published on or after YYYY-MM-DD.")
@click.option("--to", "date_to", help="Published on or before YYYY-MM-DD.")
@click.option("--exact", is_flag=True, help="Search the words as typed (no misspelling correction).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def search(ctx, question, k, mode, doc_type, source, tag, date_from, date_to, exact, as_json):
    """Ranked, cited passages and an extractive answer (or an honest abstention) for a question."""
    result = _kb(ctx).search(question, k=k, mode=mode, filters=_filters(doc_type, source, tag, date_from, date_to),
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
            click.echo(f"  • {printable(lead + ' '.join(a.text.split()))} [{a.citation}] ({printable(h.title)}; {h.doc_type}; {h.date or 'undated'})")
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


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def list_(ctx, as_json):
    """Documents in the live generation with type, source and dates."""
    docs = _kb(ctx).list_documents()
    if as_json:
        click.echo(json.dumps([d.to_dict(with_text=False) for d in docs]))
        return
    for d in docs:
        click.echo(f"{printable(d.doc_id):40} {printable(d.doc_type):10} {printable(d.source[:32]):32} "
                   f"published {printable(d.published) or '-':10} reviewed {printable(d.reviewed) or '-':10} "
                   f"{d.n_chunks:4} chunks")
    click.echo(f"{len(docs)} documents")


@cli.command()
@click.argument("doc_ids", nargs=-1, required=True)
@click.pass_context
@_guard
def remove(ctx, doc_ids):
    """Delete documents and their vectors."""
    kb = _kb(ctx)
    for doc_id in doc_ids:
        gen = kb.remove(doc_id)
        click.echo(f"removed {doc_id}; live generation {gen}")


@cli.command()
@click.pass_context
@_guard
def reindex(ctx):
    """Rebuild everything from the stored documents into a new generation, published atomically."""
    progress = _Progress(True)
    gen = _kb(ctx).reindex(progress)
    progress.close()
    click.echo(f"published generation {gen}")


@cli.command()
@click.pass_context
@_guard
def rollback(ctx):
    """Serve the previous generation again."""
    click.echo(f"live generation is now {_kb(ctx).rollback()}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def status(ctx, as_json):
    """The live generation and its counts."""
    stats = _kb(ctx).stats()
    click.echo(json.dumps(stats) if as_json else
               f"generation {stats['generation']}: {stats['documents']} documents, {stats['chunks']} chunks")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def screen(ctx, paths, as_json):
    """Check files for patient identifiers without ingesting them (exit 0 clean, 1 blocked, 2 errors)."""
    from ingest.privacy import Allowlist, ScreenConfig
    from ingest.sandbox import ParserPool
    from ingest.screening import screen_files, where

    s = _settings(ctx)
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


@cli.group()
def quarantine():
    """Files the privacy screen held back: list, release after review, or drop."""


@quarantine.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def quarantine_list(ctx, as_json):
    """Held files with their masked findings."""
    from ingest.screening import where

    items = _kb(ctx).quarantine_list()
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
@_guard
def quarantine_release(ctx, qid, redact):
    """Ingest a held file after review (as is, or redacted)."""
    report = _kb(ctx).release(qid, redact=redact)
    click.echo(f"released #{qid}: {report.documents} document(s) stored, {report.chunks_embedded} chunks embedded")


@quarantine.command(name="drop")
@click.argument("qid", type=int)
@click.pass_context
@_guard
def quarantine_drop(ctx, qid):
    """Discard a held file."""
    _kb(ctx).drop_quarantined(qid)
    click.echo(f"dropped #{qid}")


@cli.command(name="eval")
@click.option("--beir", "beir_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv). Default: corpus/ questions.")
@click.option("--split", default=None,
              help="BEIR: which qrels file (default test). Corpus: all (default), dev or held-back.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid", show_default=True)
@click.option("--fusion", type=click.Choice(["convex-prf", "convex", "rrf"]), default="convex-prf", show_default=True,
              help="How hybrid mode fuses the legs (the product uses convex-prf; others for comparison).")
@click.option("--corpus", "corpus_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("corpus"), show_default=True, help="The corpus whose eval/ question set is scored.")
@click.option("--answers", is_flag=True, help="Score the Answer box (answer@1, answer@3, abstention) on the corpus "
              "answer sets (corpus/eval/answers.jsonl, out_of_scope.jsonl) instead of retrieval.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def eval_(ctx, beir_dir, split, mode, fusion, corpus_dir, answers, as_json):
    """nDCG@10, recall and MRR of retrieval on a judged question set (builds or reuses its own KB)."""
    from dataclasses import replace

    from index.evaluate import beir_set, cache_home, corpus_set, run
    from index.kb import KnowledgeBase

    settings = _settings(ctx)
    if answers:
        from index import answer_eval

        if beir_dir:
            _fail("--answers scores the corpus answer sets; it does not take --beir", 2)
        if (split or "dev") not in answer_eval.SPLITS:
            _fail(f"the answer sets have splits {', '.join(answer_eval.SPLITS)}, not {split!r}", 2)
        home = cache_home(settings.eval_cache, corpus_set(corpus_dir, "all"))
        progress = _Progress(sys.stderr.isatty())
        result = answer_eval.run(KnowledgeBase(replace(settings, home=home)), corpus_dir, split or "dev",
                                 progress=progress)
        progress.close()
        if as_json:
            click.echo(json.dumps(result))
        else:
            click.echo(f"answer sets, split {result['split']} ({result['answerable']} answerable, "
                       f"{result['out_of_scope']} out of scope, {result['no_direct_answer']} unanswered in scope)")
            for key in ("answer@1", "answer@3", "empty_answers", "wrongly_abstained", "out_of_scope_recall",
                        "no_direct_answer_precision", "no_direct_answer_abstained"):
                click.echo(f"  {key:28} {result[key]}")
        return
    try:
        es = beir_set(beir_dir, split or "test") if beir_dir else corpus_set(corpus_dir, split or "all")
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc), 2)
    home = cache_home(settings.eval_cache, es)
    progress = _Progress(not as_json)
    result = run(KnowledgeBase(replace(settings, home=home)), es, mode, progress=progress, fusion=fusion)
    progress.close()
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(f"{result['set']} ({mode}, {result['queries']} queries, KB in {home})")
        for key in ("ndcg@10", "recall@5", "recall@10", "recall@100", "mrr@10", "mean_latency_ms"):
            click.echo(f"  {key:16} {result[key]}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=int, help="Worker processes [env KB_WORKERS].")
@click.option("--threads", type=int, help="Threads per worker [env KB_THREADS].")
@click.pass_context
@_guard
def serve(ctx, host, port, workers, threads):
    """Serve the web app and JSON API under gunicorn."""
    from dataclasses import replace

    from webapp import port_problem, public_url
    from webapp import serve as run_server

    s = _existing(ctx)
    s = replace(s, workers=workers or s.workers, threads=threads or s.threads)
    problem = port_problem(host, port)
    if problem:
        _fail(problem)

    def announce(message: str) -> None:
        click.echo(message)
        sys.stdout.flush()

    from webapp.users import list_users

    if not any(u["role"] in ("curator", "admin") for u in list_users(s)):
        click.echo("No curator account yet: create the first one with `kb users add NAME --role admin` "
                   "(from the project folder: .venv/bin/kb users add NAME --role admin).")
    click.echo(f"Starting Practice Partner on {public_url(host, port)} (KB {s.home}, {s.workers} worker(s) x "
               f"{s.threads} threads); loading the model and index, \"ready\" follows when it answers ...")
    sys.stdout.flush()
    run_server(s, host, port, announce)


@cli.group()
def users():
    """Curator and admin accounts for the web app."""


@users.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(["physician", "curator", "admin"]), default="physician", show_default=True,
              help="physician: may search when KB_REQUIRE_LOGIN=1; curator: also uploads, edits and deletes "
                   "documents; admin: also the audit log and API tokens.")
@click.option("--password", envvar="KB_NEW_PASSWORD", help="Prompted (hidden); or from KB_NEW_PASSWORD for scripts.")
@click.pass_context
@_guard
def users_add(ctx, name, role, password):
    """Create an account, or reset its password and role (least privilege by default: physician)."""
    from webapp.users import UserError, add_user

    settings = _existing(ctx)  # before the prompt: a wrong KB_HOME fails at once
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        add_user(settings, name, password, role)
    except UserError as exc:
        _fail(str(exc))
    click.echo(f"user {name} ({role}) saved in {settings.home}")


@users.command(name="list")
@click.pass_context
@_guard
def users_list(ctx):
    """Accounts and their roles."""
    from webapp.users import list_users

    for u in list_users(_existing(ctx)):
        click.echo(f"{u['name']:24} {u['role']}")


@users.command(name="remove")
@click.argument("name")
@click.pass_context
@_guard
def users_remove(ctx, name):
    """Delete an account."""
    from webapp.users import remove_user

    if not remove_user(_existing(ctx), name):
        _fail(f"no user named {name!r}")
    click.echo(f"user {name} removed")


@cli.group()
def tokens():
    """Read-only API tokens for other services (an EMR); only a hash is stored."""


@tokens.command(name="add")
@click.argument("name")
@click.pass_context
@_guard
def tokens_add(ctx, name):
    """Create a read-only API token; it is printed once and cannot be shown again."""
    from webapp.tokens import TokenError, create_token, open_db

    conn = open_db(_existing(ctx))
    try:
        token_id, token = create_token(conn, name, "cli")
    except TokenError as exc:
        _fail(str(exc))
    finally:
        conn.close()
    click.echo(f"token #{token_id} ({name}, read-only). Copy it now, it is not stored and will not be shown again:")
    click.echo(token)


@tokens.command(name="list")
@click.pass_context
@_guard
def tokens_list(ctx):
    """API tokens with their scope, dates and state (never the token itself)."""
    from webapp.tokens import list_tokens, open_db

    conn = open_db(_existing(ctx))
    try:
        rows = list_tokens(conn)
    finally:
        conn.close()
    for t in rows:
        state = f"revoked {t['revoked']}" if t["revoked"] else f"last used {t['last_used'] or 'never'}"
        click.echo(f"#{t['id']:<4} {t['name']:24} {t['scope']:5} created {t['created']} by {t['created_by']}; {state}")
    if not rows:
        click.echo("no API tokens")


@tokens.command(name="revoke")
@click.argument("token_id", type=int)
@click.pass_context
@_guard
def tokens_revoke(ctx, token_id):
    """Revoke a token by its number; requests with it get 401 at once."""
    from webapp.tokens import TokenError, open_db, revoke_token

    conn = open_db(_existing(ctx))
    try:
        name = revoke_token(conn, token_id)
    except TokenError as exc:
        _fail(str(exc))
    finally:
        conn.close()
    click.echo(f"token #{token_id} ({name}) revoked")


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def bench(ctx):
    """Speed figures: latency vs. floor at several sizes, ingest throughput, memory, index size (see BENCHMARKS.md).

    Options are those of benchmarks/bench.py: --sizes 1000,10000,100000 --queries N --json --skip-http ...
    """
    import importlib.util

    path = Path(__file__).resolve().parent / "benchmarks" / "bench.py"
    if not path.exists():
        _fail("benchmarks/bench.py is missing: run `kb bench` from a source checkout")
    spec = importlib.util.spec_from_file_location("kb_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.exit(module.main(ctx.args))


@cli.command()
def settings():
    """Every setting, its environment variable and default."""
    for name, default, meaning in SETTINGS_TABLE:
        click.echo(f"{name:22} {default:40} {meaning}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
