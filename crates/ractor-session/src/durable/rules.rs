//! The fencing and expiry rules of every write, for backends that decide them in Rust
//! (the in-memory store and SQLite's writer; PostgreSQL and Redis state the same rules in
//! SQL and Lua).

use super::error::BackendError;
use super::session_store::{DeleteOutcome, RotateOutcome, SaveOutcome};
use crate::id::SessionId;

/// What a write needs to know of the record it would replace.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stored {
    pub(crate) epoch: u64,
    pub(crate) expires_at_ms: i64,
}

impl Stored {
    /// What a database row holds, or [`BackendError::Corrupt`] for a negative epoch.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn read(
        backend: &'static str,
        epoch: i64,
        expires_at_ms: i64,
    ) -> Result<Self, BackendError> {
        let epoch = u64::try_from(epoch).map_err(|_| BackendError::Corrupt {
            backend,
            what: "a stored record has a negative epoch".to_owned(),
            source: None,
        })?;
        Ok(Self {
            epoch,
            expires_at_ms,
        })
    }

    fn is_live(self, now_ms: i64) -> bool {
        self.expires_at_ms > now_ms
    }
}

/// Whether a record written with `epoch` may replace `stored`: always when there is no
/// live record, otherwise only with an epoch at least the stored one.
pub(crate) fn save(stored: Option<Stored>, epoch: u64, now_ms: i64) -> SaveOutcome {
    match stored {
        Some(stored) if stored.is_live(now_ms) && stored.epoch > epoch => SaveOutcome::Fenced {
            current_epoch: stored.epoch,
        },
        _ => SaveOutcome::Saved,
    }
}

/// What a delete with `epoch` does: `Ok((remove, outcome))`, where `remove` says whether a
/// row (live or expired) is to be removed.
pub(crate) fn delete(
    id: &SessionId,
    stored: Option<Stored>,
    epoch: u64,
    now_ms: i64,
) -> Result<(bool, DeleteOutcome), BackendError> {
    match stored {
        None => Ok((false, DeleteOutcome::Missing)),
        Some(stored) if !stored.is_live(now_ms) => Ok((true, DeleteOutcome::Missing)),
        Some(stored) if stored.epoch > epoch => Err(fenced(id, stored.epoch)),
        Some(_) => Ok((true, DeleteOutcome::Deleted)),
    }
}

/// Whether a rotation with `epoch` from a record `old` onto a record `new` may go ahead:
/// `Ok(Rotated)` when it may, `Ok(Missing)` when there is no live `old` (nothing to move).
pub(crate) fn rotate(
    (old_id, old): (&SessionId, Option<Stored>),
    (new_id, new): (&SessionId, Option<Stored>),
    epoch: u64,
    now_ms: i64,
) -> Result<RotateOutcome, BackendError> {
    let Some(old) = old.filter(|old| old.is_live(now_ms)) else {
        return Ok(RotateOutcome::Missing);
    };
    if old.epoch > epoch {
        return Err(fenced(old_id, old.epoch));
    }
    if new.is_some_and(|new| new.is_live(now_ms)) {
        return Err(BackendError::IdTaken {
            id: new_id.redacted(),
        });
    }
    Ok(RotateOutcome::Rotated)
}

/// The error of a write fenced off by `current_epoch`.
pub(crate) fn fenced(id: &SessionId, current_epoch: u64) -> BackendError {
    BackendError::Fenced {
        id: id.redacted(),
        current_epoch,
    }
}
