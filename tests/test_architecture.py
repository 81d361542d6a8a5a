"""The folders are the architecture: import-linter checks the layer and library contracts in `.importlinter`."""
import sys
from pathlib import Path

from importlinter import cli

ROOT = Path(__file__).resolve().parents[1]


def _lint(monkeypatch, where: Path) -> int:
    monkeypatch.chdir(where)
    monkeypatch.syspath_prepend(str(where))
    for name in [m for m in sys.modules if m.split(".")[0] in {"ingest", "index", "webapp"}]:
        monkeypatch.delitem(sys.modules, name)
    return cli.lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True)


def test_import_contracts_hold(monkeypatch, capsys):
    assert _lint(monkeypatch, ROOT) == cli.EXIT_STATUS_SUCCESS, capsys.readouterr().out


def test_contracts_catch_a_backward_import(monkeypatch, tmp_path, capsys):
    """A tiny tree where ingest imports webapp and webapp imports faiss must break two contracts."""
    for pkg, body in {"ingest": "import webapp\n", "index": "", "webapp": "import faiss\n"}.items():
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text(body)
    assert _lint(monkeypatch, tmp_path) == cli.EXIT_STATUS_ERROR
    out = capsys.readouterr().out
    assert "2 broken" in out
