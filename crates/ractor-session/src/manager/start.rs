//! Starting a session: claim its ID, admit it under the limits, spawn its actor, register
//! it and arm its expiry.
//!
//! The ID is claimed with a `Starting` registration under the registry shard's lock, so
//! racing starts of one ID spawn exactly one actor: the others wait for it, then find it
//! live (or the ID free again, if the start failed). A [`StartGate`] holds the claim and
//! gives everything back if the start fails or is cancelled.

use std::any::{TypeId, type_name};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use dashmap::mapref::entry::Entry as MapEntry;
use ractor::Actor;
use tokio::time::Instant;

use crate::entry::Entry;
use crate::error::{PreStartFailure, SessionError};
use crate::expiry;
use crate::id::SessionId;
use crate::overflow::Admission;
use crate::registry::Registration;
use crate::session::SessionActor;
use crate::shared::Shared;
use crate::telemetry::{self, short_type_name};

/// What a start does when the ID is already live.
#[derive(Clone, Copy, Debug)]
pub(super) enum IfLive {
    /// Fails with `AlreadyStarted`.
    Refuse,
    /// Returns the live session.
    Return,
}

/// Starts the session `id` with the actor and arguments `make` returns (called only when
/// an actor is spawned); returns its entry, live and armed for expiry.
pub(super) async fn start<A: Actor>(
    shared: &Arc<Shared>,
    id: &str,
    make: impl FnOnce() -> (A, A::Arguments),
    if_live: IfLive,
    admission: Admission,
) -> Result<Arc<Entry>, SessionError> {
    let session_type = short_type_name(type_name::<A>());
    // A refused ID is a refused start, and recorded as one: a flood of tampered or
    // guessed IDs must leave a trace.
    let id = SessionId::parse(id).inspect_err(|invalid| {
        telemetry::invalid_id(session_type, invalid);
    })?;
    let gate = match claim(shared, &id, session_type, if_live, admission).await? {
        Claim::Live(entry) => return Ok(entry),
        Claim::Gate(gate) => gate,
    };
    // Checked again now that the `Starting` registration is in the registry: either
    // `shutdown` (which sets the flag, then waits for every `Starting` registration) sees
    // it and waits for this start to finish, or this sees the flag. Checking only before
    // claiming the ID let a session start after `shutdown` had stopped the others, never
    // told `Shutdown` and possibly left running.
    if shared.shutting_down.load(Ordering::SeqCst) {
        return Err(SessionError::ManagerShutdown);
    }

    let began = Instant::now();
    let registry = &shared.registry;
    let entry = Arc::new(Entry::new(
        id.clone(),
        TypeId::of::<A::Msg>(),
        session_type,
        &registry.clock,
        registry.lifetime_ms,
    ));
    let (actor, args) = make();
    let session = SessionActor {
        inner: actor,
        entry: Arc::clone(&entry),
        shared: Arc::downgrade(shared),
    };
    match Actor::spawn_linked(None, session, args, shared.supervisor.clone()).await {
        Ok((actor, _task)) => {
            let _ = entry.actor.set(actor.get_cell());
            // The idle timeout runs from the moment the session is live, not from when
            // its start began: a slow `pre_start` must not eat into it.
            let live_at = Instant::now();
            entry.touch_at(&registry.clock, live_at);
            if admission.is_provisional() {
                entry.mark_provisional();
            }
            registry.register(&id, &entry);
            if admission.is_provisional() {
                shared.provisional.enlist(&entry);
            }
            gate.succeed();
            expiry::arm_new(shared, &entry);
            registry.counters.started();
            telemetry::started(
                id.redacted(),
                session_type,
                live_at.saturating_duration_since(began),
            );
            Ok(entry)
        }
        Err(spawn) => {
            drop(gate);
            Err(start_failed(shared, id, session_type, spawn))
        }
    }
}

/// The error for a start whose spawn failed: the actor's own error or panic as the source
/// of `StartFailed`. ractor's own refusal after a successful `pre_start` (the supervisor
/// had stopped) means the manager shut down meanwhile, and is reported so.
fn start_failed(
    shared: &Shared,
    id: SessionId,
    session_type: &'static str,
    spawn: ractor::SpawnErr,
) -> SessionError {
    let source = PreStartFailure::cause(spawn);
    if source.is::<ractor::SpawnErr>() && shared.shutting_down.load(Ordering::SeqCst) {
        // Not a start error, like every other start refused after `shutdown`.
        return SessionError::ManagerShutdown;
    }
    telemetry::start_error(id.redacted(), session_type, "start_failed");
    SessionError::StartFailed { id, source }
}

/// The outcome of claiming an ID.
enum Claim<'a> {
    /// The ID is live and the start was asked to return it.
    Live(Arc<Entry>),
    /// The ID is ours to start.
    Gate(StartGate<'a>),
}

/// Claims `id` for a start, waiting out any start of it already under way.
async fn claim<'a>(
    shared: &'a Shared,
    id: &'a SessionId,
    session_type: &'static str,
    if_live: IfLive,
    admission: Admission,
) -> Result<Claim<'a>, SessionError> {
    loop {
        if shared.shutting_down.load(Ordering::SeqCst) {
            return Err(SessionError::ManagerShutdown);
        }
        // Created before looking, so a start finishing in between is not missed.
        let start_done = shared.start_done.notified();
        let existing = match shared.registry.entry(id.clone()) {
            MapEntry::Occupied(occupied) => occupied.get().clone(),
            MapEntry::Vacant(vacant) => {
                // Admitted under the registry shard's lock, so the ID is ours alone;
                // refused attempts take neither a place nor a token.
                if let Err(error) = admit(shared, id, session_type, admission) {
                    // Full: a provisional start makes room and tries again, evicting
                    // outside the shard lock (the eviction may need it).
                    let full = matches!(error, SessionError::SessionLimitReached { .. });
                    if full && admission.is_provisional() {
                        drop(vacant);
                        if shared.provisional.evict_one(&shared.registry) {
                            continue;
                        }
                        telemetry::start_error(id.redacted(), session_type, "session_limit");
                    }
                    return Err(error);
                }
                vacant.insert(Registration::Starting);
                return Ok(Claim::Gate(StartGate {
                    shared,
                    id,
                    admission,
                    done: false,
                }));
            }
        };
        match existing {
            // Past its deadline: expired on the spot, so the next look finds the ID free.
            Registration::Live(entry)
                if matches!(if_live, IfLive::Return)
                    && shared.registry.check_deadline(&entry).is_none() => {}
            Registration::Live(entry) => {
                return match if_live {
                    IfLive::Return => Ok(Claim::Live(entry)),
                    IfLive::Refuse => {
                        let actor = entry
                            .actor
                            .get()
                            .cloned()
                            .expect("live entries have an actor");
                        Err(SessionError::AlreadyStarted {
                            id: id.clone(),
                            actor,
                        })
                    }
                };
            }
            // Another task is starting this ID: wait until it is done, then look again.
            Registration::Starting => start_done.await,
        }
    }
}

/// Reserves a place under `max_sessions` and a rate-limit token for one start.
fn admit(
    shared: &Shared,
    id: &SessionId,
    session_type: &'static str,
    admission: Admission,
) -> Result<(), SessionError> {
    let limit = &shared.registry.limit;
    if !limit.try_reserve() {
        // A provisional start may still make room: only its final refusal is reported.
        if !admission.is_provisional() {
            telemetry::start_error(id.redacted(), session_type, "session_limit");
        }
        return Err(SessionError::SessionLimitReached { max: limit.max() });
    }
    if let Some(rate) = shared.rate.as_ref().filter(|_| admission.is_rate_limited())
        && !rate.try_acquire()
    {
        limit.release();
        telemetry::rate_limited(id.redacted(), rate.per_minute());
        telemetry::start_error(id.redacted(), session_type, "rate_limit");
        return Err(SessionError::RateLimitExceeded {
            limit: rate.per_minute(),
        });
    }
    Ok(())
}

/// Holds an ID's `Starting` registration, its place under `max_sessions` and its
/// rate-limit token while the actor spawns. Dropped without `succeed` (a failed spawn, or
/// the start future cancelled), it gives all three back; either way waiters are woken.
struct StartGate<'a> {
    shared: &'a Shared,
    id: &'a SessionId,
    admission: Admission,
    done: bool,
}

impl StartGate<'_> {
    /// The session is registered: its place and token are now its own.
    fn succeed(mut self) {
        self.done = true;
    }
}

impl Drop for StartGate<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.shared.registry.remove_starting(self.id);
            self.shared.registry.limit.release();
            if let Some(rate) = self.shared.rate.as_ref()
                && self.admission.is_rate_limited()
            {
                rate.refund();
            }
        }
        self.shared.start_done.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "test-util")]
    #[tokio::test(flavor = "current_thread")]
    async fn claiming_an_id_to_start_it_counts_as_a_registry_lookup() {
        use crate::test_util::registry_lookups;
        use crate::{KvSession, SessionManager};

        let manager = SessionManager::spawn(Default::default()).await.unwrap();
        let make = || (KvSession, Default::default());

        let before = registry_lookups();
        manager.start("s1").await.unwrap();
        assert_eq!(registry_lookups() - before, 1, "the claim of the ID");

        let before = registry_lookups();
        manager.get_or_start_session_with("s2", make).await.unwrap();
        assert_eq!(
            registry_lookups() - before,
            1,
            "the claim finds the ID free"
        );

        let before = registry_lookups();
        manager.get_or_start_session_with("s2", make).await.unwrap();
        assert_eq!(registry_lookups() - before, 1, "found live at once");

        let before = registry_lookups();
        assert!(manager.start("s2").await.is_err());
        assert_eq!(registry_lookups() - before, 1, "the claim finds it live");
        manager.shutdown().await;
    }
}
