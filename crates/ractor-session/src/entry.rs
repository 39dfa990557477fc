//! [`Entry`]: one session's bookkeeping and its lifecycle.
//!
//! An entry is made when a start begins, holds the session's activity stamp and deadlines,
//! and ends exactly once. Its end is claimed by whoever sees the actor stop first (the
//! session's own wrapper, `terminate`, `shutdown`); the claimer takes it out of the
//! registry, then calls [`Entry::finish`], which tells its watchers and telemetry. The entry
//! knows nothing of the registry that holds it: the registry marks it registered and
//! deregistered through the methods here.

use std::any::{TypeId, type_name};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use arc_swap::ArcSwapOption;
use ractor::{ActorCell, ActorRef, Message};
use tokio::sync::oneshot;
use tokio::time::{Duration, Instant};

use crate::clock::Clock;
use crate::error::SessionError;
use crate::id::SessionId;
use crate::parking::Parking;
use crate::persisted::Persisted;
use crate::session_type::SessionType;
use crate::telemetry;
use crate::user::UserKey;
use crate::watch::{EndReason, SessionWatch};
use crate::wheel::{WheelItem, WheelPosition};

/// One session's bookkeeping, shared by the registry, the expiry wheel and the actor.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Its current ID (rotation changes it). The registry holds this lock while it moves
    /// or removes the entry, so the two always agree.
    id: Mutex<SessionId>,
    /// The running actor: none while the session is parked (see `passivation`), or before
    /// its first actor has spawned. Swapped, not locked: the hot path reads it.
    actor: ArcSwapOption<ActorCell>,
    /// Whether an actor ever ran: the session had been live (for telemetry at its end).
    has_run: AtomicBool,
    /// Its actor type: name, message type, metrics handles.
    pub(crate) kind: Arc<SessionType>,
    pub(crate) started_at: SystemTime,
    pub(crate) started_ms: u64,
    last_active_ms: AtomicU64,
    /// The end of its absolute lifetime (`u64::MAX` without one), in clock milliseconds.
    /// Atomic so that a web layer can shorten it after the start (`SessionHandle::limit_lifetime`).
    hard_deadline_ms: AtomicU64,
    registered: AtomicBool,
    ended: AtomicBool,
    /// Started provisional and not used by its ID since (see `overflow`).
    provisional: AtomicBool,
    wheel_position: WheelPosition,
    lifecycle: Mutex<Lifecycle>,
    /// Its link to the store, for a durable session of a manager with one: boxed, so that
    /// other sessions pay one pointer for it.
    persisted: Option<Box<Persisted>>,
    /// The user it is bound to, if any (see `user_index`: bound only while registered).
    user: Mutex<Option<UserKey>>,
    /// Its parking state, for a session that can be parked (a durable type, a manager
    /// that passivates): boxed, so that other sessions pay one pointer for it.
    parking: Option<Box<Parking>>,
}

#[derive(Debug, Default)]
struct Lifecycle {
    /// The reason given by whoever asked the actor to stop.
    requested: Option<EndReason>,
    watchers: Vec<oneshot::Sender<EndReason>>,
    ended: Option<EndReason>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing in this crate panics while holding these locks; a poisoned lock would only
    // come from a panicking allocator, and the data stays consistent either way.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Entry {
    /// A new entry, stamped active now; `lifetime_ms` is the absolute lifetime, if any.
    pub(crate) fn new(
        id: SessionId,
        kind: Arc<SessionType>,
        clock: &Clock,
        lifetime_ms: Option<u64>,
    ) -> Self {
        let now = clock.stamp_ms();
        Self {
            id: Mutex::new(id),
            actor: ArcSwapOption::empty(),
            has_run: AtomicBool::new(false),
            kind,
            started_at: SystemTime::now(),
            started_ms: now,
            last_active_ms: AtomicU64::new(now),
            hard_deadline_ms: AtomicU64::new(
                lifetime_ms.map_or(u64::MAX, |max| now.saturating_add(max)),
            ),
            registered: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            provisional: AtomicBool::new(false),
            wheel_position: WheelPosition::default(),
            lifecycle: Mutex::new(Lifecycle::default()),
            persisted: None,
            user: Mutex::new(None),
            parking: None,
        }
    }

    /// The entry, able to be parked as `parking` says.
    pub(crate) fn with_parking(mut self, parking: Parking) -> Self {
        self.parking = Some(Box::new(parking));
        self
    }

    /// Its parking state, if it can be parked.
    pub(crate) fn parking(&self) -> Option<&Parking> {
        self.parking.as_deref()
    }

    /// The running actor, if any.
    pub(crate) fn actor(&self) -> Option<ActorCell> {
        // A guard, not a full load: one reference count (the cell's) is taken, not two.
        self.actor.load().as_deref().cloned()
    }

    /// Whether `actor` is the running actor.
    pub(crate) fn runs(&self, actor: &ActorCell) -> bool {
        self.actor
            .load()
            .as_deref()
            .is_some_and(|current| current.get_id() == actor.get_id())
    }

    /// Sets the running actor once it has spawned.
    pub(crate) fn set_actor(&self, actor: ActorCell) {
        self.actor.store(Some(Arc::new(actor)));
        self.has_run.store(true, Ordering::Release);
    }

    /// Forgets the actor of a session being parked.
    pub(crate) fn clear_actor(&self) {
        self.actor.store(None);
    }

    /// Whether an actor ever ran for this session.
    pub(crate) fn has_run(&self) -> bool {
        self.has_run.load(Ordering::Acquire)
    }

    /// The entry, linked to its record in the store.
    pub(crate) fn with_persisted(mut self, persisted: Persisted) -> Self {
        self.persisted = Some(Box::new(persisted));
        self
    }

    /// The entry, with the end of its absolute lifetime at `deadline_ms` (clock
    /// milliseconds) rather than its configured lifetime from now: a restored session
    /// keeps the deadline it had.
    pub(crate) fn with_hard_deadline_ms(self, deadline_ms: u64) -> Self {
        self.hard_deadline_ms.store(deadline_ms, Ordering::Relaxed);
        self
    }

    /// Its link to the store, if it is a durable session of a manager with one.
    pub(crate) fn persisted(&self) -> Option<&Persisted> {
        self.persisted.as_deref()
    }

    /// The end of its absolute lifetime in clock milliseconds (`u64::MAX` without one).
    pub(crate) fn hard_deadline_ms(&self) -> u64 {
        self.hard_deadline_ms.load(Ordering::Relaxed)
    }

    /// Its actor type's short name.
    pub(crate) fn session_type(&self) -> &'static str {
        self.kind.name
    }

    pub(crate) fn id(&self) -> SessionId {
        lock(&self.id).clone()
    }

    /// Whether its current ID is `id`, compared under the lock (no copy).
    pub(crate) fn has_id(&self, id: &SessionId) -> bool {
        *lock(&self.id) == *id
    }

    /// The ID, locked: for the registry, to move or remove the entry under its ID.
    pub(crate) fn lock_id(&self) -> MutexGuard<'_, SessionId> {
        lock(&self.id)
    }

    /// The user it is bound to, if any.
    pub(crate) fn user(&self) -> Option<UserKey> {
        lock(&self.user).clone()
    }

    /// The user slot, locked: for the user index, to bind and unbind.
    pub(crate) fn lock_user(&self) -> MutexGuard<'_, Option<UserKey>> {
        lock(&self.user)
    }

    /// Records activity at `at` (an instant the caller already read).
    pub(crate) fn touch_at(&self, clock: &Clock, at: Instant) {
        self.last_active_ms
            .store(clock.stamp_at(at), Ordering::Relaxed);
    }

    pub(crate) fn last_active_ms(&self) -> u64 {
        self.last_active_ms.load(Ordering::Relaxed)
    }

    /// When this session expires if nothing else happens: the earlier of its idle deadline
    /// and its absolute one, in clock milliseconds.
    pub(crate) fn deadline_ms(&self, idle_ms: u64) -> u64 {
        self.last_active_ms()
            .saturating_add(idle_ms)
            .min(self.hard_deadline_ms.load(Ordering::Relaxed))
    }

    /// Moves the end of the absolute lifetime to `deadline_ms` if that is earlier; returns
    /// whether it moved. Whoever arms the entry reads the deadline under the wheel's lock,
    /// so a change made before taking that lock is never missed.
    pub(crate) fn limit_hard_deadline(&self, deadline_ms: u64) -> bool {
        self.hard_deadline_ms
            .fetch_min(deadline_ms, Ordering::Relaxed)
            > deadline_ms
    }

    /// Marks a session started provisional, before it is registered.
    pub(crate) fn mark_provisional(&self) {
        self.provisional.store(true, Ordering::Relaxed);
    }

    /// The session's ID was used again: it is no longer provisional. One relaxed load on
    /// every lookup; the store happens once.
    pub(crate) fn mark_returned(&self) {
        if self.provisional.load(Ordering::Relaxed) {
            self.provisional.store(false, Ordering::Relaxed);
        }
    }

    pub(crate) fn is_provisional(&self) -> bool {
        self.provisional.load(Ordering::Relaxed)
    }

    /// Claims a provisional session for eviction: `true` only if it still was one.
    pub(crate) fn take_provisional(&self) -> bool {
        self.provisional.swap(false, Ordering::Relaxed)
    }

    /// Whether a registry holds this entry as live.
    pub(crate) fn is_registered(&self) -> bool {
        self.registered.load(Ordering::SeqCst)
    }

    /// For the registry, as it puts the entry in its map.
    pub(crate) fn mark_registered(&self) {
        self.registered.store(true, Ordering::SeqCst);
    }

    /// For the registry, as it takes the entry out: `true` for the first caller only.
    pub(crate) fn take_registered(&self) -> bool {
        self.registered.swap(false, Ordering::SeqCst)
    }

    /// Claims the end of this session: `true` for the first caller only, who must then
    /// take the entry out of its registry and call [`finish`](Self::finish).
    ///
    /// Pairs with [`is_ended`](Self::is_ended) in registration: the claimer stores `ended`
    /// before it deregisters (which swaps `registered`); the registry stores `registered`
    /// before it loads `ended`. With SeqCst one of the two sees the other, so an actor
    /// that stops while its start registers it is never left registered.
    pub(crate) fn claim_end(&self) -> bool {
        !self.ended.swap(true, Ordering::SeqCst)
    }

    pub(crate) fn is_ended(&self) -> bool {
        self.ended.load(Ordering::SeqCst)
    }

    /// Records why the actor is being stopped, unless a reason is already recorded.
    pub(crate) fn request_stop(&self, reason: EndReason) {
        lock(&self.lifecycle).requested.get_or_insert(reason);
    }

    /// Records why the actor is being stopped, replacing an earlier request: for whoever
    /// took the entry out of the registry, who decides the session's end.
    pub(crate) fn stop_for(&self, reason: EndReason) {
        lock(&self.lifecycle).requested = Some(reason);
    }

    /// A watch on this session's end, or on `asked`, the ID it was found under, being
    /// rotated away.
    pub(crate) fn watch(&self, asked: &str) -> SessionWatch {
        let mut life = lock(&self.lifecycle);
        if let Some(reason) = &life.ended {
            return SessionWatch::ready(reason.clone());
        }
        // Rotated between the lookup and now: `notify_rotated` has run or is about to run
        // (it takes this lock after changing the ID) and would miss this watcher.
        if lock(&self.id).as_str() != asked {
            return SessionWatch::ready(EndReason::Rotated);
        }
        let (tx, rx) = oneshot::channel();
        life.watchers.retain(|w| !w.is_closed());
        life.watchers.push(tx);
        SessionWatch::waiting(rx)
    }

    /// Why the session would end if it ended now, with `fallback` as `finish` takes it.
    pub(crate) fn ending_reason(&self, fallback: EndReason) -> EndReason {
        told(lock(&self.lifecycle).requested.clone(), fallback)
    }

    /// Why the session ended, once it has.
    pub(crate) fn end_reason(&self) -> Option<EndReason> {
        lock(&self.lifecycle).ended.clone()
    }

    /// Why the session ended, or is being stopped.
    pub(crate) fn stop_reason(&self) -> Option<EndReason> {
        let life = lock(&self.lifecycle);
        life.ended.clone().or_else(|| life.requested.clone())
    }

    /// Tells current watchers that the watched ID was rotated away; the session goes on.
    pub(crate) fn notify_rotated(&self) {
        let watchers = std::mem::take(&mut lock(&self.lifecycle).watchers);
        for w in watchers {
            let _ = w.send(EndReason::Rotated);
        }
    }

    /// The session has ended, its end claimed and the entry deregistered: tells watchers
    /// why, and records it. `clock` is the manager's, if it is still there; the reason is
    /// the one requested, or `fallback` (a crash outranks any request). Returns it if the
    /// session had been live (its actor had started), as telemetry reports it.
    pub(crate) fn finish(&self, fallback: EndReason, clock: Option<&Clock>) -> Option<EndReason> {
        debug_assert!(self.is_ended(), "finish without claim_end");
        let (reason, watchers) = {
            let mut life = lock(&self.lifecycle);
            let requested = life.requested.take();
            let reason = told(requested, fallback);
            life.ended = Some(reason.clone());
            (reason, std::mem::take(&mut life.watchers))
        };
        for w in watchers {
            let _ = w.send(reason.clone());
        }
        if self.has_run() {
            // The manager's monotonic clock, as for expiry: the wall clock can jump.
            let lived = match clock {
                Some(clock) => {
                    Duration::from_millis(clock.now_ms().saturating_sub(self.started_ms))
                }
                None => self.started_at.elapsed().unwrap_or_default(),
            };
            telemetry::stopped(self.id().redacted(), &self.kind, &reason, lived);
            return Some(reason);
        }
        None
    }
}

/// The reason an end is told: the one requested, or `fallback` (a crash outranks any
/// request: the actor failed).
fn told(requested: Option<EndReason>, fallback: EndReason) -> EndReason {
    match fallback {
        EndReason::Crashed(_) => fallback,
        _ => requested.unwrap_or(fallback),
    }
}

/// The session's actor, typed by its message type `M`.
pub(crate) fn typed<M: Message>(entry: &Entry) -> Result<ActorRef<M>, SessionError> {
    let Some(actor) = entry.actor() else {
        return Err(SessionError::ProcessNotFound { id: entry.id() });
    };
    check_type::<M>(entry)?;
    Ok(actor.into())
}

/// Checks that the session `entry` takes messages of type `M`.
pub(crate) fn check_type<M: Message>(entry: &Entry) -> Result<(), SessionError> {
    if entry.kind.message != TypeId::of::<M>() {
        return Err(SessionError::WrongSessionType {
            id: entry.id(),
            expected: type_name::<M>(),
            actual: entry.session_type(),
        });
    }
    Ok(())
}

impl WheelItem for Entry {
    fn wheel_position(&self) -> &WheelPosition {
        &self.wheel_position
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt as _;

    use super::*;

    fn test_kind() -> Arc<SessionType> {
        Arc::new(SessionType::new("Test", std::any::TypeId::of::<()>()))
    }

    fn entry(lifetime_ms: Option<u64>) -> Entry {
        let id = SessionId::parse("s1").unwrap();
        Entry::new(id, test_kind(), &Clock::new(), lifetime_ms)
    }

    fn ended_with(entry: &Entry, fallback: EndReason) -> EndReason {
        let watch = entry.watch("s1");
        assert!(entry.claim_end());
        entry.finish(fallback, None);
        watch.now_or_never().expect("told at once")
    }

    #[test]
    fn the_deadline_is_the_earlier_of_idle_and_lifetime() {
        let bounded = entry(Some(1_000));
        let start = bounded.started_ms;
        assert_eq!(bounded.deadline_ms(500), start + 500);
        assert_eq!(bounded.deadline_ms(5_000), start + 1_000);
        let unbounded = entry(None);
        assert_eq!(unbounded.deadline_ms(5_000), unbounded.started_ms + 5_000);
        assert_eq!(unbounded.deadline_ms(u64::MAX), u64::MAX);
    }

    #[tokio::test(start_paused = true)]
    async fn activity_moves_the_idle_deadline_but_not_the_lifetime() {
        let clock = Clock::new();
        let id = SessionId::parse("s1").unwrap();
        let entry = Entry::new(id, test_kind(), &clock, Some(1_000));
        tokio::time::advance(Duration::from_millis(700)).await;
        entry.touch_at(&clock, Instant::now());
        assert_eq!(entry.last_active_ms(), 700);
        assert_eq!(entry.deadline_ms(200), 900);
        assert_eq!(entry.deadline_ms(500), 1_000);
    }

    #[test]
    fn the_end_is_claimed_once() {
        let entry = entry(None);
        assert!(!entry.is_ended());
        assert!(entry.claim_end());
        assert!(!entry.claim_end());
        assert!(entry.is_ended());
    }

    #[test]
    fn registration_is_taken_back_once() {
        let entry = entry(None);
        assert!(!entry.take_registered());
        entry.mark_registered();
        assert!(entry.is_registered());
        assert!(entry.take_registered());
        assert!(!entry.take_registered());
        assert!(!entry.is_registered());
    }

    #[test]
    fn the_first_requested_reason_is_told_unless_replaced() {
        let first = entry(None);
        first.request_stop(EndReason::Shutdown);
        first.request_stop(EndReason::Expired);
        assert_eq!(
            ended_with(&first, EndReason::Terminated),
            EndReason::Shutdown
        );

        let replaced = entry(None);
        replaced.request_stop(EndReason::Shutdown);
        replaced.stop_for(EndReason::Expired);
        assert_eq!(
            ended_with(&replaced, EndReason::Terminated),
            EndReason::Expired
        );

        let unasked = entry(None);
        assert_eq!(
            ended_with(&unasked, EndReason::Terminated),
            EndReason::Terminated
        );
    }

    #[test]
    fn a_crash_outranks_a_requested_stop() {
        let entry = entry(None);
        entry.request_stop(EndReason::Expired);
        let crashed = EndReason::Crashed("boom".into());
        assert_eq!(ended_with(&entry, crashed.clone()), crashed);
    }

    #[test]
    fn a_watch_made_after_the_end_is_ready_with_its_reason() {
        let entry = entry(None);
        entry.request_stop(EndReason::Expired);
        ended_with(&entry, EndReason::Terminated);
        assert_eq!(entry.watch("s1").now_or_never(), Some(EndReason::Expired));
    }

    #[test]
    fn watchers_of_a_rotated_id_are_told_rotated() {
        let entry = entry(None);
        let before = entry.watch("s1");
        *entry.lock_id() = SessionId::parse("s2").unwrap();
        entry.notify_rotated();
        assert_eq!(before.now_or_never(), Some(EndReason::Rotated));
        // Asked for under the old ID after the move: nothing left to wait for.
        assert_eq!(entry.watch("s1").now_or_never(), Some(EndReason::Rotated));
        // Under the new ID, a watch waits for the end.
        let after = entry.watch("s2");
        assert!(entry.claim_end());
        entry.finish(EndReason::Terminated, None);
        assert_eq!(after.now_or_never(), Some(EndReason::Terminated));
    }
}
