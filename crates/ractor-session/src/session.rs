//! The wrapper every session actor runs inside, and `current_session_id`.
//!
//! `SessionActor<A>` is an `Actor` with `A`'s message, state and argument types, so the
//! `ActorRef<A::Msg>` handed out is exactly the one `A` would have. Around each of `A`'s
//! callbacks it (1) makes the session's ID reachable through [`current_session_id`],
//! (2) turns a panic or error into a `Crashed` end of this one session, and (3) reports the
//! actor's end to the registry — from `post_stop`, or from `Drop` when the actor was killed
//! and ractor skipped `post_stop`. It holds its manager's state weakly: a running session
//! does not keep a dropped manager alive.
//!
//! For a durable session of a manager with a store, it also (4) keeps the state's newest
//! bytes on the entry: after `post_start` and after every message that may change the
//! state, it serializes the state and hands the bytes to the entry (see `persisted`), which
//! queues the session for the manager's flusher. It is the only code that sees the state:
//! ractor offers no way into a running actor. And (5) when its actor was drained to park
//! the session (see `park`), its `post_stop` hands the state over as bytes instead of
//! ending the session.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Weak};

use futures_util::FutureExt as _;
use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};

use crate::durable::Codec;
use crate::entry::Entry;
use crate::error::PreStartFailure;
use crate::id::SessionId;
use crate::park::{self, HandOver};
use crate::parking::Turn;
use crate::registry;
use crate::shared::Shared;
use crate::telemetry;
use crate::watch::EndReason;

tokio::task_local! {
    static CURRENT: Arc<Entry>;
}

/// The ID of the session whose actor is running this code, or `None` outside one.
///
/// Works inside every callback of a session actor (`pre_start`, `post_start`, `handle`,
/// `handle_supervisor_evt`, `post_stop`) without passing the ID in `Arguments`. After
/// [rotation](crate::SessionManager::rotate) it returns the new ID.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
/// use ractor_session::{current_session_id, SessionConfig, SessionId, SessionManager};
///
/// struct WhoAmI;
///
/// impl Actor for WhoAmI {
///     type Msg = RpcReplyPort<Option<SessionId>>;
///     type State = ();
///     type Arguments = ();
///
///     async fn pre_start(&self, _: ActorRef<Self::Msg>, _: ()) -> Result<(), ActorProcessingErr> {
///         Ok(())
///     }
///
///     async fn handle(&self, _: ActorRef<Self::Msg>, reply: Self::Msg, _: &mut ()) -> Result<(), ActorProcessingErr> {
///         reply.send(current_session_id())?;
///         Ok(())
///     }
/// }
///
/// let manager = SessionManager::spawn(SessionConfig::default()).await?;
/// manager.start_with("alice", WhoAmI, ()).await?;
/// let id: Option<SessionId> = manager.call("alice", |reply| reply).await?;
/// assert_eq!(id.unwrap().as_str(), "alice");
/// assert!(current_session_id().is_none());
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[must_use]
pub fn current_session_id() -> Option<SessionId> {
    CURRENT.try_with(|entry| entry.id()).ok()
}

/// Whether this code runs inside the actor of the session `entry`.
pub(crate) fn is_current(entry: &Arc<Entry>) -> bool {
    CURRENT
        .try_with(|current| Arc::ptr_eq(current, entry))
        .unwrap_or(false)
}

/// Runs a user actor as a session.
pub(crate) struct SessionActor<A: Actor> {
    pub(crate) inner: A,
    pub(crate) entry: Arc<Entry>,
    pub(crate) shared: Weak<Shared>,
    /// How the state becomes bytes, for a durable session of a manager with a store or
    /// that parks.
    pub(crate) durable: Option<Codec<A>>,
    /// Its part in parking, for a session that can park (see `park`).
    pub(crate) turn: Turn,
}

impl<A: Actor> SessionActor<A> {
    /// The actor has stopped (or is about to, after an error): ends the session once.
    fn end(&self, fallback: EndReason) {
        if self.entry.is_ended() || self.turn.is_handed_over() {
            // Already ended (`post_stop` ran, and this is `Drop`), or parked, not ended:
            // no need to reach the manager. `registry::end` would find the end claimed
            // and do nothing.
            return;
        }
        let shared = self.shared.upgrade();
        let persistence = shared.as_ref().and_then(|s| s.persistence.as_ref());
        // Before the ID leaves the registry, or an operation on it could revive the
        // session from its record, not deleted yet.
        if let Some(persistence) = persistence {
            persistence.ending(&self.entry, self.entry.ending_reason(fallback.clone()));
        }
        registry::end(
            shared.as_deref().map(|shared| &shared.registry),
            &self.entry,
            fallback,
        );
        if let Some(persistence) = persistence {
            persistence.ended(&self.entry);
        }
        if self.entry.parking().is_some()
            && let Some(passivation) = shared.as_ref().and_then(|s| s.passivation.as_ref())
        {
            // Callers waiting for it to park or revive learn that it ended.
            passivation.changed.notify_waiters();
        }
    }

    /// Keeps the state after change number `change` as the session's newest bytes, and
    /// queues the session for the flusher. A state that cannot be serialized (or whose
    /// snapshot panics) is logged and the change counted as not written: the session
    /// serves on from memory.
    fn record(&self, codec: Codec<A>, change: u64, state: &A::State) {
        let Some(persisted) = self.entry.persisted() else {
            return;
        };
        let encoded = std::panic::catch_unwind(AssertUnwindSafe(|| (codec.encode)(state)));
        let error = match encoded {
            Ok(Ok(bytes)) => {
                // The activity stamp is the moment of the request that made the change.
                if persisted.record(change, bytes, self.entry.last_active_ms())
                    && let Some(shared) = self.shared.upgrade()
                    && let Some(persistence) = &shared.persistence
                {
                    persistence.push(&self.entry);
                }
                return;
            }
            Ok(Err(error)) => error.to_string(),
            Err(panic) => panic_text(panic),
        };
        persisted.unrecorded(change);
        telemetry::snapshot_failed(
            self.entry.id().redacted(),
            self.entry.session_type(),
            &error,
        );
    }

    /// Runs one of the inner actor's callbacks with the session in scope, catching panics.
    async fn guarded<T>(
        &self,
        callback: impl Future<Output = Result<T, ActorProcessingErr>>,
    ) -> Result<T, ActorProcessingErr> {
        let outcome = CURRENT
            .scope(
                Arc::clone(&self.entry),
                AssertUnwindSafe(callback).catch_unwind(),
            )
            .await;
        let error: ActorProcessingErr = match outcome {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => error,
            Err(panic) => panic_text(panic).into(),
        };
        // The actor is about to stop: report it now, with the cause, so watchers and the
        // registry learn of it before anyone waiting on the actor does.
        self.end(EndReason::Crashed(error.to_string()));
        Err(error)
    }
}

fn panic_text(panic: Box<dyn Any + Send>) -> String {
    format!("panicked: {}", panic_message(panic))
}

fn panic_message(panic: Box<dyn Any + Send>) -> String {
    match panic.downcast::<String>() {
        Ok(text) => *text,
        Err(panic) => match panic.downcast::<&'static str>() {
            Ok(text) => (*text).to_owned(),
            Err(_) => "panic with a non-string payload".to_owned(),
        },
    }
}

impl<A: Actor> Drop for SessionActor<A> {
    fn drop(&mut self) {
        // Reached without `post_stop` when the actor was killed (or failed to start, in
        // which case the entry was never registered and this only marks it ended). An
        // actor that never started for a registered entry was reviving a parked session:
        // its reviver parks the session again or ends it, with the revival's error.
        if self.turn.has_started() || !self.entry.is_registered() {
            self.end(EndReason::Terminated);
        }
        if self.turn.is_counted() {
            // Dropped after ractor unlinked the actor from its supervisor.
            park::released(&self.shared);
        }
    }
}

impl<A: Actor> Actor for SessionActor<A> {
    type Msg = A::Msg;
    type State = A::State;
    type Arguments = A::Arguments;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        // Not `guarded`: a failed start is reported to the caller as `StartFailed` and the
        // entry was never live. The panic is caught here rather than by ractor, which
        // reports an error and a panic alike; the start tells them apart (see
        // `PreStartFailure`).
        let outcome = CURRENT
            .scope(
                Arc::clone(&self.entry),
                AssertUnwindSafe(self.inner.pre_start(myself, args)).catch_unwind(),
            )
            .await;
        match outcome {
            Ok(Ok(state)) => {
                self.turn.start();
                Ok(state)
            }
            Ok(Err(error)) => Err(PreStartFailure::Returned(error).into()),
            Err(panic) => Err(PreStartFailure::panicked(panic_message(panic)).into()),
        }
    }

    async fn post_start(
        &self,
        myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        self.guarded(self.inner.post_start(myself, state)).await?;
        // The state a durable session starts with (fresh, or restored and perhaps
        // migrated) is written like any change.
        if let Some(codec) = self.durable
            && let Some(persisted) = self.entry.persisted()
        {
            self.record(codec, persisted.begin_change(), state);
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let Some(codec) = self.durable.filter(|codec| (codec.mutates)(&message)) else {
            return self
                .guarded(self.inner.handle(myself, message, state))
                .await;
        };
        // Numbered before the handler runs, so that a caller that has its reply (sent
        // from inside the handler) already counts this change as one to wait for.
        let change = self.entry.persisted().map(|p| p.begin_change());
        self.guarded(self.inner.handle(myself, message, state))
            .await?;
        if let Some(change) = change {
            self.record(codec, change, state);
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        message: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        self.guarded(self.inner.handle_supervisor_evt(myself, message, state))
            .await
    }

    async fn post_stop(
        &self,
        myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let result = self.guarded(self.inner.post_stop(myself, state)).await;
        if let Some(codec) = self.durable {
            // Drained to be parked: the session goes on without this actor.
            match park::hand_over(&self.shared, &self.entry, codec, state) {
                HandOver::Parked => {
                    self.turn.hand_over();
                    return result;
                }
                HandOver::Failed(error) => self.end(EndReason::Crashed(error)),
                HandOver::Ends => {}
            }
        }
        self.end(EndReason::Terminated);
        result
    }
}
