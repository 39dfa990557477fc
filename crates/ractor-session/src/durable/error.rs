//! What can go wrong in a session store.

use std::time::Duration;

use super::BoxError;
use crate::id::RedactedId;

/// A session store's failure: the backend is unreachable or too slow, its data is corrupt
/// or of another schema version, or a write was fenced off.
///
/// Messages name the backend (`sqlite`, `postgres`, `redis`) and never a raw session ID,
/// only its [`redacted`](crate::SessionId::redacted) form; the backend's own error is kept
/// as [`std::error::Error::source`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ractor_session::durable::BackendError;
///
/// let error = BackendError::Timeout { backend: "postgres", after: Duration::from_secs(2) };
/// assert!(error.is_unavailable());
/// assert_eq!(error.to_string(), "Session store postgres did not answer within 2000ms");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The backend could not be reached (connection refused or lost, file not openable).
    /// Writes should be retried once it is back.
    #[error("Session store {backend} is unreachable; is the server running and the address right?")]
    Unreachable {
        /// The backend's name.
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },

    /// The backend did not answer within the configured time.
    #[error("Session store {backend} did not answer within {}ms", .after.as_millis())]
    Timeout {
        /// The backend's name.
        backend: &'static str,
        /// The time allowed.
        after: Duration,
    },

    /// The store's data is damaged: a torn or overwritten database file, or a stored value
    /// that is not what this library writes.
    #[error(
        "Session store {backend} holds corrupt data ({what}); restore it from a backup or move it aside"
    )]
    Corrupt {
        /// The backend's name.
        backend: &'static str,
        /// What was found damaged.
        what: String,
        /// The backend's error, if it reported one.
        #[source]
        source: Option<BoxError>,
    },

    /// The store was set up by a newer release of this library, with a schema this one
    /// does not know.
    #[error(
        "Session store {backend} has schema version {found}, this release supports version {supported}; upgrade ractor-session or use another database"
    )]
    SchemaMismatch {
        /// The backend's name.
        backend: &'static str,
        /// The version found in the store.
        found: i64,
        /// The version this release writes.
        supported: i64,
    },

    /// The stored record was claimed by a newer activation of the session: this one must
    /// stop writing it.
    #[error(
        "Session {id} was claimed by a newer activation (epoch {current_epoch}); this one must not write it"
    )]
    Fenced {
        /// The session, redacted.
        id: RedactedId,
        /// The stored epoch, newer than the writer's.
        current_epoch: u64,
    },

    /// A rotation's new ID already holds a live record.
    #[error("Session {id} already exists in the store; rotate onto a fresh ID")]
    IdTaken {
        /// The new ID, redacted.
        id: RedactedId,
    },

    /// A record this library cannot store (an epoch beyond the backend's integer range).
    #[error("Session {id} cannot be stored: {reason}")]
    InvalidRecord {
        /// The session, redacted.
        id: RedactedId,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The store's address or options are invalid.
    #[error("Session store {backend} is misconfigured; check its URL and options")]
    InvalidConfig {
        /// The backend's name.
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },

    /// The store was shut down (its writer is gone).
    #[error("Session store {backend} is closed")]
    Closed {
        /// The backend's name.
        backend: &'static str,
    },

    /// Any other failure the backend reported.
    #[error("Session store {backend} failed")]
    Backend {
        /// The backend's name.
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

impl BackendError {
    /// Whether the backend is (perhaps only for now) out of reach: unreachable, timed out
    /// or closed. Such a failure says nothing about the data; the operation may be retried.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::durable::BackendError;
    ///
    /// assert!(BackendError::Closed { backend: "sqlite" }.is_unavailable());
    /// let fenced = BackendError::Fenced {
    ///     id: ractor_session::SessionId::generate().redacted(),
    ///     current_epoch: 4,
    /// };
    /// assert!(!fenced.is_unavailable());
    /// ```
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. } | Self::Timeout { .. } | Self::Closed { .. }
        )
    }
}

/// Runs `operation`, failing with [`BackendError::Timeout`] when it takes longer than
/// `timeout`.
#[cfg(any(feature = "postgres", feature = "redis"))]
pub(crate) async fn within<T>(
    backend: &'static str,
    timeout: Duration,
    operation: impl Future<Output = Result<T, BackendError>>,
) -> Result<T, BackendError> {
    tokio::time::timeout(timeout, operation)
        .await
        .unwrap_or(Err(BackendError::Timeout {
            backend,
            after: timeout,
        }))
}

/// Converts an epoch to the signed 64-bit integer the databases store.
pub(crate) fn epoch_to_i64(epoch: u64, id: RedactedId) -> Result<i64, BackendError> {
    i64::try_from(epoch).map_err(|_| BackendError::InvalidRecord {
        id,
        reason: "its epoch exceeds the largest signed 64-bit integer",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::SessionId;

    #[test]
    fn messages_show_redacted_ids_only() {
        let id = SessionId::parse("raw-secret-id").unwrap();
        let fenced = BackendError::Fenced {
            id: id.redacted(),
            current_epoch: 9,
        };
        let taken = BackendError::IdTaken { id: id.redacted() };
        for shown in [
            fenced.to_string(),
            format!("{fenced:?}"),
            taken.to_string(),
            format!("{taken:?}"),
        ] {
            assert!(!shown.contains("raw-secret-id"), "{shown}");
            assert!(shown.contains(&id.redacted().to_string()), "{shown}");
        }
    }

    #[test]
    fn epochs_beyond_i64_are_refused() {
        let id = SessionId::generate().redacted();
        assert_eq!(epoch_to_i64(5, id).unwrap(), 5);
        assert!(matches!(
            epoch_to_i64(u64::MAX, id),
            Err(BackendError::InvalidRecord { .. })
        ));
    }
}
