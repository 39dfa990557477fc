//! [`Registry`]: the map of session IDs to live sessions, and its operations.
//!
//! An entry is registered once its actor has started and deregistered exactly once, by
//! whichever comes first: `terminate`, expiry, or the actor's own end (normal stop, error,
//! panic, kill); rotation moves it to a new ID. Deregistering gives back the session's
//! place under `max_sessions` and takes the entry out of the expiry wheel at that moment.
//! Every read by ID goes through one counted accessor (see `test_util`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry as MapEntry;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::config::SessionConfig;
use crate::counters::Counters;
use crate::entry::Entry;
use crate::error::SessionError;
use crate::id::SessionId;
use crate::limits::SessionLimit;
use crate::telemetry::{self, ManagerGauge};
use crate::user_index::UserIndex;
use crate::watch::EndReason;
use crate::wheel::{Wheel, tick_for};

/// What the registry holds under an ID.
#[derive(Debug, Clone)]
pub(crate) enum Registration {
    /// An actor is being spawned for this ID; racing starts wait until its starter is done
    /// (successfully or not).
    Starting,
    /// A live session.
    Live(Arc<Entry>),
}

/// Live sessions by ID, with what deregistration gives back: the `max_sessions` limit and
/// the expiry wheel.
#[derive(Debug)]
pub(crate) struct Registry {
    map: DashMap<SessionId, Registration>,
    /// Registered (live) sessions: `limit` also counts places held by starts under way.
    live: AtomicUsize,
    /// The manager's live-sessions gauge.
    live_gauge: ManagerGauge,
    pub(crate) limit: SessionLimit,
    pub(crate) clock: Clock,
    wheel: Mutex<Wheel<Entry>>,
    /// `config.idle_timeout` and `config.max_lifetime` in milliseconds, read on every lookup.
    pub(crate) idle_ms: u64,
    pub(crate) lifetime_ms: Option<u64>,
    /// Live sessions by the user they are bound to.
    pub(crate) users: UserIndex,
    /// Starts, ends by reason and rotations since the manager started.
    pub(crate) counters: Counters,
    /// `config.passivate_after` in milliseconds: the wheel wakes parkable sessions then.
    passivate_ms: Option<u64>,
    /// How its manager ends a parked session (which has no actor to do it): set once the
    /// manager is built.
    parked_end: OnceLock<ParkedEnd>,
}

/// Ends a parked session just deregistered for a reason.
pub(crate) struct ParkedEnd(pub(crate) Box<EndParked>);

/// What [`ParkedEnd`] calls.
pub(crate) type EndParked = dyn Fn(&Arc<Entry>, EndReason) + Send + Sync;

impl std::fmt::Debug for ParkedEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParkedEnd")
    }
}

impl Registry {
    pub(crate) fn new(config: &SessionConfig) -> Self {
        let shortest = config
            .max_lifetime
            .map_or(config.idle_timeout, |max| max.min(config.idle_timeout));
        Self {
            map: DashMap::new(),
            live: AtomicUsize::new(0),
            live_gauge: ManagerGauge::live(Arc::from(config.name.as_str())),
            limit: SessionLimit::new(config.max_sessions),
            clock: Clock::new(),
            wheel: Mutex::new(Wheel::new(tick_for(shortest))),
            idle_ms: config.idle_timeout.as_millis() as u64,
            lifetime_ms: config.max_lifetime.map(|max| max.as_millis() as u64),
            users: UserIndex::default(),
            counters: Counters::default(),
            passivate_ms: config.passivate_after.map(|after| after.as_millis() as u64),
            parked_end: OnceLock::new(),
        }
    }

    /// Records how the manager ends a parked session.
    pub(crate) fn set_parked_end(&self, parked_end: ParkedEnd) {
        let _ = self.parked_end.set(parked_end);
    }

    /// When the wheel must next look at `entry`, at `now_ms`: its deadline, or earlier,
    /// when it is parked after `passivate_after`, the moment it becomes idle that long.
    /// One that could not be parked when due (pinned, or busy parking) is looked at again
    /// `passivate_after` later.
    pub(crate) fn wake_ms(&self, entry: &Entry, now_ms: u64) -> u64 {
        let deadline = entry.deadline_ms(self.idle_ms);
        match (self.passivate_ms, entry.parking()) {
            (Some(after), Some(parking)) if parking.is_active() => {
                let idle_at = entry.last_active_ms().saturating_add(after);
                let at = if idle_at <= now_ms {
                    now_ms.saturating_add(after)
                } else {
                    idle_at
                };
                deadline.min(at)
            }
            _ => deadline,
        }
    }

    /// Whether `entry` is active and has been idle for `passivate_after` at `now_ms`.
    pub(crate) fn passivation_due(&self, entry: &Entry, now_ms: u64) -> bool {
        match (self.passivate_ms, entry.parking()) {
            (Some(after), Some(parking)) => {
                parking.is_active() && entry.last_active_ms().saturating_add(after) <= now_ms
            }
            _ => false,
        }
    }

    /// The map's entry for `id`, locked: for a start to claim the ID. A counted read.
    pub(crate) fn entry(&self, id: SessionId) -> MapEntry<'_, SessionId, Registration> {
        #[cfg(feature = "test-util")]
        crate::test_util::count_lookup();
        self.map.entry(id)
    }

    /// A read by ID, counted.
    fn get(&self, id: &str) -> Option<dashmap::mapref::one::Ref<'_, SessionId, Registration>> {
        #[cfg(feature = "test-util")]
        crate::test_util::count_lookup();
        self.map.get(id)
    }

    /// Puts `entry` in the map under `id` (replacing its `Starting` registration) and
    /// marks it live. If the actor already ended (it can stop between `spawn` returning
    /// and this call), deregisters it again at once.
    pub(crate) fn register(&self, id: &SessionId, entry: &Arc<Entry>) {
        // Counted before it can be found: whoever deregisters it counts it down.
        self.live.fetch_add(1, Ordering::AcqRel);
        {
            // `registered` is set under the shard's lock, together with the map value, so
            // that nobody can find the entry in the map and yet fail to deregister it
            // (e.g. `terminate` answering `SessionNotFound` for a session it just found).
            let live = Registration::Live(Arc::clone(entry));
            match self.map.entry(id.clone()) {
                MapEntry::Occupied(mut occupied) => {
                    entry.mark_registered();
                    occupied.insert(live);
                }
                MapEntry::Vacant(vacant) => {
                    entry.mark_registered();
                    vacant.insert(live);
                }
            }
        }
        self.live_gauge.set(self.live());
        // See `Entry::claim_end`: one of the two sees the other.
        if entry.is_ended() {
            self.deregister(entry);
        }
    }

    /// Gives up a `Starting` registration whose start failed or was cancelled.
    pub(crate) fn remove_starting(&self, id: &SessionId) {
        self.map
            .remove_if(id, |_, value| matches!(value, Registration::Starting));
    }

    /// Finds the live entry of `id`, expiring it on the spot if its deadline has passed (so
    /// no request reaches a session past its deadline, however late the expiry task runs).
    pub(crate) fn lookup(&self, id: &str) -> Result<Arc<Entry>, SessionError> {
        self.lookup_at(id).map(|(entry, _)| entry)
    }

    /// As [`lookup`](Self::lookup), with the instant the deadline was checked at.
    pub(crate) fn lookup_at(&self, id: &str) -> Result<(Arc<Entry>, Instant), SessionError> {
        let entry = match self.get(id).as_deref() {
            Some(Registration::Live(entry)) => Arc::clone(entry),
            _ => return Err(SessionError::not_found(id)),
        };
        entry.mark_returned();
        match self.check_deadline(&entry) {
            Some(now) => Ok((entry, now)),
            None => Err(SessionError::not_found(id)),
        }
    }

    /// The instant of the check if `entry` is within its deadlines; otherwise expires it
    /// on the spot and returns `None`.
    pub(crate) fn check_deadline(&self, entry: &Arc<Entry>) -> Option<Instant> {
        let now = Instant::now();
        let now_ms = self.clock.ms_at(now);
        if entry.deadline_ms(self.idle_ms) <= now_ms {
            self.expire(entry, now_ms);
            return None;
        }
        Some(now)
    }

    /// Runs `f` on the live entry of `id`, without reading the clock: a session past its
    /// deadline stays visible here until the expiry task's next tick (a thousandth of the
    /// timeout at most). For `is_started` and typed lookups, which must be as cheap as a
    /// map read.
    pub(crate) fn peek<R>(&self, id: &str, f: impl FnOnce(&Entry) -> R) -> Option<R> {
        match self.get(id).as_deref() {
            Some(Registration::Live(entry)) => Some(f(entry)),
            _ => None,
        }
    }

    /// Runs `f` on the live, unexpired entry of `id` (with the instant it was checked at),
    /// without taking a reference to it: the cheapest way to read or touch a session.
    pub(crate) fn with_live<R>(&self, id: &str, f: impl FnOnce(&Entry, Instant) -> R) -> Option<R> {
        let now = Instant::now();
        let now_ms = self.clock.ms_at(now);
        let guard = self.get(id)?;
        let Registration::Live(entry) = &*guard else {
            return None;
        };
        if entry.deadline_ms(self.idle_ms) > now_ms {
            entry.mark_returned();
            return Some(f(entry, now));
        }
        let entry = Arc::clone(entry);
        drop(guard);
        self.expire(&entry, now_ms);
        None
    }

    /// The expiry wheel, locked.
    pub(crate) fn lock_wheel(&self) -> MutexGuard<'_, Wheel<Entry>> {
        self.wheel.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Removes the entry from the map, gives back its place under `max_sessions` and takes
    /// it out of the wheel; the first call wins.
    pub(crate) fn deregister(&self, entry: &Arc<Entry>) -> bool {
        if !entry.take_registered() {
            return false;
        }
        {
            // Held across the removal so a concurrent `rotate` cannot move the entry
            // between reading its ID and removing it (lock order: ID, then map).
            let id = entry.lock_id();
            self.map.remove_if(&*id, |_, value| is_live(value, entry));
        }
        self.live.fetch_sub(1, Ordering::AcqRel);
        self.limit.release();
        self.lock_wheel().disarm(entry);
        self.users.unbind(entry);
        self.live_gauge.set(self.live());
        true
    }

    /// Live sessions: registered ones, not starts under way.
    pub(crate) fn live(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    /// Deregisters `entry` in order to stop it for `reason`. Only the caller that really
    /// removes the entry gets `true` and has its reason recorded: a `terminate` racing an
    /// expiry ends the session once, for the reason of whichever removed it.
    pub(crate) fn deregister_for(&self, entry: &Arc<Entry>, reason: EndReason) -> bool {
        if !self.deregister(entry) {
            return false;
        }
        entry.stop_for(reason);
        true
    }

    /// Ends a session whose deadline has passed: out of the map at once, so no request
    /// reaches it; watchers hear `Expired` when its actor has run `post_stop`. If a
    /// `terminate`, a crash or a shutdown removed it first, the session is theirs to end.
    pub(crate) fn expire(&self, entry: &Arc<Entry>, now_ms: u64) {
        if !self.deregister_for(entry, EndReason::Expired) {
            return;
        }
        let idle =
            tokio::time::Duration::from_millis(now_ms.saturating_sub(entry.last_active_ms()));
        let id = entry.id().redacted();
        telemetry::expired(id, &entry.kind, idle);
        match entry.actor() {
            Some(actor) => actor.stop(Some("expired".to_owned())),
            // Parked: nothing to stop, it ends here, never revived.
            None if entry.parking().is_some() => self.end_parked(entry, EndReason::Expired),
            None => telemetry::cleanup_error(id, entry.session_type(), "session had no actor"),
        }
    }

    /// Ends a parked session just deregistered for `reason`: it has no actor whose stop
    /// would end it.
    pub(crate) fn end_parked(&self, entry: &Arc<Entry>, reason: EndReason) {
        match self.parked_end.get() {
            Some(ParkedEnd(parked_end)) => parked_end(entry, reason),
            None => end(Some(self), entry, reason),
        }
    }

    /// Moves a live entry to a fresh ID. The old ID stops resolving at once.
    pub(crate) fn rotate(&self, old: &str) -> Result<SessionId, SessionError> {
        self.rotate_to(old, SessionId::generate())
    }

    /// Moves a live entry to `new`, a freshly generated ID (which the store may already
    /// hold the record under). The old ID stops resolving at once.
    pub(crate) fn rotate_to(&self, old: &str, new: SessionId) -> Result<SessionId, SessionError> {
        let entry = self.lookup(old)?;
        {
            // Holding the entry's ID lock serializes this with `deregister`, which reads
            // the ID under the same lock; no map lock is held while taking it.
            let mut id = entry.lock_id();
            // A racing rotation of the same ID may have moved the entry since the lookup:
            // then `old` no longer names it, and moving it again would leave the first new
            // ID in the map for good.
            if !entry.is_registered() || id.as_str() != old {
                return Err(SessionError::not_found(old));
            }
            self.map
                .insert(new.clone(), Registration::Live(Arc::clone(&entry)));
            self.map.remove_if(old, |_, value| is_live(value, &entry));
            *id = new.clone();
        }
        entry.notify_rotated();
        self.counters.rotated();
        Ok(new)
    }

    /// Every live entry.
    pub(crate) fn live_entries(&self) -> Vec<Arc<Entry>> {
        self.map
            .iter()
            .filter_map(|item| match item.value() {
                Registration::Live(entry) => Some(Arc::clone(entry)),
                Registration::Starting => None,
            })
            .collect()
    }

    /// Whether a start (or revival) of `id` is under way.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub(crate) fn is_starting(&self, id: &str) -> bool {
        self.get(id)
            .is_some_and(|registration| matches!(*registration, Registration::Starting))
    }

    /// Whether any start is under way.
    pub(crate) fn any_starting(&self) -> bool {
        self.map
            .iter()
            .any(|item| matches!(item.value(), Registration::Starting))
    }

    /// Every registration with its ID, for listings and figures (not counted as lookups:
    /// it reads no ID).
    pub(crate) fn for_each(&self, mut f: impl FnMut(&SessionId, &Registration)) {
        for item in &self.map {
            f(item.key(), item.value());
        }
    }

    /// Entries the map can hold without growing.
    pub(crate) fn capacity(&self) -> usize {
        self.map.capacity()
    }
}

fn is_live(value: &Registration, entry: &Arc<Entry>) -> bool {
    matches!(value, Registration::Live(e) if Arc::ptr_eq(e, entry))
}

/// The session's actor has stopped (or is about to, after an error): takes its entry out
/// of `registry` (when its manager is still there to have one), then finishes the entry,
/// which tells its watchers. Runs once per entry; later calls do nothing.
pub(crate) fn end(registry: Option<&Registry>, entry: &Arc<Entry>, fallback: EndReason) {
    if !entry.claim_end() {
        return;
    }
    if let Some(registry) = registry {
        registry.deregister(entry);
    }
    let ended = entry.finish(fallback, registry.map(|registry| &registry.clock));
    if let (Some(registry), Some(reason)) = (registry, ended) {
        registry.counters.ended(&reason);
    }
}

/// Registered entries without actors, for unit tests of the registry and of expiry.
#[cfg(test)]
pub(crate) mod test_support {
    use std::any::TypeId;
    use std::sync::Arc;

    use super::Registry;
    use crate::entry::Entry;
    use crate::id::SessionId;
    use crate::session_type::SessionType;

    /// A new entry for `id`, with its place under `max_sessions` reserved, not registered.
    pub(crate) fn reserve(registry: &Registry, id: &str) -> Arc<Entry> {
        let id = SessionId::parse(id).unwrap();
        assert!(registry.limit.try_reserve());
        Arc::new(Entry::new(
            id,
            Arc::new(SessionType::new("Test", TypeId::of::<()>())),
            &registry.clock,
            registry.lifetime_ms,
        ))
    }

    /// Registers a new entry under `id` as a start does: a place first, then the entry.
    pub(crate) fn start(registry: &Registry, id: &str) -> Arc<Entry> {
        let entry = reserve(registry, id);
        registry.register(&entry.id(), &entry);
        entry
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::Duration;

    use super::test_support::{reserve, start};
    use super::*;

    fn registry() -> Registry {
        let config = SessionConfig::default()
            .with_max_sessions(2)
            .with_idle_timeout(Duration::from_secs(10));
        Registry::new(&config)
    }

    #[test]
    fn a_registered_entry_is_found_until_deregistered() {
        let registry = registry();
        let entry = start(&registry, "s1");
        assert!(Arc::ptr_eq(&registry.lookup("s1").unwrap(), &entry));
        assert_eq!(registry.peek("s1", |e| e.session_type()), Some("Test"));
        assert_eq!(registry.limit.live(), 1);

        assert!(registry.deregister(&entry));
        assert!(!registry.deregister(&entry), "the first call wins");
        assert!(!entry.is_registered());
        assert!(matches!(
            registry.lookup("s1"),
            Err(SessionError::SessionNotFound { .. })
        ));
        assert_eq!(registry.limit.live(), 0, "its place is given back once");
    }

    #[test]
    fn a_starting_registration_is_not_a_live_session() {
        let registry = registry();
        let id = SessionId::parse("s1").unwrap();
        if let MapEntry::Vacant(vacant) = registry.entry(id.clone()) {
            vacant.insert(Registration::Starting);
        }
        assert!(registry.any_starting());
        assert!(registry.lookup("s1").is_err());
        assert!(registry.peek("s1", |_| ()).is_none());
        registry.remove_starting(&id);
        assert!(!registry.any_starting());
    }

    #[test]
    fn an_entry_whose_end_was_claimed_is_deregistered_as_it_registers() {
        let registry = registry();
        let entry = reserve(&registry, "s1");
        // The actor stopped between its spawn and its registration.
        end(Some(&registry), &entry, EndReason::Terminated);
        registry.register(&entry.id(), &entry);
        assert!(!entry.is_registered());
        assert!(registry.lookup("s1").is_err());
        assert_eq!(registry.limit.live(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lookup_past_the_deadline_expires_the_session() {
        let registry = registry();
        let entry = start(&registry, "s1");
        registry
            .lock_wheel()
            .arm(&entry, entry.deadline_ms(registry.idle_ms));
        let watch = entry.watch("s1");
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(registry.with_live("s1", |_, _| ()).is_none());
        assert!(!entry.is_registered());
        assert!(registry.lookup("s1").is_err());
        assert_eq!(registry.limit.live(), 0);
        assert_eq!(registry.lock_wheel().len(), 0, "out of the wheel too");
        // Its watchers hear `Expired` once the actor has stopped and the end is reported.
        end(Some(&registry), &entry, EndReason::Terminated);
        assert_eq!(watch.await, EndReason::Expired);
    }

    #[test]
    fn rotation_moves_the_entry_and_the_old_id_stops_resolving() {
        let registry = registry();
        let entry = start(&registry, "s1");
        let new = registry.rotate("s1").unwrap();
        assert!(registry.lookup("s1").is_err());
        assert!(Arc::ptr_eq(&registry.lookup(new.as_str()).unwrap(), &entry));
        assert_eq!(entry.id(), new);
        assert!(
            registry.rotate("s1").is_err(),
            "the old ID names nothing now"
        );
        // Deregistration finds the entry under its new ID.
        assert!(registry.deregister(&entry));
        assert!(registry.lookup(new.as_str()).is_err());
        assert!(registry.live_entries().is_empty());
    }
}
