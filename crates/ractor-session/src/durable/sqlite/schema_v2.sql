-- ractor-session's SQLite schema, version 2: the user a session is bound to.
-- Applied in one transaction after version 1 (to a new file, or to a file of version 1);
-- the last statement records the version. Rows written before have no user.
ALTER TABLE ractor_sessions ADD COLUMN user_key TEXT;

-- "log out everywhere" finds a user's rows without reading the others
CREATE INDEX IF NOT EXISTS ractor_sessions_user_key ON ractor_sessions (user_key)
    WHERE user_key IS NOT NULL;

PRAGMA user_version = 2;
