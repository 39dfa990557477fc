//! Admission of a start, and room for newcomers at `max_sessions`: [`Admission`] and the
//! queue of provisional sessions.
//!
//! A web app starts a session for every visitor without a cookie, and most of those never
//! come back: crawlers, scripts, clients that drop cookies — and an attacker who wants to
//! fill `max_sessions` so that nobody else gets a session. A start admitted as
//! [provisional](Admission::provisional) marks its session as such until its ID is used
//! again (a lookup by ID: the web layer's next request with the cookie). When
//! `max_sessions` is reached, a provisional start ends the least recently started
//! session that is still provisional — one that never did more than its first request —
//! instead of being refused. Sessions that came back are never evicted: only when every
//! live session has come back is a start refused with `SessionLimitReached`.
//!
//! With a session store, a session revived from its record is one that came back: it is
//! never provisional (whatever the admission of a start that revived it), and at
//! `max_sessions` its revival evicts a provisional session as a provisional start does.
//! An evicted durable session's record is deleted, as at the end of any session that
//! does not stop for a shutdown: it never came back, and is not kept for later.
//!
//! Nothing here runs per message: a provisional start pushes onto a queue under a short
//! lock, an eviction pops from it, and a lookup by ID clears the entry's flag with one
//! relaxed atomic load (and, once per session, a store).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};

use crate::entry::Entry;
use crate::registry::Registry;
use crate::watch::EndReason;

/// How one start is admitted under the manager's limits.
///
/// The default is how [`SessionManager::start`](crate::SessionManager::start) and its
/// siblings admit a start: it takes a token from the manager's
/// [`rate_limit`](crate::SessionConfig::rate_limit), and it is refused with
/// `SessionLimitReached` when `max_sessions` sessions are live.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::{Admission, KvSession, SessionConfig, SessionManager};
///
/// let manager = SessionManager::spawn(SessionConfig::default().with_max_sessions(2)).await?;
/// let visitor = Admission::default().with_rate_limit(false).provisional();
/// let make = || (KvSession, Default::default());
/// manager.get_or_start_session_admitted("a", make, visitor).await?;
/// manager.get_or_start_session_admitted("b", make, visitor).await?;
/// manager.session("b")?; // "b" came back: it is no longer provisional
///
/// // Full: the newcomer takes the place of "a", which never came back.
/// manager.get_or_start_session_admitted("c", make, visitor).await?;
/// assert!(!manager.is_started("a"));
/// assert!(manager.is_started("b") && manager.is_started("c"));
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub struct Admission {
    rate_limited: bool,
    provisional: bool,
}

impl Default for Admission {
    fn default() -> Self {
        Self {
            rate_limited: true,
            provisional: false,
        }
    }
}

impl Admission {
    /// Whether the start takes a token from the manager's `rate_limit` (default: yes).
    ///
    /// A web layer that limits creation per client turns it off: one shared bucket lets
    /// a single client use it up and lock every new visitor out.
    ///
    /// # Examples
    ///
    /// ```
    /// let admission = ractor_session::Admission::default().with_rate_limit(false);
    /// assert!(!admission.is_rate_limited());
    /// ```
    pub fn with_rate_limit(mut self, on: bool) -> Self {
        self.rate_limited = on;
        self
    }

    /// Makes the session provisional until its ID is used again, and lets this start
    /// evict the least recently started provisional session when `max_sessions` is
    /// reached (the rules are in `docs/runtime-semantics.md`, "Starting"). An evicted session
    /// ends with [`EndReason::Evicted`].
    ///
    /// # Examples
    ///
    /// ```
    /// let admission = ractor_session::Admission::default().provisional();
    /// assert!(admission.is_provisional());
    /// ```
    pub fn provisional(mut self) -> Self {
        self.provisional = true;
        self
    }

    /// Whether the start takes a token from the manager's `rate_limit`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ractor_session::Admission::default().is_rate_limited());
    /// ```
    #[must_use]
    pub fn is_rate_limited(&self) -> bool {
        self.rate_limited
    }

    /// Whether the session starts provisional (and the start may evict one).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!ractor_session::Admission::default().is_provisional());
    /// ```
    #[must_use]
    pub fn is_provisional(&self) -> bool {
        self.provisional
    }
}

/// Provisional sessions, oldest first.
///
/// Holds weak references: an entry that came back or ended stays in the queue until an
/// eviction pops it or a compaction drops it. A compaction runs when the queue reaches
/// twice `max_sessions` and leaves at most `max_sessions` behind, so its cost is spread
/// over at least as many starts and the queue never outgrows `2 × max_sessions`.
#[derive(Debug)]
pub(crate) struct ProvisionalQueue {
    queue: Mutex<VecDeque<Weak<Entry>>>,
    compact_at: usize,
}

impl ProvisionalQueue {
    pub(crate) fn new(max_sessions: usize) -> Self {
        Self {
            queue: Mutex::new(VecDeque::new()),
            compact_at: max_sessions.saturating_mul(2).max(64),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Weak<Entry>>> {
        // Nothing panics while holding it; the queue stays consistent either way.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts a newly registered provisional entry at the back of the queue.
    pub(crate) fn enlist(&self, entry: &Arc<Entry>) {
        let mut queue = self.lock();
        if queue.len() >= self.compact_at {
            queue.retain(|weak| weak.upgrade().is_some_and(|e| still_provisional(&e)));
        }
        queue.push_back(Arc::downgrade(entry));
    }

    /// Ends the least recently started session that is still provisional; `false` when
    /// there is none. Its place under `max_sessions` is free when this returns.
    /// `ending` runs on the session chosen, before it leaves the registry (a manager with
    /// a store makes sure its ID is not revived from its record meanwhile).
    pub(crate) fn evict_one(&self, registry: &Registry, ending: impl Fn(&Entry)) -> bool {
        loop {
            let Some(weak) = self.lock().pop_front() else {
                return false;
            };
            let Some(entry) = weak.upgrade() else {
                continue;
            };
            // Claimed with a swap, so a lookup that clears the flag at the same moment
            // either keeps the session (it cleared it first) or finds it gone.
            if !entry.take_provisional() {
                continue;
            }
            ending(&entry);
            if !registry.deregister_for(&entry, EndReason::Evicted) {
                continue;
            }
            tracing::debug!(
                target: "ractor_session",
                session = %entry.id().redacted(),
                session_type = entry.session_type(),
                "provisional session evicted to make room at max_sessions"
            );
            match entry.actor() {
                Some(actor) => actor.stop(Some("evicted".to_owned())),
                None if entry.parking().is_some() => {
                    registry.end_parked(&entry, EndReason::Evicted);
                }
                None => {}
            }
            return true;
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

fn still_provisional(entry: &Entry) -> bool {
    entry.is_registered() && entry.is_provisional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SessionConfig;
    use crate::registry::test_support::start;

    fn registry(max: usize) -> Registry {
        Registry::new(&SessionConfig::default().with_max_sessions(max))
    }

    fn provisional(registry: &Registry, queue: &ProvisionalQueue, id: &str) -> Arc<Entry> {
        let entry = start(registry, id);
        entry.mark_provisional();
        queue.enlist(&entry);
        entry
    }

    #[test]
    fn the_oldest_session_that_never_came_back_is_evicted_first() {
        let registry = registry(3);
        let queue = ProvisionalQueue::new(3);
        let a = provisional(&registry, &queue, "a");
        let b = provisional(&registry, &queue, "b");
        let c = provisional(&registry, &queue, "c");
        // "a" came back: a lookup by its ID.
        registry.lookup("a").unwrap();

        assert!(queue.evict_one(&registry, |_| {}));
        assert!(a.is_registered() && !b.is_registered() && c.is_registered());
        assert_eq!(registry.limit.live(), 2, "its place is free");
        assert!(queue.evict_one(&registry, |_| {}));
        assert!(!c.is_registered());
        assert!(
            !queue.evict_one(&registry, |_| {}),
            "only returned sessions are left"
        );
        assert!(a.is_registered());
    }

    #[test]
    fn ended_sessions_are_skipped_and_the_queue_stays_bounded() {
        let registry = registry(1_000);
        let queue = ProvisionalQueue::new(10);
        for i in 0..500 {
            let entry = provisional(&registry, &queue, &format!("s{i}"));
            if i % 2 == 0 {
                registry.deregister(&entry);
            } else {
                registry.lookup(&format!("s{i}")).unwrap();
            }
            assert!(queue.len() <= 64, "compacted: {}", queue.len());
        }
        assert!(
            !queue.evict_one(&registry, |_| {}),
            "none is provisional and live"
        );
    }
}
