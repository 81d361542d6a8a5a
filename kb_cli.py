"""The `kb` command's entry point (console script `kb = kb_cli:main`; `python kb_cli.py ...` works too).

The commands live in the kb_commands package, one module per area, registered on one click group.
"""
from __future__ import annotations

from kb_commands import cli, main

__all__ = ["cli", "main"]

if __name__ == "__main__":
    main()
