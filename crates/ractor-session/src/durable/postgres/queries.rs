//! The store's operations as SQL on one PostgreSQL connection or transaction.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use super::{BACKEND, pg_error};
use crate::durable::columns::{Columns, Written};
use crate::durable::error::{BackendError, epoch_to_i64};
use crate::durable::record::SessionRecord;
use crate::durable::rules::{self, Stored};
use crate::durable::session_store::{DeleteOutcome, RotateOutcome, SaveOutcome};
use crate::id::SessionId;

/// The schema this release creates and reads, as plain SQL.
pub(in crate::durable) const SCHEMA_V1: &str = include_str!("schema_v1.sql");

/// The version [`SCHEMA_V1`] records in `ractor_session_schema`.
pub(super) const SCHEMA_VERSION: i64 = 1;

/// Serialises schema set-up between nodes that start together (any fixed number would do).
const SCHEMA_LOCK: i64 = 0x7261_6374_6f72;

const RECORD_COLUMNS: &str = "id, session_type, format_version, state, idle_deadline_ms, \
     absolute_deadline_ms, updated_at_ms, epoch";

/// Upserts a batch of distinct IDs in one statement, each record only where no live
/// stored record carries a newer epoch; returns the IDs written. Rows are inserted in ID
/// order so that concurrent batches lock rows in the same order.
const UPSERT_BATCH: &str = "WITH input AS (
    SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bytea[], $5::bigint[],
        $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
    AS t(id, session_type, format_version, state, idle_deadline_ms, absolute_deadline_ms,
        expires_at_ms, updated_at_ms, epoch)
)
INSERT INTO ractor_sessions AS s (id, session_type, format_version, state,
    idle_deadline_ms, absolute_deadline_ms, expires_at_ms, updated_at_ms, epoch)
SELECT * FROM input ORDER BY id
ON CONFLICT (id) DO UPDATE SET session_type = excluded.session_type,
    format_version = excluded.format_version, state = excluded.state,
    idle_deadline_ms = excluded.idle_deadline_ms,
    absolute_deadline_ms = excluded.absolute_deadline_ms,
    expires_at_ms = excluded.expires_at_ms, updated_at_ms = excluded.updated_at_ms,
    epoch = excluded.epoch
WHERE excluded.epoch >= s.epoch OR s.expires_at_ms <= $10
RETURNING s.id";

/// Creates the schema if it is missing and checks its version.
pub(super) async fn set_up(client: &mut deadpool_postgres::Client) -> Result<(), BackendError> {
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .await
        .map_err(pg_error)?;
    let exists: bool = tx
        .query_one(
            "SELECT to_regclass('ractor_session_schema') IS NOT NULL",
            &[],
        )
        .await
        .map_err(pg_error)?
        .get(0);
    if exists {
        schema_version(&tx).await?;
    } else {
        tx.batch_execute(SCHEMA_V1).await.map_err(pg_error)?;
    }
    tx.commit().await.map_err(pg_error)
}

/// Checks the recorded schema version against this release's.
pub(super) async fn schema_version(client: &impl GenericClient) -> Result<(), BackendError> {
    let found: Option<i32> = client
        .query_one("SELECT max(version) FROM ractor_session_schema", &[])
        .await
        .map_err(pg_error)?
        .get(0);
    let found = found.map_or(0, i64::from);
    if found != SCHEMA_VERSION {
        return Err(BackendError::SchemaMismatch {
            backend: BACKEND,
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// The live record of `id` at `now_ms`.
pub(super) async fn load(
    client: &impl GenericClient,
    id: &SessionId,
    now_ms: i64,
) -> Result<Option<SessionRecord>, BackendError> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM ractor_sessions WHERE id = $1 AND expires_at_ms > $2"
    );
    one_record(client, &sql, id, now_ms).await
}

/// Raises the epoch of the live record of `id` and returns the record.
pub(super) async fn claim(
    client: &impl GenericClient,
    id: &SessionId,
    now_ms: i64,
) -> Result<Option<SessionRecord>, BackendError> {
    let sql = format!(
        "UPDATE ractor_sessions SET epoch = epoch + 1 \
         WHERE id = $1 AND expires_at_ms > $2 RETURNING {RECORD_COLUMNS}"
    );
    one_record(client, &sql, id, now_ms).await
}

/// The record `sql` returns, given `id` and `now_ms` as its parameters.
async fn one_record(
    client: &impl GenericClient,
    sql: &str,
    id: &SessionId,
    now_ms: i64,
) -> Result<Option<SessionRecord>, BackendError> {
    let statement = client.prepare_cached(sql).await.map_err(pg_error)?;
    let row = client
        .query_opt(&statement, &[&id.as_str(), &now_ms])
        .await
        .map_err(pg_error)?;
    row.map(|row| record(&row)).transpose()
}

/// Saves records with distinct IDs in one statement; outcomes in the order given.
pub(super) async fn save_distinct(
    client: &impl GenericClient,
    batch: &[&(SessionRecord, Written)],
    now_ms: i64,
) -> Result<Vec<SaveOutcome>, BackendError> {
    let ids: Vec<&str> = batch.iter().map(|(r, _)| r.id().as_str()).collect();
    let types: Vec<&str> = batch.iter().map(|(r, _)| r.session_type()).collect();
    let versions: Vec<i64> = batch.iter().map(|(_, w)| w.format_version).collect();
    let states: Vec<&[u8]> = batch.iter().map(|(r, _)| r.state()).collect();
    let idle: Vec<i64> = batch.iter().map(|(_, w)| w.idle_deadline_ms).collect();
    let absolute: Vec<Option<i64>> = batch.iter().map(|(_, w)| w.absolute_deadline_ms).collect();
    let expires: Vec<i64> = batch.iter().map(|(_, w)| w.expires_at_ms).collect();
    let updated: Vec<i64> = batch.iter().map(|(_, w)| w.updated_at_ms).collect();
    let epochs: Vec<i64> = batch.iter().map(|(_, w)| w.epoch).collect();

    let statement = client
        .prepare_cached(UPSERT_BATCH)
        .await
        .map_err(pg_error)?;
    let written: Vec<String> = client
        .query(
            &statement,
            &[
                &ids, &types, &versions, &states, &idle, &absolute, &expires, &updated, &epochs,
                &now_ms,
            ],
        )
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(corrupt_row)?;
    if written.len() == ids.len() {
        return Ok(vec![SaveOutcome::Saved; ids.len()]);
    }

    // Some were fenced off: a new statement sees the epochs that refused them.
    let fenced: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !written.iter().any(|w| w == id))
        .collect();
    let current: HashMap<String, i64> = client
        .query(
            "SELECT id, epoch FROM ractor_sessions WHERE id = ANY($1)",
            &[&fenced],
        )
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<_, tokio_postgres::Error>>()
        .map_err(corrupt_row)?;
    Ok(ids
        .iter()
        .map(|id| match current.get(*id) {
            Some(&epoch) if !written.iter().any(|w| w == id) => SaveOutcome::Fenced {
                current_epoch: u64::try_from(epoch).unwrap_or(0),
            },
            _ => SaveOutcome::Saved,
        })
        .collect())
}

/// Deletes the record of `id` unless it is fenced.
pub(super) async fn delete(
    client: &mut deadpool_postgres::Client,
    id: &SessionId,
    epoch: u64,
    now_ms: i64,
) -> Result<DeleteOutcome, BackendError> {
    let tx = client.transaction().await.map_err(pg_error)?;
    let stored = lock(&tx, &[id]).await?.remove(id.as_str());
    let (remove, outcome) = rules::delete(id, stored, epoch, now_ms)?;
    if remove {
        tx.execute("DELETE FROM ractor_sessions WHERE id = $1", &[&id.as_str()])
            .await
            .map_err(pg_error)?;
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(outcome)
}

/// Moves the record of `old` to `new`, unless fenced or `new` is taken.
pub(super) async fn rotate(
    client: &mut deadpool_postgres::Client,
    (old, new): (&SessionId, &SessionId),
    epoch: u64,
    now_ms: i64,
) -> Result<RotateOutcome, BackendError> {
    let stored_epoch = epoch_to_i64(epoch, old.redacted())?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let mut stored = lock(&tx, &[old, new]).await?;
    let outcome = rules::rotate(
        (old, stored.remove(old.as_str())),
        (new, stored.remove(new.as_str())),
        epoch,
        now_ms,
    )?;
    if outcome != RotateOutcome::Rotated {
        return Ok(outcome);
    }
    // What is left under `new` is expired: it makes room.
    tx.execute(
        "DELETE FROM ractor_sessions WHERE id = $1",
        &[&new.as_str()],
    )
    .await
    .map_err(pg_error)?;
    let moved = tx
        .execute(
            "UPDATE ractor_sessions SET id = $1, epoch = $2 WHERE id = $3",
            &[&new.as_str(), &stored_epoch, &old.as_str()],
        )
        .await;
    match moved {
        // `new` was inserted by another writer since it was checked.
        Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            Err(BackendError::IdTaken { id: new.redacted() })
        }
        Err(error) => Err(pg_error(error)),
        Ok(_) => {
            tx.commit().await.map_err(pg_error)?;
            Ok(outcome)
        }
    }
}

/// Removes up to `limit` records expired at `now_ms`, skipping rows another node is
/// sweeping at the same time.
pub(super) async fn sweep(
    client: &impl GenericClient,
    now_ms: i64,
    limit: i64,
) -> Result<usize, BackendError> {
    let statement = client
        .prepare_cached(
            "DELETE FROM ractor_sessions WHERE id IN (SELECT id FROM ractor_sessions \
             WHERE expires_at_ms <= $1 ORDER BY expires_at_ms LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .await
        .map_err(pg_error)?;
    let removed = client
        .execute(&statement, &[&now_ms, &limit])
        .await
        .map_err(pg_error)?;
    Ok(usize::try_from(removed).unwrap_or(usize::MAX))
}

/// Locks the stored rows of `ids` (in ID order, against deadlocks) and returns what a
/// write needs to know of each.
async fn lock(
    tx: &deadpool_postgres::Transaction<'_>,
    ids: &[&SessionId],
) -> Result<HashMap<String, Stored>, BackendError> {
    let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    let rows = tx
        .query(
            "SELECT id, epoch, expires_at_ms FROM ractor_sessions WHERE id = ANY($1) \
             ORDER BY id FOR UPDATE",
            &[&ids],
        )
        .await
        .map_err(pg_error)?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get(0).map_err(corrupt_row)?;
            let epoch = row.try_get(1).map_err(corrupt_row)?;
            let expires_at_ms = row.try_get(2).map_err(corrupt_row)?;
            Ok((id, Stored::read(BACKEND, epoch, expires_at_ms)?))
        })
        .collect()
}

fn record(row: &Row) -> Result<SessionRecord, BackendError> {
    let columns = (|| {
        Ok::<_, tokio_postgres::Error>(Columns {
            id: row.try_get(0)?,
            session_type: row.try_get(1)?,
            format_version: row.try_get(2)?,
            state: row.try_get(3)?,
            idle_deadline_ms: row.try_get(4)?,
            absolute_deadline_ms: row.try_get(5)?,
            updated_at_ms: row.try_get(6)?,
            epoch: row.try_get(7)?,
        })
    })()
    .map_err(corrupt_row)?;
    columns.into_record(BACKEND)
}

/// A row that does not have the columns this library writes.
fn corrupt_row(error: tokio_postgres::Error) -> BackendError {
    BackendError::Corrupt {
        backend: BACKEND,
        what: "a stored row does not match the schema".to_owned(),
        source: Some(Box::new(error)),
    }
}
