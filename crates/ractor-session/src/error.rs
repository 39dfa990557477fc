//! The one error type of the crate.

use std::time::Duration;

use ractor::{ActorCell, ActorRef};

use crate::durable::BackendError;
use crate::id::{InvalidSessionId, SessionId};
use crate::user::InvalidUserKey;

/// A boxed error kept as the source of [`SessionError::CallFailed`] and friends.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when starting, reaching or stopping a session.
///
/// Messages read like the original Phoenix.SessionProcess errors, e.g.
/// `Session not found: abc` or `Operation timed out after 50ms`. Causes are kept as
/// [`std::error::Error::source`], not flattened into the text. Messages name the session
/// they concern; `Debug` output shows only its [redacted](SessionId::redacted) form.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::{SessionConfig, SessionError, SessionManager};
///
/// let manager = SessionManager::spawn(SessionConfig::default()).await?;
/// match manager.touch("nobody").await {
///     Err(SessionError::SessionNotFound { id }) => assert_eq!(id.as_str(), "nobody"),
///     other => panic!("unexpected: {other:?}"),
/// }
/// manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The value is not a valid session ID (1 to 64 bytes of `[A-Za-z0-9_-]`).
    #[error(transparent)]
    InvalidSessionId(#[from] InvalidSessionId),

    /// `max_sessions` sessions are live; stop one or raise the limit.
    #[error("Maximum concurrent sessions limit ({max}) reached")]
    SessionLimitReached {
        /// The configured limit.
        max: usize,
    },

    /// More session creations in the last minute than `rate_limit` allows.
    #[error("Rate limit exceeded: maximum {limit} sessions per minute")]
    RateLimitExceeded {
        /// The configured creations per minute.
        limit: u32,
    },

    /// No live session has this ID (never started, terminated or expired).
    #[error("Session not found: {id}")]
    SessionNotFound {
        /// The ID asked for.
        id: SessionId,
    },

    /// The session is registered but its actor has already stopped: it is on its way out.
    #[error("Process not found for session: {id}")]
    ProcessNotFound {
        /// The ID asked for.
        id: SessionId,
    },

    /// The session did not answer in time. It stays alive; the late reply is discarded.
    #[error("Operation timed out after {}ms", .0.as_millis())]
    Timeout(Duration),

    /// The session stopped or failed before it replied.
    #[error("Call failed for session {session_type}: {source}")]
    CallFailed {
        /// The session's actor type.
        session_type: &'static str,
        /// Why the reply never came.
        #[source]
        source: BoxError,
    },

    /// The message could not be delivered.
    #[error("Cast failed for session {session_type}: {source}")]
    CastFailed {
        /// The session's actor type.
        session_type: &'static str,
        /// Why delivery failed.
        #[source]
        source: BoxError,
    },

    /// A session with this ID is already live; the existing actor is carried along.
    #[error("Session already started: {id}")]
    AlreadyStarted {
        /// The ID asked for.
        id: SessionId,
        /// The live session's actor.
        actor: ActorCell,
    },

    /// The session exists but its actor takes another message type.
    #[error(
        "Wrong session type for {id}: asked for messages of type `{expected}`, \
         but the session is a `{actual}`"
    )]
    WrongSessionType {
        /// The ID asked for.
        id: SessionId,
        /// The message type the caller asked for.
        expected: &'static str,
        /// The session's actor type.
        actual: &'static str,
    },

    /// The actor's `pre_start` returned an error or panicked.
    ///
    /// The source is the actor's own error when `pre_start` returned one, and a
    /// [`StartPanicked`] (message `panicked: …`) when it panicked; in the rare case that
    /// ractor itself refused the actor after a successful `pre_start`, ractor's
    /// [`SpawnErr`](ractor::SpawnErr).
    #[error("Failed to start session {id}: {source}")]
    StartFailed {
        /// The ID asked for.
        id: SessionId,
        /// Why the start failed.
        #[source]
        source: BoxError,
    },

    /// The manager's supervisor actor, which every session is linked to, failed to start.
    #[error("Failed to start the session supervisor: {source}")]
    SupervisorFailed {
        /// The spawn error.
        #[source]
        source: ractor::SpawnErr,
    },

    /// The configuration is invalid.
    #[error("Invalid session configuration: `{field}` {reason}")]
    InvalidConfig {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it and what is accepted.
        reason: String,
    },

    /// The manager has been shut down and takes no more work.
    #[error("The session manager has shut down")]
    ManagerShutdown,

    /// The session store failed (it is unreachable, timed out, or refused the
    /// operation). Nothing was started in place of a stored session: a session whose
    /// record could not be read is not replaced by a fresh one.
    #[error("Session store failed to {operation} a session: {source}")]
    StoreFailed {
        /// What was asked of the store: `load`, `delete`, `rotate`, `check`, `flush`.
        operation: &'static str,
        /// The store's error.
        #[source]
        source: BackendError,
    },

    /// The session's stored record cannot be read back: its state no longer
    /// deserializes, or is in a format its type does not migrate. The record is kept
    /// unless [`OnCorrupt::StartFresh`](crate::OnCorrupt::StartFresh) is configured.
    #[error(
        "Stored session {id} cannot be read back (type `{session_type}`, format {format}): {source}"
    )]
    UnreadableRecord {
        /// The ID asked for.
        id: SessionId,
        /// The type tag of the record.
        session_type: String,
        /// The format the state was written in.
        format: u32,
        /// Why it cannot be read.
        #[source]
        source: BoxError,
    },

    /// The session's stored record names a session type this manager has not registered.
    #[error(
        "Stored session {id} is of type `{session_type}`, which this manager does not know; register it with `SessionManagerBuilder::with_durable`"
    )]
    UnregisteredType {
        /// The ID asked for.
        id: SessionId,
        /// The type tag of the record.
        session_type: String,
    },

    /// With write-through, the state a call's reply reflects could not be written to the
    /// store in time. The change is kept in memory and its write retried.
    #[error(
        "The state of session {id} is kept in memory but could not be saved yet; the write is retried"
    )]
    NotPersisted {
        /// The session.
        id: SessionId,
    },

    /// The value is not a valid user key (1 to 256 bytes, no control characters).
    #[error(transparent)]
    InvalidUserKey(#[from] InvalidUserKey),

    /// The session is bound to another user: a session belongs to one user for its whole
    /// life. To sign in as someone else, end it and start a new one.
    #[error(
        "Session {id} is bound to another user; end it and start a new session to sign in as someone else"
    )]
    BoundToAnotherUser {
        /// The session.
        id: SessionId,
    },

    /// In a cluster (feature `cluster`): the node that owns the session went away (or its
    /// connection dropped) before replying. The request may or may not have been handled;
    /// the session comes back on a surviving node at its next use.
    #[error("The node owning the session ({node}) went away before replying")]
    OwnerUnreachable {
        /// The owner's node name.
        node: String,
    },

    /// In a cluster (feature `cluster`): the node that owns the session failed the request
    /// for a reason without a variant of its own here (a store failure, an unreadable
    /// record, a request it could not decode…); `reason` is its error, as text.
    #[error("The node owning the session ({node}) failed the request: {reason}")]
    OwnerFailed {
        /// The owner's node name.
        node: String,
        /// What went wrong there.
        reason: String,
    },
}

impl SessionError {
    /// `SessionNotFound` for `id`, or `InvalidSessionId` when `id` is malformed.
    pub(crate) fn not_found(id: &str) -> Self {
        match SessionId::parse(id) {
            Ok(id) => Self::SessionNotFound { id },
            Err(invalid) => invalid.into(),
        }
    }

    /// A `map_err` for the store's failure in `operation`: [`SessionError::StoreFailed`].
    pub(crate) fn store(operation: &'static str) -> impl FnOnce(BackendError) -> Self {
        move |source| Self::StoreFailed { operation, source }
    }

    /// For [`SessionError::AlreadyStarted`], the live session's actor as a typed reference.
    ///
    /// Returns `None` for other errors, or when the live actor takes another message type.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{KvMsg, SessionConfig, SessionManager};
    ///
    /// let manager = SessionManager::spawn(SessionConfig::default()).await?;
    /// let first = manager.start("s1").await?;
    /// let err = manager.start("s1").await.unwrap_err();
    /// let again = err.existing_actor::<KvMsg>().expect("already started");
    /// assert_eq!(again.get_id(), first.get_id());
    /// manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn existing_actor<M: ractor::Message>(&self) -> Option<ActorRef<M>> {
        match self {
            Self::AlreadyStarted { actor, .. }
                if actor.is_message_type_of::<M>() != Some(false) =>
            {
                Some(actor.clone().into())
            }
            _ => None,
        }
    }
}

/// The source of [`SessionError::StartFailed`] when the actor's `pre_start` panicked.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::error::Error as _;
/// use ractor::{Actor, ActorProcessingErr, ActorRef};
/// use ractor_session::{SessionManager, StartPanicked};
///
/// struct Explodes;
///
/// impl Actor for Explodes {
///     type Msg = ();
///     type State = ();
///     type Arguments = ();
///
///     async fn pre_start(&self, _: ActorRef<()>, (): ()) -> Result<(), ActorProcessingErr> {
///         panic!("no config")
///     }
/// }
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// let err = manager.start_with("s1", Explodes, ()).await.unwrap_err();
/// assert_eq!(err.to_string(), "Failed to start session s1: panicked: no config");
/// let panic = err.source().and_then(|s| s.downcast_ref::<StartPanicked>()).unwrap();
/// assert_eq!(panic.message(), "no config");
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("panicked: {message}")]
pub struct StartPanicked {
    message: String,
}

impl StartPanicked {
    /// What the panic said (its payload, when that is a string).
    ///
    /// # Examples
    ///
    /// See [`StartPanicked`].
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// How a session's `pre_start` failed, as the session wrapper hands it to ractor: ractor
/// reports a returned error and a panic alike ("Actor panicked during startup"), and adds
/// failures of its own after `pre_start`; wrapping tells the three apart.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PreStartFailure {
    #[error("{0}")]
    Returned(BoxError),
    #[error(transparent)]
    Panicked(StartPanicked),
}

impl PreStartFailure {
    pub(crate) fn panicked(message: String) -> Self {
        Self::Panicked(StartPanicked { message })
    }

    /// The cause to report for a spawn that failed with `spawn`: the actor's own error,
    /// its panic, or ractor's error when `pre_start` was not what failed.
    pub(crate) fn cause(spawn: ractor::SpawnErr) -> BoxError {
        let ractor::SpawnErr::StartupFailed(inner) = spawn else {
            return Box::new(spawn);
        };
        match inner.downcast::<Self>() {
            Ok(failure) => match *failure {
                Self::Returned(error) => error,
                Self::Panicked(panic) => Box::new(panic),
            },
            Err(inner) => Box::new(ractor::SpawnErr::StartupFailed(inner)),
        }
    }
}

/// Why a call or cast found no reply: the session's actor dropped the reply port.
#[derive(Debug, thiserror::Error)]
#[error("the session stopped before replying")]
pub struct ReplyDropped;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_the_original() {
        let id = SessionId::parse("abc").unwrap();
        assert_eq!(
            SessionError::SessionLimitReached { max: 10_000 }.to_string(),
            "Maximum concurrent sessions limit (10000) reached"
        );
        assert_eq!(
            SessionError::RateLimitExceeded { limit: 100 }.to_string(),
            "Rate limit exceeded: maximum 100 sessions per minute"
        );
        assert_eq!(
            SessionError::SessionNotFound { id: id.clone() }.to_string(),
            "Session not found: abc"
        );
        assert_eq!(
            SessionError::ProcessNotFound { id }.to_string(),
            "Process not found for session: abc"
        );
        assert_eq!(
            SessionError::Timeout(Duration::from_millis(50)).to_string(),
            "Operation timed out after 50ms"
        );
        let invalid = SessionId::parse("invalid@session").unwrap_err();
        assert_eq!(
            SessionError::from(invalid).to_string(),
            r#"Invalid session ID format: "invalid@session""#
        );
    }

    #[test]
    fn a_supervisor_that_fails_to_start_is_not_called_a_session() {
        use std::error::Error as _;
        let err = SessionError::SupervisorFailed {
            source: ractor::SpawnErr::StartupFailed("no runtime".into()),
        };
        assert_eq!(
            err.to_string(),
            "Failed to start the session supervisor: Actor panicked during startup 'no runtime'"
        );
        let source = err.source().expect("the spawn error is kept");
        assert!(source.downcast_ref::<ractor::SpawnErr>().is_some());
    }

    #[test]
    fn not_found_tells_a_missing_id_from_a_malformed_one() {
        assert!(matches!(
            SessionError::not_found("abc"),
            SessionError::SessionNotFound { id } if id.as_str() == "abc"
        ));
        assert!(matches!(
            SessionError::not_found("not valid"),
            SessionError::InvalidSessionId(_)
        ));
    }

    #[test]
    fn a_start_failure_is_told_apart_from_a_panic_and_from_ractors_own_refusal() {
        let returned = ractor::SpawnErr::StartupFailed(Box::new(PreStartFailure::Returned(
            Box::new(ReplyDropped),
        )));
        let cause = PreStartFailure::cause(returned);
        assert!(cause.downcast_ref::<ReplyDropped>().is_some(), "{cause:?}");

        let panicked =
            ractor::SpawnErr::StartupFailed(Box::new(PreStartFailure::panicked("boom".to_owned())));
        let cause = PreStartFailure::cause(panicked);
        assert_eq!(cause.to_string(), "panicked: boom");
        assert!(cause.downcast_ref::<StartPanicked>().is_some());

        let refused = ractor::SpawnErr::StartupFailed("Supervisor is shutting down".into());
        let cause = PreStartFailure::cause(refused);
        assert!(cause.downcast_ref::<ractor::SpawnErr>().is_some());
        let cause = PreStartFailure::cause(ractor::SpawnErr::ActorAlreadyStarted);
        assert!(cause.downcast_ref::<ractor::SpawnErr>().is_some());
    }

    #[test]
    fn call_failures_keep_their_source() {
        use std::error::Error as _;
        let err = SessionError::CallFailed {
            session_type: "KvSession",
            source: Box::new(ReplyDropped),
        };
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("the session stopped before replying")
        );
    }
}
