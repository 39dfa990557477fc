//! [`StoreError`]: what can go wrong with a [`Store`](super::Store) and its session.

use std::any::Any;
use std::ops::RangeInclusive;
use std::time::Duration;

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

    /// The action names a reducer (with
    /// [`Routable::target_reducers`](super::Routable::target_reducers)) that the store's
    /// [`Combined`](super::Combined) reducers do not have; nothing was applied.
    #[error("No reducer named {name:?}: the store's reducers are {known:?}")]
    UnknownReducer {
        /// The name asked for.
        name: String,
        /// The names the store's reducers have.
        known: Vec<String>,
    },

    /// A selector panicked: the one given to
    /// [`StoreHandle::select`](super::StoreHandle::select) or to
    /// [`Store::subscribe`](super::Store::subscribe). The state is unchanged and a store
    /// session carries on.
    #[error("Selector panicked: {message}")]
    SelectorPanicked {
        /// The panic's message.
        message: String,
    },

    /// A [throttle](super::Pace::Throttle) dropped the action: one action matching
    /// `pattern` already passed within the window; nothing was applied.
    #[error(
        "Action dropped by the throttle on {pattern:?}: one such action passes per {}",
        humantime_serde::re::humantime::format_duration(*.window)
    )]
    Throttled {
        /// The pattern of the throttle rule.
        pattern: String,
        /// Its window.
        window: Duration,
    },

    /// A [debounce](super::Pace::Debounce) dropped the action: a later action matching
    /// `pattern` came within the window, and only the last one runs.
    #[error(
        "Action superseded: a later action matching {pattern:?} came within its debounce window"
    )]
    Superseded {
        /// The pattern of the debounce rule.
        pattern: String,
    },

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

    /// [`StoreError::SelectorPanicked`] with the message of a caught panic.
    pub(super) fn selector_panicked(panic: &(dyn Any + Send)) -> Self {
        Self::SelectorPanicked {
            message: panic_message(panic),
        }
    }
}

/// The text a panic was raised with (`panic!` gives a `&str` or a `String`).
pub(super) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic with a non-string payload".to_owned()
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
    fn pacing_errors_say_which_rule_dropped_the_action() {
        let throttled = StoreError::Throttled {
            pattern: "search.*".into(),
            window: Duration::from_millis(1500),
        };
        assert_eq!(
            throttled.to_string(),
            "Action dropped by the throttle on \"search.*\": one such action passes per 1s 500ms"
        );
        let unknown = StoreError::UnknownReducer {
            name: "carts".into(),
            known: vec!["cart".into(), "user".into()],
        };
        assert_eq!(
            unknown.to_string(),
            "No reducer named \"carts\": the store's reducers are [\"cart\", \"user\"]"
        );
    }

    #[test]
    fn panic_messages_are_read_from_either_string_type() {
        let text = std::panic::catch_unwind(|| panic!("static")).unwrap_err();
        assert_eq!(panic_message(&*text), "static");
        let owned = std::panic::catch_unwind(|| panic!("{}", 4)).unwrap_err();
        assert_eq!(panic_message(&*owned), "4");
    }

    #[test]
    fn session_errors_keep_their_message() {
        let id = crate::SessionId::parse("abc").unwrap();
        let err = StoreError::from(SessionError::SessionNotFound { id });
        assert_eq!(err.to_string(), "Session not found: abc");
    }
}
