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

use crate::durable::Codec;
use crate::entry::Entry;
use crate::error::SessionError;
use crate::expiry;
use crate::id::SessionId;
use crate::overflow::Admission;
use crate::park;
use crate::parking::Turn;
use crate::registry::Registration;
use crate::session::{self, SessionActor};
use crate::shared::Shared;
use crate::telemetry::{self, short_type_name};
use crate::watch::EndReason;

use super::revive;

/// What a start does when the ID is already live.
#[derive(Clone, Copy, Debug)]
pub(super) enum IfLive {
    /// Fails with `AlreadyStarted`.
    Refuse,
    /// Returns the live session.
    Return,
}

impl IfLive {
    /// What a start of `id` returns on finding its session `entry` live.
    pub(super) fn found(
        self,
        id: &SessionId,
        entry: Arc<Entry>,
    ) -> Result<Arc<Entry>, SessionError> {
        match self {
            Self::Return => Ok(entry),
            Self::Refuse => match entry.actor() {
                Some(actor) => Err(SessionError::AlreadyStarted {
                    id: id.clone(),
                    actor,
                }),
                // Ended between the claim and now.
                None => Err(SessionError::not_found(id.as_str())),
            },
        }
    }
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
    let claiming = Claiming::Start(admission);
    let mut gate = match claim(shared, &id, session_type, if_live, claiming).await? {
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
    // With a store, the ID may name a stored session: it is revived, never replaced by
    // a fresh one (which would overwrite it at its first write). Revived, it is a
    // session that came back: never provisional, whatever the admission said.
    // (Boxed, so that starts without a store do not carry the revival's state machine.)
    if shared.persistence.is_some()
        && let Some(entry) = Box::pin(revive::claimed(shared, &id, &mut gate)).await?
    {
        gate.revived();
        return if_live.found(&id, entry);
    }

    let began = Instant::now();
    let registry = &shared.registry;
    let entry = Entry::new(
        id.clone(),
        shared.types.get(session_type, TypeId::of::<A::Msg>()),
        &registry.clock,
        registry.lifetime_ms,
    );
    // A session of a durable type is linked to its record-to-be (no record yet: epoch 0),
    // and can park when the manager passivates.
    let (entry, durable) = match shared.durable::<A>() {
        Some((kind, codec)) => (park::durable_entry(shared, entry, kind, 0), Some(codec)),
        None => (entry, None),
    };
    let entry = Arc::new(entry);
    let (actor, args) = make();
    match spawn_actor(shared, &entry, actor, args, durable).await {
        Ok(()) => {
            let live_at = go_live(shared, &id, &entry, admission.is_provisional());
            gate.succeed();
            registry.counters.started();
            telemetry::started(
                id.redacted(),
                &entry.kind,
                live_at.saturating_duration_since(began),
            );
            Ok(entry)
        }
        Err(spawn) => {
            drop(gate);
            Err(shared.start_failed(id, session_type, spawn))
        }
    }
}

/// Spawns `actor` with `args` as the actor of `entry`, linked to the supervisor.
pub(super) async fn spawn_actor<A: Actor>(
    shared: &Arc<Shared>,
    entry: &Arc<Entry>,
    actor: A,
    args: A::Arguments,
    durable: Option<Codec<A>>,
) -> Result<(), ractor::SpawnErr> {
    // Under `max_active`, a place for this actor first (parking others if need be).
    let counted = park::reserve(shared, entry, session::is_current).await;
    let session = SessionActor {
        inner: actor,
        entry: Arc::clone(entry),
        shared: Arc::downgrade(shared),
        durable,
        turn: Turn::new(counted),
    };
    let (actor, _task) =
        Actor::spawn_linked(None, session, args, shared.supervisor.clone()).await?;
    entry.set_actor(actor.get_cell());
    Ok(())
}

/// Makes a spawned entry live: stamped active now, `provisional` or not (see
/// `overflow`), registered under `id`, armed for expiry. Returns the moment it went live.
/// The caller then releases its claim.
pub(super) fn go_live(
    shared: &Shared,
    id: &SessionId,
    entry: &Arc<Entry>,
    provisional: bool,
) -> Instant {
    let registry = &shared.registry;
    // The idle timeout runs from the moment the session is live, not from when its start
    // began: a slow `pre_start` must not eat into it.
    let live_at = Instant::now();
    entry.touch_at(&registry.clock, live_at);
    if provisional {
        entry.mark_provisional();
    }
    registry.register(id, entry);
    if provisional {
        shared.provisional.enlist(entry);
    }
    park::track(shared, entry);
    expiry::arm_new(shared, entry);
    live_at
}

/// What a claim of an ID takes under the limits.
#[derive(Clone, Copy, Debug)]
pub(super) enum Claiming {
    /// A start, admitted as its [`Admission`] says: a place under `max_sessions` (found
    /// by an eviction, for a provisional start) and a rate-limit token, with the claim.
    Start(Admission),
    /// A revival from the store: a place only, and only once a record is found
    /// (`StartGate::admit_revival`). Reviving is not creating: after a restart, users
    /// coming back must not run into the creation rate limit, nor be turned away for
    /// sessions that never came back (a revival evicts one at `max_sessions`, as a
    /// provisional start does).
    Revival,
}

/// The outcome of claiming an ID.
pub(super) enum Claim<'a> {
    /// The ID is live and the start was asked to return it.
    Live(Arc<Entry>),
    /// The ID is ours to start.
    Gate(StartGate<'a>),
}

/// Claims `id` for a start (or a revival), waiting out any start of it already under way.
pub(super) async fn claim<'a>(
    shared: &'a Arc<Shared>,
    id: &'a SessionId,
    session_type: &'static str,
    if_live: IfLive,
    claiming: Claiming,
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
                let (place, token) = match claiming {
                    Claiming::Start(admission) => {
                        let token = admission.is_rate_limited() && shared.rate.is_some();
                        if let Err(error) = admit(shared, id, session_type, token) {
                            // Full: a provisional start makes room and tries again,
                            // evicting outside the shard lock (the eviction may need it).
                            if is_full(&error) && admission.is_provisional() {
                                drop(vacant);
                                if evict_one(shared) {
                                    continue;
                                }
                            }
                            return Err(refused(id, session_type, error));
                        }
                        (true, token)
                    }
                    Claiming::Revival => (false, false),
                };
                vacant.insert(Registration::Starting);
                return Ok(Claim::Gate(StartGate {
                    shared,
                    id,
                    place,
                    token,
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
                // A parked session is revived: it is live, and its caller gets its actor.
                park::activate(shared, &entry).await?;
                return if_live.found(id, entry).map(Claim::Live);
            }
            // Another task is starting this ID: wait until it is done, then look again.
            Registration::Starting => start_done.await,
        }
    }
}

/// Reserves a place under `max_sessions` and, with `token`, a rate-limit token for one
/// start. A refusal for want of a place is not reported here: the caller may still make
/// room (`evict_one`), and reports only its final refusal (`refused`).
fn admit(
    shared: &Shared,
    id: &SessionId,
    session_type: &'static str,
    token: bool,
) -> Result<(), SessionError> {
    let limit = &shared.registry.limit;
    if !limit.try_reserve() {
        return Err(SessionError::SessionLimitReached { max: limit.max() });
    }
    if token
        && let Some(rate) = &shared.rate
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

fn is_full(error: &SessionError) -> bool {
    matches!(error, SessionError::SessionLimitReached { .. })
}

/// A start's (or a revival's) final refusal by `admit`, reported.
fn refused(id: &SessionId, session_type: &'static str, error: SessionError) -> SessionError {
    if is_full(&error) {
        telemetry::start_error(id.redacted(), session_type, "session_limit");
    }
    error
}

/// Ends the least recently started provisional session to make room at
/// `max_sessions`; `false` when none is left. With a store, its record is deleted (a
/// session that never came back is not kept for later), and from before its ID is free
/// it is never revived from it (see `Persistence::ending`).
fn evict_one(shared: &Shared) -> bool {
    shared.provisional.evict_one(&shared.registry, |entry| {
        if let Some(persistence) = &shared.persistence {
            persistence.ending(entry, EndReason::Evicted);
        }
    })
}

/// Holds an ID's `Starting` registration, its place under `max_sessions` and its
/// rate-limit token while the actor spawns. Dropped without `succeed` (a failed spawn, or
/// the start future cancelled), it gives all three back; either way waiters are woken.
pub(super) struct StartGate<'a> {
    shared: &'a Shared,
    id: &'a SessionId,
    /// Whether it holds a place under `max_sessions`.
    place: bool,
    /// Whether it holds a rate-limit token.
    token: bool,
    done: bool,
}

impl StartGate<'_> {
    /// The session is registered: its place and token are now its own.
    pub(super) fn succeed(mut self) {
        self.done = true;
    }

    /// A stored session was revived instead of a fresh one started: it keeps the place,
    /// and the creation token goes back.
    pub(super) fn revived(mut self) {
        if std::mem::take(&mut self.token)
            && let Some(rate) = &self.shared.rate
        {
            rate.refund();
        }
        self.succeed();
    }

    /// Takes the place under `max_sessions` of a revival, if the claim has none yet,
    /// evicting a provisional session when none is free.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionLimitReached`] when no place is free and no provisional
    /// session is left to evict.
    pub(super) fn admit_revival(&mut self, session_type: &'static str) -> Result<(), SessionError> {
        while !self.place {
            match admit(self.shared, self.id, session_type, false) {
                Ok(()) => self.place = true,
                // A user coming back outranks one who never did: no shard lock is held
                // here, so the eviction can run at once.
                Err(full) if is_full(&full) && evict_one(self.shared) => {}
                Err(error) => return Err(refused(self.id, session_type, error)),
            }
        }
        Ok(())
    }
}

impl Drop for StartGate<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.shared.registry.remove_starting(self.id);
            if self.place {
                self.shared.registry.limit.release();
            }
            if self.token
                && let Some(rate) = &self.shared.rate
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
