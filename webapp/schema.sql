-- Web app state in KB_HOME/webapp.db: accounts, physician feedback, curator audit log, background jobs.
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('physician', 'curator', 'admin')),
    created TEXT NOT NULL,
    -- signed into the session cookie; bumped by logout, password or role change, so old cookies stop working
    session_version INTEGER NOT NULL DEFAULT 0
);

-- Failed logins per account (keyed by a hash of the typed name, never the text): the back-off shared by workers.
CREATE TABLE IF NOT EXISTS login_failures (
    account TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    query_hash TEXT NOT NULL,
    query TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    chunk_id INTEGER NOT NULL,
    generation TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('helpful', 'not_helpful'))
);
CREATE INDEX IF NOT EXISTS feedback_doc ON feedback (doc_id, verdict);

CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    user TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    stage TEXT NOT NULL DEFAULT '',
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    result TEXT NOT NULL DEFAULT '',
    started TEXT NOT NULL,
    finished TEXT NOT NULL DEFAULT ''
);

-- API tokens for other services (an EMR): only a SHA-256 of the token is kept; scope 'read' = GET /api/* only.
CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL DEFAULT 'read' CHECK (scope IN ('read')),
    created TEXT NOT NULL,
    created_by TEXT NOT NULL,
    last_used TEXT NOT NULL DEFAULT '',
    revoked TEXT NOT NULL DEFAULT ''
);

-- Searches that found nothing or no answer, counted per day and status; never their text (see webapp/gaps.py).
CREATE TABLE IF NOT EXISTS search_gaps (
    day TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, status)
);

-- Question text of those searches, written only when KB_LOG_QUERIES=1.
CREATE TABLE IF NOT EXISTS search_gap_queries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    status TEXT NOT NULL,
    query TEXT NOT NULL
);
