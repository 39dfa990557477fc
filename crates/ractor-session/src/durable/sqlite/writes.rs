//! The store's writes as SQL, each run by the writer thread inside its transaction.

use rusqlite::{Connection, OptionalExtension as _};

use super::database::{BACKEND, RECORD_COLUMNS, columns, sqlite_error};
use crate::durable::columns::Written;
use crate::durable::error::{BackendError, epoch_to_i64};
use crate::durable::record::SessionRecord;
use crate::durable::rules::{self, Stored};
use crate::durable::session_store::{DeleteOutcome, RotateOutcome, SaveOutcome};
use crate::id::SessionId;

/// Inserts or replaces a record unless a live stored one carries a newer epoch.
const UPSERT: &str = "INSERT INTO ractor_sessions (id, session_type, format_version, state, \
     idle_deadline_ms, absolute_deadline_ms, expires_at_ms, updated_at_ms, epoch) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
     ON CONFLICT (id) DO UPDATE SET session_type = excluded.session_type, \
     format_version = excluded.format_version, state = excluded.state, \
     idle_deadline_ms = excluded.idle_deadline_ms, \
     absolute_deadline_ms = excluded.absolute_deadline_ms, \
     expires_at_ms = excluded.expires_at_ms, updated_at_ms = excluded.updated_at_ms, \
     epoch = excluded.epoch \
     WHERE excluded.epoch >= ractor_sessions.epoch OR ractor_sessions.expires_at_ms <= ?10";

/// Saves `batch` in order; see [`SessionStore::save`](crate::durable::SessionStore::save).
pub(super) fn save(
    conn: &Connection,
    batch: &[(SessionRecord, Written)],
    now_ms: i64,
) -> Result<Vec<SaveOutcome>, BackendError> {
    let mut upsert = conn.prepare_cached(UPSERT).map_err(sqlite_error)?;
    batch
        .iter()
        .map(|(record, written)| {
            let changed = upsert
                .execute(rusqlite::params![
                    record.id().as_str(),
                    record.session_type(),
                    written.format_version,
                    record.state(),
                    written.idle_deadline_ms,
                    written.absolute_deadline_ms,
                    written.expires_at_ms,
                    written.updated_at_ms,
                    written.epoch,
                    now_ms,
                ])
                .map_err(sqlite_error)?;
            if changed == 1 {
                return Ok(SaveOutcome::Saved);
            }
            let current_epoch = stored(conn, record.id())?.map_or(0, |stored| stored.epoch);
            Ok(SaveOutcome::Fenced { current_epoch })
        })
        .collect()
}

/// Raises the epoch of the live record of `id` and returns the record.
pub(super) fn claim(
    conn: &Connection,
    id: &SessionId,
    now_ms: i64,
) -> Result<Option<SessionRecord>, BackendError> {
    let sql = format!(
        "UPDATE ractor_sessions SET epoch = epoch + 1 \
         WHERE id = ?1 AND expires_at_ms > ?2 RETURNING {RECORD_COLUMNS}"
    );
    let claimed = conn
        .prepare_cached(&sql)
        .and_then(|mut statement| {
            statement
                .query_row((id.as_str(), now_ms), columns)
                .optional()
        })
        .map_err(sqlite_error)?;
    claimed
        .map(|columns| columns.into_record(BACKEND))
        .transpose()
}

/// Deletes the record of `id` unless it is fenced.
pub(super) fn delete(
    conn: &Connection,
    id: &SessionId,
    epoch: u64,
    now_ms: i64,
) -> Result<DeleteOutcome, BackendError> {
    let (remove, outcome) = rules::delete(id, stored(conn, id)?, epoch, now_ms)?;
    if remove {
        remove_row(conn, id)?;
    }
    Ok(outcome)
}

/// Moves the record of `old` to `new`, unless fenced or `new` is taken.
pub(super) fn rotate(
    conn: &Connection,
    (old, new): (&SessionId, &SessionId),
    epoch: u64,
    now_ms: i64,
) -> Result<RotateOutcome, BackendError> {
    let stored_epoch = epoch_to_i64(epoch, old.redacted())?;
    let outcome = rules::rotate(
        (old, stored(conn, old)?),
        (new, stored(conn, new)?),
        epoch,
        now_ms,
    )?;
    if outcome == RotateOutcome::Rotated {
        // What is left under `new` is expired: it makes room.
        remove_row(conn, new)?;
        conn.prepare_cached("UPDATE ractor_sessions SET id = ?1, epoch = ?2 WHERE id = ?3")
            .and_then(|mut statement| statement.execute((new.as_str(), stored_epoch, old.as_str())))
            .map_err(sqlite_error)?;
    }
    Ok(outcome)
}

/// Removes up to `limit` records expired at `now_ms`.
pub(super) fn sweep(conn: &Connection, now_ms: i64, limit: i64) -> Result<usize, BackendError> {
    conn.prepare_cached(
        "DELETE FROM ractor_sessions WHERE rowid IN \
         (SELECT rowid FROM ractor_sessions WHERE expires_at_ms <= ?1 LIMIT ?2)",
    )
    .and_then(|mut statement| statement.execute((now_ms, limit)))
    .map_err(sqlite_error)
}

/// The epoch and expiry of the stored record of `id`, live or not.
fn stored(conn: &Connection, id: &SessionId) -> Result<Option<Stored>, BackendError> {
    let found = conn
        .prepare_cached("SELECT epoch, expires_at_ms FROM ractor_sessions WHERE id = ?1")
        .and_then(|mut statement| {
            statement
                .query_row([id.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(sqlite_error)?;
    found
        .map(|(epoch, expires_at_ms)| Stored::read(BACKEND, epoch, expires_at_ms))
        .transpose()
}

fn remove_row(conn: &Connection, id: &SessionId) -> Result<(), BackendError> {
    conn.prepare_cached("DELETE FROM ractor_sessions WHERE id = ?1")
        .and_then(|mut statement| statement.execute([id.as_str()]))
        .map_err(sqlite_error)?;
    Ok(())
}
