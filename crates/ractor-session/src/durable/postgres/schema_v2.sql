-- ractor-session's PostgreSQL schema, version 2: the user a session is bound to.
-- Applied in one transaction (under the same advisory lock) after version 1, to a new
-- database or to one of version 1; it records the version. Rows written before have no
-- user.
ALTER TABLE ractor_sessions ADD COLUMN IF NOT EXISTS user_key text;

-- "log out everywhere" finds a user's rows without reading the others
CREATE INDEX IF NOT EXISTS ractor_sessions_user_key ON ractor_sessions (user_key)
    WHERE user_key IS NOT NULL;

UPDATE ractor_session_schema SET version = 2;
