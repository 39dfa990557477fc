//! Passivation: a durable session that is idle (`passivate_after`) or among the least
//! recently used above `max_active` is parked — its actor stops, its state waits as bytes,
//! its entry stays registered — and its next message revives it.
//!
//! Each parkable session's entry carries a [`Parking`]: its state (active, passivating,
//! parked, reviving), the bytes of a session parked in memory, the messages cast to it
//! while it had no actor, and a pin count (a session with open live sockets is never
//! parked). The manager's [`Passivation`] holds the settings, the count of running actors
//! and the least-recently-used queue that `max_active` picks from.
//!
//! Passivating drains the actor (ractor's `drain`): messages admitted before it are handled,
//! later ones are refused and handed back to their sender, which waits for the session to be
//! parked and revives it. So no message is lost and each sender's messages keep their
//! order. The hot path of an active session pays one atomic load (`Parking::is_active`).

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ractor::ActorCell;
use tokio::sync::Notify;

use crate::config::SessionConfig;
use crate::entry::Entry;

/// An actor runs and takes messages.
const ACTIVE: u8 = 0;
/// Its actor is draining to be parked.
const PASSIVATING: u8 = 1;
/// No actor; the state waits as bytes.
const PARKED: u8 = 2;
/// An actor is being started from the parked bytes.
const REVIVING: u8 = 3;
/// The session ended; nothing is parked any more.
const GONE: u8 = 4;

/// A message for the next actor, queued while the session had none.
pub(crate) type Delivery = Box<dyn FnOnce(&ActorCell) + Send>;

/// A parkable session's parking state, on its entry.
pub(crate) struct Parking {
    /// The type tag of its [`DurableSession`](crate::durable::DurableSession) type: the
    /// kind that revives it.
    tag: &'static str,
    state: AtomicU8,
    /// Open live sockets (or other holders) that keep it active.
    pins: AtomicU32,
    slot: Mutex<Slot>,
}

/// What a parked session keeps: its bytes (in memory, without a store) and the casts that
/// wait for its next actor. Both empty while it is active, so they cost no allocation.
#[derive(Default)]
struct Slot {
    bytes: Option<Box<[u8]>>,
    queue: Vec<Delivery>,
}

impl fmt::Debug for Parking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parking")
            .field("tag", &self.tag)
            .field("state", &self.state.load(Ordering::Relaxed))
            .field("pins", &self.pins.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Parking {
    /// The parking state of an active session of the type tagged `tag`.
    pub(crate) fn new(tag: &'static str) -> Self {
        Self {
            tag,
            state: AtomicU8::new(ACTIVE),
            pins: AtomicU32::new(0),
            slot: Mutex::new(Slot::default()),
        }
    }

    pub(crate) fn tag(&self) -> &'static str {
        self.tag
    }

    /// Whether an actor runs and takes messages: the hot path's one check.
    pub(crate) fn is_active(&self) -> bool {
        self.state.load(Ordering::Acquire) == ACTIVE
    }

    /// Whether it is parked (not reviving, not passivating).
    pub(crate) fn is_parked(&self) -> bool {
        self.state.load(Ordering::Acquire) == PARKED
    }

    pub(crate) fn is_passivating(&self) -> bool {
        self.state.load(Ordering::Acquire) == PASSIVATING
    }

    pub(crate) fn is_pinned(&self) -> bool {
        self.pins.load(Ordering::Acquire) > 0
    }

    pub(crate) fn pin(&self) {
        self.pins.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn unpin(&self) {
        self.pins.fetch_sub(1, Ordering::AcqRel);
    }

    /// Claims the passivation of an active, unpinned session: `true` for the one caller
    /// who must then drain its actor.
    fn begin_passivation(&self) -> bool {
        !self.is_pinned()
            && self
                .state
                .compare_exchange(ACTIVE, PASSIVATING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// Whether its actor was told to drain for parking (its `post_stop` then parks it).
    pub(crate) fn parks_on_stop(&self) -> bool {
        self.is_passivating()
    }

    /// The actor has stopped: the session is parked, with `bytes` when it is parked in
    /// memory. Returns whether casts wait for it, so that it must be revived at once; or
    /// `None` when the session ended meanwhile (nothing is parked).
    pub(crate) fn park(&self, bytes: Option<Vec<u8>>) -> Option<bool> {
        let mut slot = self.lock();
        self.state
            .compare_exchange(PASSIVATING, PARKED, Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        slot.bytes = bytes.map(Vec::into_boxed_slice);
        Some(!slot.queue.is_empty())
    }

    /// Claims the revival of a parked session: `true` for the one caller who must then
    /// start its actor.
    pub(crate) fn begin_revival(&self) -> bool {
        self.state
            .compare_exchange(PARKED, REVIVING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The bytes of a session parked in memory, taken for its revival.
    pub(crate) fn take_bytes(&self) -> Option<Box<[u8]>> {
        self.lock().bytes.take()
    }

    /// The revived actor runs: the casts that waited are delivered to it, in order, before
    /// anyone else can reach it.
    pub(crate) fn activated(&self, actor: &ActorCell) {
        let mut slot = self.lock();
        for delivery in slot.queue.drain(..) {
            delivery(actor);
        }
        slot.queue = Vec::new();
        self.state.store(ACTIVE, Ordering::Release);
    }

    /// Queues the message `message` holds for the next actor, unless the session is active
    /// (then `message` is left for the caller to send). Returns whether it was queued on a
    /// parked session, which the caller must then revive.
    pub(crate) fn queue<M: Send + 'static>(
        &self,
        message: &mut Option<M>,
        deliver: fn(&ActorCell, M),
    ) -> Queued {
        let mut slot = self.lock();
        let state = self.state.load(Ordering::Acquire);
        if state == ACTIVE || state == GONE {
            return Queued::No;
        }
        if let Some(message) = message.take() {
            slot.queue
                .push(Box::new(move |actor| deliver(actor, message)));
        }
        if state == PARKED {
            Queued::Revive
        } else {
            Queued::Yes
        }
    }

    /// The session ended: whatever is parked is freed. Returns whether it was parked.
    pub(crate) fn free(&self) -> bool {
        let mut slot = self.lock();
        *slot = Slot::default();
        self.state.swap(GONE, Ordering::AcqRel) == PARKED
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // Nothing panics while holding it but a delivery's `cast`, which leaves the slot
        // whole.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What [`Parking::queue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Queued {
    /// Not queued: the session is active (or gone).
    No,
    /// Queued for an actor already on its way (passivating, then revived; or reviving).
    Yes,
    /// Queued on a parked session: the caller revives it.
    Revive,
}

/// One actor's part in its session's parking, kept by the session wrapper: whether its
/// actor counts under `max_active`, and whether it handed the session over to be parked
/// (then its stop is not the session's end).
#[derive(Debug, Default)]
pub(crate) struct Turn {
    counted: bool,
    handed_over: AtomicBool,
}

impl Turn {
    pub(crate) fn new(counted: bool) -> Self {
        Self {
            counted,
            handed_over: AtomicBool::new(false),
        }
    }

    /// Whether this actor's place under `max_active` must be given back as it goes.
    pub(crate) fn is_counted(&self) -> bool {
        self.counted
    }

    /// The session was parked as this actor stopped: its stop is not an end.
    pub(crate) fn hand_over(&self) {
        self.handed_over.store(true, Ordering::Release);
    }

    pub(crate) fn is_handed_over(&self) -> bool {
        self.handed_over.load(Ordering::Acquire)
    }
}

/// Drains the actor of an active, unpinned, parkable `entry` so that it parks; `false`
/// when it cannot be parked now.
pub(crate) fn passivate(entry: &Entry) -> bool {
    let Some(parking) = entry.parking() else {
        return false;
    };
    if !entry.is_registered() || !parking.begin_passivation() {
        return false;
    }
    match entry.actor() {
        Some(actor) => {
            // Messages admitted before this are handled first; later ones are refused and
            // handed back to their senders, who revive the session.
            let _ = actor.drain();
            true
        }
        None => false,
    }
}

/// A manager's passivation settings and bookkeeping.
#[derive(Debug)]
pub(crate) struct Passivation {
    max_active: Option<usize>,
    /// Actors of parkable sessions running (or spawning), counted against `max_active`.
    active: AtomicUsize,
    /// Sessions parked now.
    parked: AtomicUsize,
    /// Parkable sessions in the order they became active, with the activity stamp they
    /// had then: `max_active` parks from the front (see `park_least_recent`).
    recent: Mutex<VecDeque<(Arc<Entry>, u64)>>,
    /// Told whenever a session parks, revives, ends while parked, or an actor's place is
    /// given back.
    pub(crate) changed: Notify,
    manager: Arc<str>,
}

impl Passivation {
    /// The bookkeeping of a manager that passivates, or `None`.
    pub(crate) fn new(config: &SessionConfig) -> Option<Self> {
        config.passivates().then(|| Self {
            max_active: config.max_active,
            active: AtomicUsize::new(0),
            parked: AtomicUsize::new(0),
            recent: Mutex::new(VecDeque::new()),
            changed: Notify::new(),
            manager: Arc::from(config.name.as_str()),
        })
    }

    /// A session parked.
    pub(crate) fn parked_one(&self) {
        let parked = self.parked.fetch_add(1, Ordering::AcqRel) + 1;
        telemetry::parked(&self.manager, parked);
        self.changed.notify_waiters();
    }

    /// A parked session is reviving or ended.
    pub(crate) fn unparked_one(&self) {
        let parked = self.parked.fetch_sub(1, Ordering::AcqRel) - 1;
        telemetry::parked(&self.manager, parked);
    }

    /// Takes a place for one more actor of a parkable session under `max_active`, parking
    /// the least recently used sessions to make room and waiting for their actors to stop.
    /// Returns whether a place was counted (then the actor gives it back as it goes).
    ///
    /// When nothing can be parked (every active session pinned, or busy in the very call
    /// that asks), the place is taken all the same: pinned sessions may hold the count
    /// above `max_active`, never a caller forever.
    pub(crate) async fn reserve(&self) -> bool {
        let Some(max) = self.max_active else {
            return false;
        };
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let taken = self
                .active
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < max).then_some(n + 1)
                });
            if taken.is_ok() {
                return true;
            }
            if !self.park_least_recent() {
                self.active.fetch_add(1, Ordering::AcqRel);
                return true;
            }
            changed.await;
        }
    }

    /// An actor counted by [`reserve`](Self::reserve) has stopped (its supervisor no
    /// longer holds it).
    pub(crate) fn release(&self) {
        self.active.fetch_sub(1, Ordering::AcqRel);
        self.changed.notify_waiters();
    }

    /// Notes that `entry` became active, for `max_active` to find the least recent.
    pub(crate) fn track(&self, entry: &Arc<Entry>) {
        let Some(max) = self.max_active else {
            return;
        };
        let mut recent = self.lock_recent();
        if recent.len() > max.saturating_mul(2).saturating_add(64) {
            // Parked and ended sessions leave lazily; sweep them out now and then.
            recent.retain(|(entry, _)| is_active(entry));
        }
        recent.push_back((Arc::clone(entry), entry.last_active_ms()));
    }

    /// Parks the least recently used active session (CLOCK: one found active since it was
    /// queued goes to the back once, with its new stamp). `false` when none can be
    /// parked.
    fn park_least_recent(&self) -> bool {
        let mut recent = self.lock_recent();
        let rounds = recent.len() * 2;
        for round in 0..rounds {
            let Some((entry, stamp)) = recent.pop_front() else {
                return false;
            };
            if !is_active(&entry) {
                continue;
            }
            let used = entry.last_active_ms();
            let second_chance = round < rounds / 2 && used > stamp;
            let busy = entry.parking().is_some_and(Parking::is_pinned)
                || crate::session::is_current(&entry);
            if second_chance || busy {
                recent.push_back((entry, used));
                continue;
            }
            if passivate(&entry) {
                return true;
            }
            recent.push_back((entry, used));
        }
        false
    }

    fn lock_recent(&self) -> MutexGuard<'_, VecDeque<(Arc<Entry>, u64)>> {
        self.recent.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn is_active(entry: &Entry) -> bool {
    entry.is_registered() && entry.parking().is_some_and(Parking::is_active)
}

/// Passivation's metrics: a counter of sessions parked and a gauge of those parked now.
pub(crate) mod telemetry {
    use std::sync::Arc;

    use crate::id::RedactedId;

    /// Sessions parked (passivated), by manager.
    pub(crate) const PASSIVATED: &str = "ractor_session_passivated_total";
    /// Sessions parked now, by manager.
    pub(crate) const PARKED: &str = "ractor_session_parked";

    /// The gauge of parked sessions of `manager`.
    pub(crate) fn parked(manager: &Arc<str>, count: usize) {
        metrics::gauge!(PARKED, "manager" => Arc::clone(manager)).set(count as f64);
    }

    /// A session was parked.
    pub(crate) fn passivated(session: RedactedId, session_type: &'static str) {
        metrics::counter!(PASSIVATED, "session_type" => session_type).increment(1);
        tracing::debug!(target: "ractor_session", %session, session_type, "session parked");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_parks_and_revives_once_each() {
        let parking = Parking::new("kv");
        assert!(parking.is_active());
        assert!(parking.begin_passivation());
        assert!(!parking.begin_passivation(), "claimed once");
        assert_eq!(
            parking.park(Some(b"{}".to_vec())),
            Some(false),
            "nothing waits"
        );
        assert!(parking.is_parked());
        assert!(parking.begin_revival());
        assert!(!parking.begin_revival(), "revived once");
        assert_eq!(parking.take_bytes().as_deref(), Some(&b"{}"[..]));
    }

    #[test]
    fn a_pinned_session_is_not_parked() {
        let parking = Parking::new("kv");
        parking.pin();
        assert!(!parking.begin_passivation());
        parking.unpin();
        assert!(parking.begin_passivation());
    }

    #[test]
    fn casts_queue_while_there_is_no_actor_and_a_parked_session_must_revive() {
        let parking = Parking::new("kv");
        let mut message = Some(1_u32);
        assert_eq!(parking.queue(&mut message, |_, _| {}), Queued::No);
        assert_eq!(message, Some(1), "left to the caller while active");
        assert!(parking.begin_passivation());
        assert_eq!(parking.queue(&mut message, |_, _| {}), Queued::Yes);
        assert!(message.is_none());
        assert_eq!(parking.park(None), Some(true), "a cast waits");
        let mut second = Some(2_u32);
        assert_eq!(parking.queue(&mut second, |_, _| {}), Queued::Revive);
        assert!(parking.free(), "it was parked");
        assert!(
            parking.begin_passivation() || parking.park(None).is_none(),
            "gone: never parked again"
        );
        let mut third = Some(3_u32);
        assert_eq!(parking.queue(&mut third, |_, _| {}), Queued::No, "gone");
    }
}
