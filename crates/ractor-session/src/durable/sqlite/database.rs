//! Opening the SQLite file: checks, pragmas, the versioned schema, and error mapping.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension as _, Row};

use crate::durable::BoxError;
use crate::durable::columns::Columns;
use crate::durable::error::BackendError;
use crate::durable::record::SessionRecord;

pub(super) const BACKEND: &str = "sqlite";

/// The schema this release creates and reads, as plain SQL: version 1, then the
/// migration to version 2 (applied to new files and to files of version 1 alike).
pub(in crate::durable) const SCHEMA_V1: &str = include_str!("schema_v1.sql");
pub(in crate::durable) const SCHEMA_V2: &str = include_str!("schema_v2.sql");

/// The `PRAGMA user_version` that [`SCHEMA_V2`] records.
pub(super) const SCHEMA_VERSION: i64 = 2;

/// The columns of a record, in the order [`columns`] reads them.
pub(super) const RECORD_COLUMNS: &str = "id, session_type, format_version, state, \
     idle_deadline_ms, absolute_deadline_ms, updated_at_ms, epoch, user_key";

/// The writer connection's page cache, in KiB (a negative `cache_size` is KiB).
const WRITER_CACHE_KIB: i64 = -32 * 1024;

/// Pages the WAL may hold before a commit copies them back into the database file
/// (SQLite's default: 1,000, about 4 MiB).
const WAL_CHECKPOINT_PAGES: i64 = 16 * 1024;

/// Opens the writer's connection: checks the file, switches to WAL, and creates or checks
/// the schema.
pub(super) fn open_writer(
    path: &Path,
    busy_timeout: Duration,
    integrity_check: bool,
) -> Result<Connection, BackendError> {
    let mut conn = Connection::open(path).map_err(sqlite_error)?;
    conn.busy_timeout(busy_timeout).map_err(sqlite_error)?;
    if integrity_check {
        check_integrity(&conn)?;
    }
    // WAL lets readers run beside the writer; NORMAL syncs at checkpoints, not at every
    // commit: a commit survives a crash of the process, the last ones may not survive a
    // power cut.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sqlite_error)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sqlite_error)?;
    // New sessions land at random places of the primary-key index, so a batch of them
    // dirties about one page per record. With SQLite's default checkpoint (every 1,000
    // WAL pages) nearly every such commit was followed by a checkpoint copying those
    // pages back into the file and syncing it: inserts ran at 18 k records/s against
    // 75 k/s for updates. Checkpointing every 16,384 pages (64 MiB of WAL) writes a page
    // dirtied by many batches once, and a 32 MiB page cache keeps the index's pages
    // between batches. Durability is unchanged: a commit is durable once in the WAL,
    // whenever the checkpoint runs.
    conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)
        .map_err(sqlite_error)?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)
        .map_err(sqlite_error)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Opens a connection for reads, beside the writer.
pub(super) fn open_reader(path: &Path, busy_timeout: Duration) -> Result<Connection, BackendError> {
    let conn = Connection::open(path).map_err(sqlite_error)?;
    conn.busy_timeout(busy_timeout).map_err(sqlite_error)?;
    conn.pragma_update(None, "query_only", true)
        .map_err(sqlite_error)?;
    Ok(conn)
}

/// SQLite's `quick_check`: reads every page, so a torn or overwritten file is reported at
/// startup instead of on some later read.
fn check_integrity(conn: &Connection) -> Result<(), BackendError> {
    let verdict: String = conn
        .query_row("PRAGMA quick_check(1)", [], |row| row.get(0))
        .map_err(sqlite_error)?;
    if verdict == "ok" {
        return Ok(());
    }
    Err(BackendError::Corrupt {
        backend: BACKEND,
        what: format!("the integrity check failed: {verdict}"),
        source: None,
    })
}

/// Creates the schema in an empty database, migrates one of an older version, and
/// refuses one of a newer version.
fn migrate(conn: &mut Connection) -> Result<(), BackendError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sqlite_error)?;
    let version = schema_version(&tx)?;
    if version == 0 {
        tx.execute_batch(SCHEMA_V1).map_err(sqlite_error)?;
    }
    if version < 2 {
        tx.execute_batch(SCHEMA_V2).map_err(sqlite_error)?;
    }
    tx.commit().map_err(sqlite_error)
}

/// The schema version recorded in the file, checked against this release's.
pub(super) fn schema_version(conn: &Connection) -> Result<i64, BackendError> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(sqlite_error)?;
    if version > SCHEMA_VERSION {
        return Err(BackendError::SchemaMismatch {
            backend: BACKEND,
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// The live record of `id` at `now_ms`.
pub(super) fn load(
    conn: &Connection,
    id: &str,
    now_ms: i64,
) -> Result<Option<SessionRecord>, BackendError> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM ractor_sessions WHERE id = ?1 AND expires_at_ms > ?2"
    );
    let found = conn
        .prepare_cached(&sql)
        .and_then(|mut statement| statement.query_row((id, now_ms), columns).optional())
        .map_err(sqlite_error)?;
    found
        .map(|columns| columns.into_record(BACKEND))
        .transpose()
}

/// Reads the columns listed in [`RECORD_COLUMNS`].
pub(super) fn columns(row: &Row<'_>) -> rusqlite::Result<Columns> {
    Ok(Columns {
        id: row.get(0)?,
        session_type: row.get(1)?,
        format_version: row.get(2)?,
        state: row.get(3)?,
        idle_deadline_ms: row.get(4)?,
        absolute_deadline_ms: row.get(5)?,
        updated_at_ms: row.get(6)?,
        epoch: row.get(7)?,
        user_key: row.get(8)?,
    })
}

/// The typed form of a SQLite error.
pub(super) fn sqlite_error(error: rusqlite::Error) -> BackendError {
    Fault::of(&error).into_error(Box::new(error))
}

/// The typed form of a SQLite error shared by several callers.
pub(super) fn shared_sqlite_error(error: &Arc<rusqlite::Error>) -> BackendError {
    Fault::of(error).into_error(Box::new(Arc::clone(error)))
}

/// What a SQLite error says about the store.
enum Fault {
    Damage(&'static str),
    Unreachable,
    Other,
}

impl Fault {
    fn of(error: &rusqlite::Error) -> Self {
        match (error.sqlite_error_code(), error) {
            (Some(ErrorCode::NotADatabase), _) => {
                Self::Damage("the file is not an SQLite database")
            }
            (Some(ErrorCode::DatabaseCorrupt), _) => Self::Damage("the database file is damaged"),
            (Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied), _) => Self::Unreachable,
            (
                _,
                rusqlite::Error::InvalidColumnType(..)
                | rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::IntegralValueOutOfRange(..),
            ) => Self::Damage("a stored record holds a value of the wrong type"),
            _ => Self::Other,
        }
    }

    fn into_error(self, source: BoxError) -> BackendError {
        match self {
            Self::Damage(what) => BackendError::Corrupt {
                backend: BACKEND,
                what: what.to_owned(),
                source: Some(source),
            },
            Self::Unreachable => BackendError::Unreachable {
                backend: BACKEND,
                source,
            },
            Self::Other => BackendError::Backend {
                backend: BACKEND,
                source,
            },
        }
    }
}
