-- ractor-session's SQLite schema, version 1: one row per session.
-- Applied in one transaction to a database whose `PRAGMA user_version` is 0; the last
-- statement records the version. Times are milliseconds since the Unix epoch.
CREATE TABLE IF NOT EXISTS ractor_sessions (
    id                   TEXT    NOT NULL PRIMARY KEY,
    session_type         TEXT    NOT NULL,
    format_version       INTEGER NOT NULL,
    state                BLOB    NOT NULL,
    idle_deadline_ms     INTEGER NOT NULL,
    absolute_deadline_ms INTEGER,
    -- the earlier of the two deadlines: what loads and the sweep compare with now
    expires_at_ms        INTEGER NOT NULL,
    updated_at_ms        INTEGER NOT NULL,
    -- fencing: raised by one on each claim; writes with a smaller epoch are refused
    epoch                INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS ractor_sessions_expires_at ON ractor_sessions (expires_at_ms);

PRAGMA user_version = 1;
