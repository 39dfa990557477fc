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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use crate::config::SessionConfig;
use crate::entry::Entry;
use crate::parking::Parking;

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
    /// `busy` tells the sessions not to park now (the one whose actor asks, which could
    /// not stop while it waits). When nothing can be parked (every active session pinned
    /// or busy), the place is taken all the same: pinned sessions may hold the count
    /// above `max_active`, never a caller forever.
    pub(crate) async fn reserve(&self, busy: fn(&Arc<Entry>) -> bool) -> bool {
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
            if !self.park_least_recent(busy) {
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
    fn park_least_recent(&self, busy: fn(&Arc<Entry>) -> bool) -> bool {
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
            let busy = entry.parking().is_some_and(Parking::is_pinned) || busy(&entry);
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
    use std::time::Duration;

    use crate::id::RedactedId;

    /// Sessions parked (passivated), by manager.
    pub(crate) const PASSIVATED: &str = "ractor_session_passivated_total";
    /// Parked sessions revived, by session type.
    pub(crate) const ACTIVATED: &str = "ractor_session_activated_total";
    /// Sessions parked now, by manager.
    pub(crate) const PARKED: &str = "ractor_session_parked";

    /// Describes the metrics to the installed recorder.
    pub(crate) fn describe() {
        use metrics::{Unit, describe_counter, describe_gauge};
        describe_counter!(PASSIVATED, Unit::Count, "Sessions parked (passivated)");
        describe_counter!(
            ACTIVATED,
            Unit::Count,
            "Parked sessions revived by their next use"
        );
        describe_gauge!(PARKED, Unit::Count, "Sessions parked now");
    }

    /// The gauge of parked sessions of `manager`.
    pub(crate) fn parked(manager: &Arc<str>, count: usize) {
        metrics::gauge!(PARKED, "manager" => Arc::clone(manager)).set(count as f64);
    }

    /// A parked session was revived, taking `took`.
    pub(crate) fn activated(session: RedactedId, session_type: &'static str, took: Duration) {
        metrics::counter!(ACTIVATED, "session_type" => session_type).increment(1);
        tracing::debug!(
            target: "ractor_session",
            %session,
            session_type,
            duration_us = took.as_micros() as u64,
            "parked session revived"
        );
    }

    /// A session was parked.
    pub(crate) fn passivated(session: RedactedId, session_type: &'static str) {
        metrics::counter!(PASSIVATED, "session_type" => session_type).increment(1);
        tracing::debug!(target: "ractor_session", %session, session_type, "session parked");
    }
}
