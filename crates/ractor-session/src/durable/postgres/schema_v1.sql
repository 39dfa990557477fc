-- ractor-session's PostgreSQL schema, version 1: one row per session.
-- Applied in one transaction (under an advisory lock, so that nodes starting together
-- do not race) when `ractor_session_schema` is missing; it records the version.
-- Times are milliseconds since the Unix epoch.
CREATE TABLE IF NOT EXISTS ractor_session_schema (
    version integer NOT NULL
);

CREATE TABLE IF NOT EXISTS ractor_sessions (
    id                   text    NOT NULL PRIMARY KEY,
    session_type         text    NOT NULL,
    format_version       bigint  NOT NULL,
    state                bytea   NOT NULL,
    idle_deadline_ms     bigint  NOT NULL,
    absolute_deadline_ms bigint,
    -- the earlier of the two deadlines: what loads and the sweep compare with now
    expires_at_ms        bigint  NOT NULL,
    updated_at_ms        bigint  NOT NULL,
    -- fencing: raised by one on each claim; writes with a smaller epoch are refused
    epoch                bigint  NOT NULL
);

CREATE INDEX IF NOT EXISTS ractor_sessions_expires_at ON ractor_sessions (expires_at_ms);

INSERT INTO ractor_session_schema (version)
SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM ractor_session_schema);
