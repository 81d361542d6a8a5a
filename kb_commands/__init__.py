"""The `kb` command: one click group; each module adds its commands, which parse arguments and call the library.

Errors: every library error derives from kb_errors.KBError, and `KBGroup` turns it into one `error:` line and a
non-zero exit (see common.py); commands never catch them one by one.
"""
from __future__ import annotations

from pathlib import Path

import click

from kb_settings import Settings

from . import admin, evaluate, library, privacy
from .common import KBGroup, Progress, printable

__all__ = ["cli", "main", "Progress", "printable"]


@click.group(cls=KBGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False, path_type=Path),
              help="Knowledge-base home directory [env KB_HOME; default kb-data in the project folder].")
@click.pass_context
def cli(ctx: click.Context, home: Path | None) -> None:
    """Practice Partner knowledge base: ingest, search, evaluate and serve."""
    ctx.obj = {"settings": Settings.from_env(home=home)}


for _module in (library, privacy, evaluate, admin):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    """The `kb` console script."""
    cli()
