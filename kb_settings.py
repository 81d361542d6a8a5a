"""The one place configuration is defined and read: each setting's name, type, default and help, once.

Each field of `Settings` is a row of the table: its name, its type (the annotation), its default, and in its
metadata the help text and how the README shows the default. The environment variable is `KB_` + the name in
capitals. Everything else is derived from those rows: `Settings.from_env`, the `SETTINGS` table, `kb settings`
and the README's settings table (a test checks the README carries exactly `settings_markdown()`).
No other module reads the environment.
"""
from __future__ import annotations

import os
import re
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from kb_errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
# The rate-limit grammar flask-limiter accepts ("120/minute", "10 per hour", "1/second;100/day"); "off" disables.
_RATE = re.compile(r"\s*\d+\s*(?:/|per)\s*(?:\d+\s*)?(?:second|minute|hour|day|month|year)s?\s*", re.IGNORECASE)
_RATE_OFF = ("off", "none", "0")


def _row(default: Any, help: str, *, shown: str = "", choices: tuple[str, ...] = (), minimum: float | None = None,
         secret: bool = False, rate: bool = False) -> Any:
    """One row of the settings table, as a dataclass field (`shown`: the default as the README words it)."""
    return field(default=default, metadata={"help": help, "shown": shown, "choices": choices, "minimum": minimum,
                                            "secret": secret, "rate": rate})


@dataclass(frozen=True)
class Settings:
    """Every tunable of the product, resolved once and passed down explicitly."""

    home: Path = _row(Path("kb-data"), "Knowledge-base home: catalogue, generations, web app state. A relative "
                      "value is taken from the current folder.", shown="`kb-data` in the project folder")
    model: str = _row("", "Local sentence-transformers model directory used for embeddings.",
                      shown="packaged all-MiniLM-L6-v2")
    max_tokens: int = _row(256, "Largest chunk in the model's word pieces, special tokens included (never above "
                           "the model's limit).", minimum=16)
    overlap_tokens: int = _row(32, "Word pieces of overlap between consecutive chunks of one section.", minimum=0)
    max_file_mb: int = _row(50, "Largest file ingest (and the web upload) accepts, in megabytes.", minimum=1)
    parse_timeout: float = _row(60.0, "Seconds one file may take to parse before it is abandoned.", shown="`60`",
                                minimum=1)
    parse_memory_mb: int = _row(1024, "Address-space limit of the parser subprocess, in megabytes.", minimum=64)
    vocab: str = _row("", "Abbreviation and synonym table used for query expansion.",
                      shown="`index/data/vocabulary.yaml`")
    privacy_allowlist: str = _row("", "Curator-maintained strings the privacy screen accepts (an organisation's "
                                  "public phone number or address), one per line.",
                                  shown="`$KB_HOME/privacy-allowlist.txt`")
    privacy_patterns: str = _row("", "Site-specific medical-record-number patterns, one regex per line (checked "
                                 "when settings are read: a missing file or a bad regex is an error).",
                                 shown="`ingest/privacy/data/mrn_patterns.txt`")
    keep_generations: int = _row(3, "Published generations kept on disk for rollback.", minimum=1)
    shared_db_dir: str = _row("", "RAM directory where the verified copy of the live generation's `chunks.db` is "
                              "kept once per host and mapped by every worker (named by its checksum; removed when "
                              "no process uses it). `off`, or a directory that is missing or too small: each "
                              "process holds its own copy in memory.", shown="`/dev/shm`")
    hnsw_threshold: int = _row(50000, "Chunk count from which the vector index is HNSW instead of exact search.",
                               minimum=1)
    build_threads: int = _row(0, "OpenMP threads that build an HNSW vector index (KBs of `KB_HNSW_THRESHOLD` chunks "
                              "or more): `0` uses every core (about 2 x faster on 2 cores); `1` leaves a core to the "
                              "searches served while a large re-index runs.", minimum=0)
    require_login: bool = _row(False, "`1`: physicians must log in to search.")
    secret_key: str = _row("", "Flask session signing key.", shown="generated into `$KB_HOME/secret_key`",
                           secret=True)
    log_queries: bool = _row(False, "`1`: log query text and keep it with physicians' feedback (off by default for "
                             "privacy: feedback then keeps only a hash of the question).")
    eval_cache: Path = _row(Path("~/.cache/practice-partner/eval"), "Where `kb eval` keeps the knowledge bases it "
                            "builds.")
    search_rate_limit: str = _row("120/minute", "Searches per client address (page and API); `off` disables (e.g. "
                                  "behind a proxy that limits per user).", rate=True)
    torch_threads: int = _row(1, "Threads the encoder (torch or ONNX Runtime) uses, and FAISS's OpenMP threads for "
                              "a search; 1 is fastest for concurrent single queries on 2 cores (see BENCHMARKS.md).",
                              minimum=1)
    parallel_legs: bool = _row(True, "Run a search's keyword leg on a second thread while the question is encoded "
                               "(lower latency when a core is free); `0` runs the legs one after the other.")
    onnx_cache: str = _row("~/.cache/practice-partner/onnx", "Where the model's ONNX export is made once per machine "
                           "(the first write needs torch for it); each KB home gets a hard link (or copy) under "
                           "`KB_HOME/models/`. `off`: export into every KB home.")
    query_encoder: str = _row("auto", "What encodes questions: `auto` (the KB's ONNX int8 export when present, else "
                              "torch), `onnx-int8`, `onnx-fp32`, `torch`. With an export present, `kb search` and "
                              "`kb serve` never import torch.", choices=("auto", "onnx-int8", "onnx-fp32", "torch"))
    workers: int = _row(2, "gunicorn worker processes for `kb serve` (measured best on 2 cores; see below).",
                        minimum=1)
    threads: int = _row(2, "Threads per worker for `kb serve`.", minimum=1)
    keepalive: int = _row(0, "Seconds `kb serve` keeps an idle HTTP connection open for the client's next request. "
                          "`0` closes it after each response, so connections spread over every worker (kept open, "
                          "a burst of clients stays on the worker that accepted it first); behind a proxy that "
                          "reuses connections, a few seconds saves a TCP handshake.", minimum=0)
    behind_tls: bool = _row(False, "`1`: the app is served over HTTPS (behind a TLS proxy), so session cookies are "
                            "marked `Secure`.")
    session_hours: float = _row(12.0, "How long a login lasts (a clinic day); logging out, a password or role "
                                "change, or removing the account ends every session of that account at once.",
                                shown="`12`", minimum=0.01)
    feedback_rate_limit: str = _row("30/minute", "\"Helpful / not helpful\" posts per client address; `off` "
                                    "disables.", rate=True)
    proxy_hops: int = _row(0, "Number of reverse proxies in front of `kb serve` whose `X-Forwarded-For`, `-Proto` "
                           "and `-Host` are trusted (client address for rate limits, `https` links).", minimum=0)
    # Where each value came from ("default", "environment" or "option"); not a setting itself.
    origins: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Read the environment (or `environ`) and check every value; explicit overrides (CLI options) win.

        Raises ConfigError naming the variable when a value cannot be used, so no command ends in a traceback.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        origins: dict[str, str] = {}
        for spec in SETTINGS:
            raw = env.get(spec.env, "")
            if raw.strip():
                values[spec.name], origins[spec.name] = spec.parse(raw), "environment"
            else:
                values[spec.name], origins[spec.name] = spec.default_value(), "default"
        for name, value in overrides.items():
            if value is None:
                continue
            spec = SPEC_BY_NAME.get(name)
            if spec is None:
                raise TypeError(f"no setting named {name!r}")
            values[name], origins[name] = (spec.coerce(value) if spec.type is Path else value), "option"
        settings = cls(**values, origins=origins)
        settings.check()
        return settings

    def check(self) -> None:
        """Checks that need more than the value's type: the site MRN patterns file must exist and compile."""
        if self.privacy_patterns:
            check_patterns_file(Path(self.privacy_patterns).expanduser())

    def origin(self, name: str) -> str:
        """Where the value of setting `name` came from: default, environment or option."""
        return self.origins.get(name, "default")

    def kb_exists(self) -> bool:
        """Whether home already holds a knowledge base (a catalogue, a published generation or web app state)."""
        return any((self.home / name).exists() for name in ("catalog.db", "CURRENT", "webapp.db"))

    @property
    def allowlist_path(self) -> Path:
        return Path(self.privacy_allowlist) if self.privacy_allowlist else self.home / "privacy-allowlist.txt"


def default_home() -> Path:
    """kb-data beside the project (so `kb` run from another folder finds the same KB), else in the working folder."""
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return PROJECT_ROOT / "kb-data"
    return Path("kb-data")


def check_patterns_file(path: Path) -> None:
    """KB_PRIVACY_PATTERNS must name a readable file whose non-comment lines are valid regular expressions.

    A mistyped path would otherwise switch the site's record-number patterns off without a word.
    """
    where = f"KB_PRIVACY_PATTERNS={str(path)!r}"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeError) as exc:
        raise ConfigError(f"{where}: cannot read the pattern file ({getattr(exc, 'strerror', None) or exc})") from None
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            re.compile(line)
        except re.error as exc:
            raise ConfigError(f"{where}: line {no} is not a valid regular expression ({exc})") from None


@dataclass(frozen=True)
class Setting:
    """One row of the settings table, read from the fields of `Settings`."""

    name: str
    type: type
    default: Any
    help: str
    shown: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    secret: bool = False
    rate: bool = False

    @property
    def env(self) -> str:
        return "KB_" + self.name.upper()

    def default_value(self) -> Any:
        """The default in force (the KB home depends on where the project is)."""
        return default_home() if self.name == "home" else self.coerce(self.default)

    def coerce(self, value: Any) -> Any:
        return Path(value).expanduser() if self.type is Path else value

    def parse(self, raw: str) -> Any:
        """The environment's text as this setting's type, or a ConfigError naming the variable and the fix."""
        text = raw.strip()
        if self.type is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ConfigError(f"{self.env}={raw!r} is not a yes/no value: use 1 or 0")
        if self.type in (int, float):
            try:
                value = self.type(text)
            except ValueError:
                kind = "a whole number" if self.type is int else "a number"
                raise ConfigError(f"{self.env}={raw!r} is not {kind} (default {self.default})") from None
            if self.minimum is not None and value < self.minimum:
                raise ConfigError(f"{self.env}={raw!r} is below the smallest allowed value, {self.minimum:g}")
            return value
        if self.choices and text not in self.choices:
            raise ConfigError(f"{self.env}={raw!r} must be one of {', '.join(self.choices)}")
        rates = re.split(r"[;,|]", text)
        if self.rate and text.lower() not in _RATE_OFF and not all(_RATE.fullmatch(r) for r in rates):
            raise ConfigError(f"{self.env}={raw!r} is not a rate such as 120/minute or 10 per hour (or off)")
        return self.coerce(text)

    def shown_default(self) -> str:
        """The default as the README and `kb settings` word it."""
        if self.shown:
            return self.shown
        if self.type is bool:
            return "`1`" if self.default else "`0`"
        return f"`{self.default}`"


def _table() -> tuple[Setting, ...]:
    hints = typing.get_type_hints(Settings)
    return tuple(Setting(name=f.name, type=hints[f.name], default=f.default, help=f.metadata["help"],
                         shown=f.metadata["shown"], choices=f.metadata["choices"], minimum=f.metadata["minimum"],
                         secret=f.metadata["secret"], rate=f.metadata["rate"])
                 for f in fields(Settings) if "help" in f.metadata)


SETTINGS: tuple[Setting, ...] = _table()
SPEC_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
# (environment variable, default as shown, help): the shape the README test and older callers use.
SETTINGS_TABLE: list[tuple[str, str, str]] = [(s.env, s.shown_default(), s.help) for s in SETTINGS]


def settings_markdown() -> str:
    """The README's settings table, derived from the table above (tests/test_settings.py checks the README)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| `{s.env}` | {s.shown_default()} | {s.help} |" for s in SETTINGS]
    return "\n".join(lines)


def settings_in_force(settings: Settings) -> list[tuple[str, str, str]]:
    """(variable, value, origin) for every setting, for `kb settings`; a secret's value is never shown."""
    out = []
    for s in SETTINGS:
        value = getattr(settings, s.name)
        if s.secret:
            shown = "(set)" if value else "(unset)"
        elif s.name == "privacy_allowlist":
            shown = str(settings.allowlist_path)
        elif value == "" and s.shown:
            shown = s.shown.replace("`", "")
        elif isinstance(value, bool):
            shown = "1" if value else "0"
        else:
            shown = str(value)
        out.append((s.env, shown, settings.origin(s.name)))
    return out


def crash_stage() -> str:
    """Test hook (KB_TEST_CRASH_AT=STAGE kills a writer at that publishing stage); read here like every setting."""
    return os.environ.get("KB_TEST_CRASH_AT", "")


# Names other modules use with `replace(settings, ...)`.
__all__ = ["Settings", "Setting", "SETTINGS", "SETTINGS_TABLE", "ConfigError", "default_home", "settings_markdown",
           "settings_in_force", "crash_stage"]
