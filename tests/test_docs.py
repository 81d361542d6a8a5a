"""The README documents every setting and command, and CI runs the README's test command."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kb_cli import cli
from kb_settings import SETTINGS_TABLE

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_readme():
    missing = [name for name, _, _ in SETTINGS_TABLE if f"`{name}`" not in README]
    assert not missing, f"README.md lacks settings {missing}"


def test_every_command_is_in_the_readme():
    missing = [name for name in cli.commands if f"kb {name}" not in README]
    assert not missing, f"README.md lacks commands {missing}"


def test_ci_runs_the_readme_test_command():
    assert "make test" in README and "make run" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_cli_help_runs_without_loading_anything():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0 and "ingest" in result.output


def test_make_run_installs_only_runtime_dependencies():
    """`make run` must not put playwright, locust, hypothesis... into the runtime environment; `make test` must."""
    import re
    import subprocess

    def recipe(target: str) -> str:
        out = subprocess.run(["make", "-n", "-B", "-f", str(ROOT / "Makefile"), target], cwd=ROOT,
                             capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "VENV": "/nonexistent"})
        assert out.returncode == 0, out.stderr
        return out.stdout

    run = recipe("run")
    installs = re.findall(r"pip install [^\n]*", run)
    assert any('-e .' in line for line in installs), installs
    assert not any("[test]" in line or "[eval]" in line for line in installs), installs
    assert "[test]" in recipe("test")
