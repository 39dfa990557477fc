//! [`Parking`]: a parkable session's parking state, kept on its entry (see
//! `passivation`), and [`Turn`], one actor's part in it.
//!
//! A session is active (an actor runs), passivating (its actor drains to park), parked (no
//! actor; its state waits as bytes), reviving (an actor starts from the bytes) or gone (it
//! ended). The transitions are compare-and-swaps, so each is claimed by one caller; casts
//! that find no actor wait in the parking slot, in order, for the next one.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use ractor::ActorCell;

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
    pub(crate) fn begin_passivation(&self) -> bool {
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

    /// A copy of the bytes of a session parked in memory, for its revival: they stay until
    /// it succeeds, so that a revival given up leaves the session parked as it was.
    pub(crate) fn bytes(&self) -> Option<Box<[u8]>> {
        self.lock().bytes.clone()
    }

    /// A revival given up before its actor started: the session is parked again (`true`),
    /// unless it ended meanwhile.
    pub(crate) fn abandon_revival(&self) -> bool {
        self.state
            .compare_exchange(REVIVING, PARKED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The revived actor runs: the casts that waited are delivered to it, in order, before
    /// anyone else can reach it, and the parked bytes are freed.
    pub(crate) fn activated(&self, actor: &ActorCell) {
        let mut slot = self.lock();
        slot.bytes = None;
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
    /// Its `pre_start` succeeded.
    started: AtomicBool,
}

impl Turn {
    pub(crate) fn new(counted: bool) -> Self {
        Self {
            counted,
            handed_over: AtomicBool::new(false),
            started: AtomicBool::new(false),
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

    /// Its `pre_start` succeeded: from now on its stop is its session's business.
    pub(crate) fn start(&self) {
        self.started.store(true, Ordering::Release);
    }

    pub(crate) fn has_started(&self) -> bool {
        self.started.load(Ordering::Acquire)
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
        assert_eq!(parking.bytes().as_deref(), Some(&b"{}"[..]));
        assert!(parking.abandon_revival(), "given up: parked again");
        assert!(parking.is_parked());
        assert_eq!(
            parking.bytes().as_deref(),
            Some(&b"{}"[..]),
            "with its bytes"
        );
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
