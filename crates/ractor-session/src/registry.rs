//! The registry of live sessions and the lifecycle of one entry.
//!
//! An entry is registered once its actor has started and deregistered exactly once, by
//! whichever comes first: `terminate`, expiry, rotation's old key aside, or the actor's own
//! end (normal stop, error, panic, kill). The slot it holds under `max_sessions` is given
//! back at that moment, and its watchers are told when the actor has really stopped.

use std::any::TypeId;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::SystemTime;

use dashmap::DashMap;
use dashmap::mapref::entry::Entry as MapEntry;
use ractor::ActorCell;
use tokio::sync::{Notify, oneshot};
use tokio::time::{Duration, Instant};

use crate::config::SessionConfig;
use crate::error::SessionError;
use crate::expiry::{Wheel, WheelSlot};
use crate::id::SessionId;
use crate::limits::{RateLimiter, SlotCounter};
use crate::telemetry;
use crate::watch::{EndReason, SessionWatch};

/// What the registry holds under an ID.
#[derive(Debug, Clone)]
pub(crate) enum Slot {
    /// An actor is being spawned for this ID; racing starts wait on `Shared::start_done`,
    /// which is notified when the starter is done (successfully or not).
    Starting,
    /// A live session.
    Live(Arc<Entry>),
}

/// State shared by every clone of a [`SessionManager`](crate::SessionManager).
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SessionConfig,
    pub(crate) registry: DashMap<SessionId, Slot>,
    pub(crate) slots: SlotCounter,
    pub(crate) rate: Option<RateLimiter>,
    pub(crate) clock: Clock,
    pub(crate) wheel: Mutex<Wheel>,
    /// Wakes the expiry task when a deadline earlier than the one it sleeps until is armed.
    pub(crate) wheel_wake: Arc<Notify>,
    /// Notified whenever a start finishes (succeeded, failed or was cancelled).
    pub(crate) start_done: Notify,
    pub(crate) supervisor: ActorCell,
    pub(crate) shutting_down: AtomicBool,
    /// `config.idle_timeout` and `config.max_lifetime` in milliseconds, read on every lookup.
    pub(crate) idle_ms: u64,
    pub(crate) lifetime_ms: Option<u64>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The last handle went away without `shutdown`: stop the tree rather than leave
        // orphaned sessions running. (ractor kills the children of a stopped supervisor.)
        // Their watchers are told `Shutdown`, as they would be by `shutdown`.
        let live: Vec<Arc<Entry>> = self
            .registry
            .iter()
            .filter_map(|slot| match slot.value() {
                Slot::Live(entry) => Some(Arc::clone(entry)),
                Slot::Starting => None,
            })
            .collect();
        for entry in live {
            entry.request_stop(EndReason::Shutdown);
        }
        self.supervisor.stop(None);
        // The expiry task may be asleep until a far deadline: wake it to find us gone.
        self.wheel_wake.notify_one();
    }
}

/// Milliseconds since the manager started, on tokio's clock (so paused-time tests work).
#[derive(Debug)]
pub(crate) struct Clock {
    epoch: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            epoch: Instant::now(),
        }
    }

    /// Now, rounded down to the millisecond: for asking whether a deadline has passed.
    pub(crate) fn now_ms(&self) -> u64 {
        self.ms_at(Instant::now())
    }

    /// `at`, rounded down to the millisecond.
    pub(crate) fn ms_at(&self, at: Instant) -> u64 {
        let elapsed = at.saturating_duration_since(self.epoch);
        // Not `as_millis`: a u128 division, on every call, cast and touch.
        elapsed.as_secs() * 1000 + u64::from(elapsed.subsec_millis())
    }

    /// Now, rounded up to the millisecond: for stamping a start or an activity, so that a
    /// deadline computed from the stamp is never earlier than the true one.
    pub(crate) fn stamp_ms(&self) -> u64 {
        self.stamp_at(Instant::now())
    }

    /// `at`, rounded up to the millisecond.
    pub(crate) fn stamp_at(&self, at: Instant) -> u64 {
        let elapsed = at.saturating_duration_since(self.epoch);
        let ms = elapsed.as_secs() * 1000 + u64::from(elapsed.subsec_millis());
        ms + u64::from(elapsed.subsec_nanos() % 1_000_000 != 0)
    }

    pub(crate) fn instant(&self, ms: u64) -> Instant {
        self.epoch + Duration::from_millis(ms)
    }
}

/// One session's bookkeeping, shared by the registry, the expiry wheel and the actor.
#[derive(Debug)]
pub(crate) struct Entry {
    id: Mutex<SessionId>,
    pub(crate) actor: OnceLock<ActorCell>,
    pub(crate) type_id: TypeId,
    pub(crate) session_type: &'static str,
    pub(crate) started_at: SystemTime,
    pub(crate) started_ms: u64,
    last_active_ms: AtomicU64,
    /// The end of its absolute lifetime (`u64::MAX` without one), in clock milliseconds.
    hard_deadline_ms: u64,
    registered: AtomicBool,
    ended: AtomicBool,
    pub(crate) wheel_slot: WheelSlot,
    lifecycle: Mutex<Lifecycle>,
    shared: Weak<Shared>,
}

#[derive(Debug, Default)]
struct Lifecycle {
    /// The reason given by whoever asked the actor to stop (first one wins).
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
    pub(crate) fn new(
        id: SessionId,
        type_id: TypeId,
        session_type: &'static str,
        shared: &Arc<Shared>,
    ) -> Arc<Self> {
        let now = shared.clock.stamp_ms();
        Arc::new(Self {
            id: Mutex::new(id),
            actor: OnceLock::new(),
            type_id,
            session_type,
            started_at: SystemTime::now(),
            started_ms: now,
            last_active_ms: AtomicU64::new(now),
            hard_deadline_ms: shared
                .lifetime_ms
                .map_or(u64::MAX, |max| now.saturating_add(max)),
            registered: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            wheel_slot: WheelSlot::default(),
            lifecycle: Mutex::new(Lifecycle::default()),
            shared: Arc::downgrade(shared),
        })
    }

    pub(crate) fn id(&self) -> SessionId {
        lock(&self.id).clone()
    }

    /// Records activity at `at` (an instant the caller already read).
    pub(crate) fn touch_at(&self, clock: &Clock, at: Instant) {
        self.last_active_ms
            .store(clock.stamp_at(at), Ordering::Relaxed);
    }

    pub(crate) fn last_active_ms(&self) -> u64 {
        self.last_active_ms.load(Ordering::Relaxed)
    }

    pub(crate) fn is_registered(&self) -> bool {
        self.registered.load(Ordering::SeqCst)
    }

    /// When this session expires if nothing else happens: the earlier of its idle deadline
    /// and its absolute one, in clock milliseconds.
    pub(crate) fn deadline_ms(&self, idle_ms: u64) -> u64 {
        self.last_active_ms()
            .saturating_add(idle_ms)
            .min(self.hard_deadline_ms)
    }

    /// Records why the actor is being stopped, unless a reason is already recorded.
    pub(crate) fn request_stop(&self, reason: EndReason) {
        lock(&self.lifecycle).requested.get_or_insert(reason);
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

    /// Tells current watchers that the watched ID was rotated away; the session goes on.
    pub(crate) fn notify_rotated(&self) {
        let watchers = std::mem::take(&mut lock(&self.lifecycle).watchers);
        for w in watchers {
            let _ = w.send(EndReason::Rotated);
        }
    }

    /// The actor has stopped (or is about to, after an error): deregister, tell watchers,
    /// record telemetry. Runs once; later calls do nothing.
    pub(crate) fn finish(self: &Arc<Self>, fallback: EndReason) {
        if self.ended.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared = self.shared.upgrade();
        if let Some(shared) = &shared {
            shared.deregister(self);
        }
        let (reason, watchers) = {
            let mut life = lock(&self.lifecycle);
            // A crash outranks the reason a stop was requested for: the actor failed.
            let requested = life.requested.take();
            let reason = match fallback {
                EndReason::Crashed(_) => fallback,
                _ => requested.unwrap_or(fallback),
            };
            life.ended = Some(reason.clone());
            (reason, std::mem::take(&mut life.watchers))
        };
        for w in watchers {
            let _ = w.send(reason.clone());
        }
        if self.actor.get().is_some() {
            // The manager's monotonic clock, as for expiry: the wall clock can jump.
            let lived = match &shared {
                Some(shared) => {
                    Duration::from_millis(shared.clock.now_ms().saturating_sub(self.started_ms))
                }
                None => self.started_at.elapsed().unwrap_or_default(),
            };
            telemetry::stopped(self.id().redacted(), self.session_type, &reason, lived);
        }
    }
}

impl Shared {
    /// Puts `entry` in the registry under `id` (replacing its `Starting` slot) and marks it
    /// live. If the actor already ended (it can stop between `spawn` returning and this
    /// call), deregisters it again at once.
    pub(crate) fn register(&self, id: &SessionId, entry: &Arc<Entry>) {
        {
            // `registered` is set under the shard's lock, together with the slot, so that
            // nobody can find the entry in the registry and yet fail to deregister it
            // (e.g. `terminate` answering `SessionNotFound` for a session it just found).
            let live = Slot::Live(Arc::clone(entry));
            match self.registry.entry(id.clone()) {
                MapEntry::Occupied(mut slot) => {
                    entry.registered.store(true, Ordering::SeqCst);
                    slot.insert(live);
                }
                MapEntry::Vacant(slot) => {
                    entry.registered.store(true, Ordering::SeqCst);
                    slot.insert(live);
                }
            }
        }
        // Pairs with `finish`: it stores `ended` then swaps `registered`; we store
        // `registered` then load `ended`. With SeqCst one of us sees the other.
        if entry.ended.load(Ordering::SeqCst) {
            self.deregister(entry);
        }
    }

    /// Finds the live entry of `id`, expiring it on the spot if its deadline has passed (so
    /// no request reaches a session past its deadline, however late the expiry task runs).
    /// Returns the entry with the instant it was checked at.
    pub(crate) fn lookup_at(&self, id: &str) -> Result<(Arc<Entry>, Instant), SessionError> {
        let entry = match self.get(id).as_deref() {
            Some(Slot::Live(entry)) => Arc::clone(entry),
            _ => return Err(self.not_found(id)),
        };
        match self.check_deadline(&entry) {
            Some(now) => Ok((entry, now)),
            None => Err(self.not_found(id)),
        }
    }

    /// The instant of the check if `entry` is within its deadlines; otherwise expires it
    /// on the spot and returns `None`.
    pub(crate) fn check_deadline(&self, entry: &Arc<Entry>) -> Option<Instant> {
        let now = Instant::now();
        let now_ms = self.clock.ms_at(now);
        if entry.deadline_ms(self.idle_ms) <= now_ms {
            crate::expiry::expire(self, entry, now_ms);
            return None;
        }
        Some(now)
    }

    /// A registry read, counted for tests when the `test-util` feature is on.
    fn get(&self, id: &str) -> Option<dashmap::mapref::one::Ref<'_, SessionId, Slot>> {
        #[cfg(feature = "test-util")]
        crate::test_util::count_lookup();
        self.registry.get(id)
    }

    /// As [`Shared::lookup_at`], without the instant.
    pub(crate) fn lookup(&self, id: &str) -> Result<Arc<Entry>, SessionError> {
        self.lookup_at(id).map(|(entry, _)| entry)
    }

    /// Runs `f` on the live entry of `id`, without reading the clock: a session past its
    /// deadline stays visible here until the expiry task's next tick (a thousandth of the
    /// timeout at most). For `is_started` and typed lookups, which must be as cheap as a
    /// map read.
    pub(crate) fn peek<R>(&self, id: &str, f: impl FnOnce(&Entry) -> R) -> Option<R> {
        match self.get(id).as_deref() {
            Some(Slot::Live(entry)) => Some(f(entry)),
            _ => None,
        }
    }

    /// Runs `f` on the live, unexpired entry of `id` (with the instant it was checked at),
    /// without taking a reference to it: the cheapest way to read or touch a session.
    pub(crate) fn with_live<R>(&self, id: &str, f: impl FnOnce(&Entry, Instant) -> R) -> Option<R> {
        let now = Instant::now();
        let now_ms = self.clock.ms_at(now);
        let guard = self.get(id)?;
        let Slot::Live(entry) = &*guard else {
            return None;
        };
        if entry.deadline_ms(self.idle_ms) > now_ms {
            return Some(f(entry, now));
        }
        let entry = Arc::clone(entry);
        drop(guard);
        crate::expiry::expire(self, &entry, now_ms);
        None
    }

    pub(crate) fn lock_wheel(&self) -> MutexGuard<'_, Wheel> {
        lock(&self.wheel)
    }

    pub(crate) fn not_found(&self, id: &str) -> SessionError {
        match SessionId::parse(id) {
            Ok(id) => SessionError::SessionNotFound { id },
            Err(invalid) => invalid.into(),
        }
    }

    /// Removes the entry from the registry and frees its slot; the first call wins.
    pub(crate) fn deregister(&self, entry: &Arc<Entry>) -> bool {
        if !entry.registered.swap(false, Ordering::SeqCst) {
            return false;
        }
        {
            // Held across the removal so a concurrent `rotate` cannot move the entry
            // between reading its ID and removing it (lock order: ID, then registry).
            let id = lock(&entry.id);
            self.registry.remove_if(
                &*id,
                |_, slot| matches!(slot, Slot::Live(e) if Arc::ptr_eq(e, entry)),
            );
        }
        self.slots.release();
        self.lock_wheel().disarm(entry);
        telemetry::live(self.slots.live());
        true
    }

    /// Deregisters `entry` in order to stop it for `reason`. Only the caller that really
    /// removes the entry gets `true` and has its reason recorded: a `terminate` racing an
    /// expiry ends the session once, for the reason of whichever removed it.
    pub(crate) fn deregister_for(&self, entry: &Arc<Entry>, reason: EndReason) -> bool {
        if !self.deregister(entry) {
            return false;
        }
        lock(&entry.lifecycle).requested = Some(reason);
        true
    }

    /// Moves a live entry to a fresh ID. The old ID stops resolving at once.
    pub(crate) fn rotate(&self, old: &str) -> Result<SessionId, SessionError> {
        let entry = self.lookup(old)?;
        let new = SessionId::generate();
        {
            // Holding the entry's ID lock serializes this with `deregister`, which reads
            // the ID under the same lock; no registry lock is held while taking it.
            let mut id = lock(&entry.id);
            // A racing rotation of the same ID may have moved the entry since the lookup:
            // then `old` no longer names it, and moving it again would leave the first new
            // ID in the registry for good.
            if !entry.is_registered() || id.as_str() != old {
                return Err(self.not_found(old));
            }
            self.registry
                .insert(new.clone(), Slot::Live(Arc::clone(&entry)));
            self.registry.remove_if(
                old,
                |_, slot| matches!(slot, Slot::Live(e) if Arc::ptr_eq(e, &entry)),
            );
            *id = new.clone();
        }
        entry.notify_rotated();
        Ok(new)
    }
}
