//! [`StoreError`]: what can go wrong with a [`Store`](super::Store) and its session.

use std::ops::RangeInclusive;

use crate::error::SessionError;

/// Everything that can go wrong when dispatching to, time travelling in or restoring a
/// [`Store`](super::Store), in process or in a store session reached through a
/// [`StoreHandle`](super::StoreHandle).
///
/// # Examples
///
/// ```
/// use ractor_session::store::{Step, Store, StoreError};
///
/// let mut store = Store::new(0_i32, |n: &i32, add: &i32| n + add)
///     .with_middleware(|add: &i32, _: &i32| {
///         if *add < 0 { Step::reject("negative amounts are not allowed") } else { Step::Next }
///     });
/// match store.dispatch(-1) {
///     Err(StoreError::Rejected { reason }) => assert_eq!(reason, "negative amounts are not allowed"),
///     other => panic!("unexpected: {other:?}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A middleware rejected the action; the state and the history are unchanged.
    #[error("Action rejected: {reason}")]
    Rejected {
        /// Why, as the middleware put it.
        reason: String,
    },

    /// Time travel asked for a state the history no longer (or not yet) holds.
    #[error(
        "No state after action {requested}: the history holds the states after actions \
         {}..={} (raise `with_history_limit` to keep more)",
        .available.start(),
        .available.end()
    )]
    OutOfRange {
        /// The action number asked for.
        requested: u64,
        /// The action numbers whose state can be had.
        available: RangeInclusive<u64>,
    },

    /// A snapshot handed to [`restore`](super::Store::restore) is inconsistent; the store
    /// is unchanged.
    #[error("Invalid store snapshot: {0}")]
    InvalidSnapshot(String),

    /// The store's session could not be reached (not found, wrong type, timed out,
    /// crashed); see [`SessionError`].
    #[error(transparent)]
    Session(#[from] SessionError),
}

impl StoreError {
    pub(crate) fn rejected(reason: impl Into<String>) -> Self {
        Self::Rejected {
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_says_what_is_available_and_how_to_keep_more() {
        let err = StoreError::OutOfRange {
            requested: 1,
            available: 2..=5,
        };
        assert_eq!(
            err.to_string(),
            "No state after action 1: the history holds the states after actions 2..=5 \
             (raise `with_history_limit` to keep more)"
        );
    }

    #[test]
    fn session_errors_keep_their_message() {
        let id = crate::SessionId::parse("abc").unwrap();
        let err = StoreError::from(SessionError::SessionNotFound { id });
        assert_eq!(err.to_string(), "Session not found: abc");
    }
}
