"""What every `kb` command shares: the one place library errors become an `error:` line, the KB it works on,
terminal-safe text and progress output."""
from __future__ import annotations

import sys
import time
from typing import Any, NoReturn

import click

from kb_errors import KBError
from kb_settings import Settings

STAGE_WORDS = {"reading": "Reading and screening files", "chunking": "Chunking", "embedding": "Embedding passages",
               "vectors": "Building the vector index", "database": "Writing the passage database",
               "queries": "Scoring questions"}
_BIDI = {0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


class KBGroup(click.Group):
    """The `kb` group: any KBError raised below it (bad settings included) ends as one `error:` line, no traceback.

    Sub-groups (quarantine, users, tokens) run inside this group's invoke, so this is the only translation.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KBError as exc:
            fail(exc.message)
        except KeyboardInterrupt:
            fail("interrupted", 130)


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


def fail(message: str, code: int = 1) -> NoReturn:
    """The one way a command reports a problem: `error: ...` on stderr and a non-zero exit."""
    click.echo(f"error: {printable(message)}", err=True)
    sys.exit(code)


def settings_of(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def existing(ctx: click.Context) -> Settings:
    """Settings of a KB that must already exist: a mistyped or relative KB_HOME must not create an empty one."""
    s = settings_of(ctx)
    if not s.kb_exists():
        raise KBError(f"no knowledge base at {s.home.resolve()}: build one with `kb ingest PATH` (or `make run`), or "
                      "point --home / KB_HOME at an existing one", status=404)
    return s


def open_kb(ctx: click.Context, create: bool = False) -> Any:
    """The KnowledgeBase of --home / KB_HOME (imported here: `kb --help` loads nothing heavy)."""
    from index.kb import KnowledgeBase

    return KnowledgeBase(settings_of(ctx) if create else existing(ctx))


class Progress:
    """A tqdm bar per stage on a terminal; otherwise a line per stage and a count every `every` seconds.

    The plain lines go to stdout, so stderr still holds nothing but the one-line `error:` when a command fails.
    """

    def __init__(self, enabled: bool, tty: bool | None = None, every: float = 10.0):
        self.enabled = enabled
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.every = every
        self.bar: Any = None
        self.stage: str | None = None
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
