"""Settings are defined once: parsing, checking, provenance and the README table all come from one table."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from kb_errors import ConfigError, KBError
from kb_settings import SETTINGS, Settings, settings_in_force, settings_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_every_field_of_settings_is_a_row_of_the_table():
    rows = {s.name for s in SETTINGS}
    assert rows == {f.name for f in fields(Settings)} - {"origins"}
    assert all(s.env == "KB_" + s.name.upper() and s.help for s in SETTINGS)


def test_defaults_come_from_the_table(tmp_path):
    s = Settings.from_env(environ={}, home=tmp_path)
    assert (s.max_tokens, s.parse_timeout, s.require_login, s.query_encoder) == (256, 60.0, False, "auto")
    assert s.origin("max_tokens") == "default" and s.origin("home") == "option"


def test_environment_values_are_typed_and_their_origin_recorded(tmp_path):
    env = {"KB_MAX_TOKENS": " 128 ", "KB_LOG_QUERIES": "1", "KB_SESSION_HOURS": "1.5", "KB_EVAL_CACHE": "~/e",
           "KB_HOME": str(tmp_path)}
    s = Settings.from_env(environ=env)
    assert (s.max_tokens, s.log_queries, s.session_hours) == (128, True, 1.5)
    assert s.eval_cache == Path("~/e").expanduser() and s.home == tmp_path
    assert s.origin("max_tokens") == "environment" and s.origin("overlap_tokens") == "default"


@pytest.mark.parametrize("name, value, words", [
    ("KB_MAX_TOKENS", "abc", "not a whole number"),
    ("KB_SESSION_HOURS", "twelve", "not a number"),
    ("KB_REQUIRE_LOGIN", "maybe", "use 1 or 0"),
    ("KB_WORKERS", "0", "smallest allowed"),
    ("KB_QUERY_ENCODER", "gpu", "must be one of"),
    ("KB_SEARCH_RATE_LIMIT", "120/fortnight", "not a rate"),
])
def test_a_bad_value_is_a_config_error_naming_the_variable(name, value, words):
    with pytest.raises(ConfigError) as info:
        Settings.from_env(environ={name: value})
    assert name in str(info.value) and words in str(info.value)
    assert isinstance(info.value, KBError)


def test_a_bad_privacy_pattern_or_a_missing_pattern_file_is_a_config_error(tmp_path):
    patterns = tmp_path / "mrn.txt"
    patterns.write_text("# site patterns\n\\bSMH-\\d{6}\\b\nMRN-(?P<id>\\d+\n")
    with pytest.raises(ConfigError, match=r"KB_PRIVACY_PATTERNS=.*line 3"):
        Settings.from_env(environ={"KB_PRIVACY_PATTERNS": str(patterns)})
    with pytest.raises(ConfigError, match="cannot read"):
        Settings.from_env(environ={"KB_PRIVACY_PATTERNS": str(tmp_path / "missing.txt")})
    patterns.write_text("\\bSMH-\\d{6}\\b\n")
    assert Settings.from_env(environ={"KB_PRIVACY_PATTERNS": str(patterns)}).privacy_patterns == str(patterns)


def test_settings_in_force_never_show_the_secret_key(tmp_path):
    s = Settings.from_env(environ={"KB_SECRET_KEY": "hunter2-very-secret", "KB_WORKERS": "3"}, home=tmp_path)
    rows = {name: (value, origin) for name, value, origin in settings_in_force(s)}
    assert rows["KB_SECRET_KEY"] == ("(set)", "environment")
    assert rows["KB_WORKERS"] == ("3", "environment") and rows["KB_HOME"] == (str(tmp_path), "option")
    assert "hunter2" not in repr(rows)


def test_the_readme_settings_table_is_the_derived_one():
    assert settings_markdown() in (ROOT / "README.md").read_text(), \
        "README.md's settings table differs from kb_settings: paste `python -c 'import kb_settings; " \
        "print(kb_settings.settings_markdown())'` into it"


def test_no_product_module_reads_the_environment():
    """Only kb_settings reads os.environ (writes for libraries, such as HF_HUB_OFFLINE, are allowed)."""
    import re

    reads = re.compile(r"os\.environ\.get\(|os\.environ\[[^]]+\](?!\s*=)|os\.getenv\(")
    offenders = []
    for folder in ("ingest", "index", "webapp", "cli"):
        for path in (ROOT / folder).rglob("*.py"):
            for no, line in enumerate(path.read_text().splitlines(), 1):
                if reads.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{no}")
    for name in ("kb_cli.py", "kb_errors.py"):
        if reads.search((ROOT / name).read_text()):
            offenders.append(name)
    assert not offenders, offenders
