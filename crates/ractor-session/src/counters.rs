//! Cumulative per-manager counters: sessions started, ended by reason, IDs rotated,
//! sessions revived from the store.
//!
//! They answer "how many since the manager started" without a `metrics` recorder (a
//! dashboard, a health endpoint, a test), one manager apart from another. Each is a relaxed
//! atomic bumped where a session starts, ends, is rotated or revived: never on the `call`/`cast`
//! path. Reading them is a handful of loads ([`SessionManager::counters`]), so they can be
//! sampled every second at any number of sessions.
//!
//! [`SessionManager::counters`]: crate::SessionManager::counters

use std::sync::atomic::{AtomicU64, Ordering};

use crate::watch::EndReason;

/// Sessions ended since the manager started, by [`EndReason`].
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// manager.start("s1").await?;
/// manager.terminate("s1").await?;
/// let ended = manager.counters().ended;
/// assert_eq!((ended.terminated, ended.expired), (1, 0));
/// assert_eq!(ended.total(), 1);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndCounts {
    /// [`EndReason::Terminated`]: `terminate`, or the actor stopped itself.
    pub terminated: u64,
    /// [`EndReason::Expired`]: the idle timeout or the absolute lifetime.
    pub expired: u64,
    /// [`EndReason::Crashed`]: the actor panicked or returned an error.
    pub crashed: u64,
    /// [`EndReason::Evicted`]: made room for a newcomer at `max_sessions`.
    pub evicted: u64,
    /// [`EndReason::Shutdown`]: the manager shut down.
    pub shutdown: u64,
    /// [`EndReason::LoggedOut`]: ended with every session of its user
    /// (`terminate_user`).
    pub logged_out: u64,
    /// [`EndReason::HandedOver`] (or [`EndReason::NodeLost`]): in a cluster, moved to the
    /// node that owns it now; it lives on there.
    pub handed_over: u64,
}

impl EndCounts {
    /// Every session ended, whatever the reason.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session::EndCounts::default().total(), 0);
    /// ```
    #[must_use]
    pub fn total(&self) -> u64 {
        self.terminated
            + self.expired
            + self.crashed
            + self.evicted
            + self.shutdown
            + self.logged_out
            + self.handed_over
    }
}

/// What a manager has counted since it started; from
/// [`SessionManager::counters`](crate::SessionManager::counters) and
/// [`SessionStats::counters`](crate::SessionStats::counters).
///
/// Cumulative: two readings a second apart give the rates of that second.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// manager.start("s1").await?;
/// manager.rotate("s1").await?;
/// let counters = manager.counters();
/// assert_eq!((counters.started, counters.rotated), (1, 1));
/// assert_eq!(counters.revived, None, "this manager has no store");
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionCounters {
    /// Sessions started (whose actor started and that became live).
    pub started: u64,
    /// Sessions ended, by reason.
    pub ended: EndCounts,
    /// Session IDs rotated away. A rotation ends an ID, not its session: the session
    /// lives on under its new ID, so it is not among `ended`.
    pub rotated: u64,
    /// Sessions revived from the store: brought back to life by their next use (after a
    /// restart, for one) or, with passivation, from being parked. Not among `started`;
    /// among `ended` once they end again. `None`: this manager has no store and parks no
    /// session, so there is nothing to revive.
    pub revived: Option<u64>,
    /// Sessions parked (passivated): their actor stopped, their state kept as bytes until
    /// their next use. Not an end. `None`: this manager parks no session (neither
    /// `passivate_after` nor `max_active` is set).
    pub passivated: Option<u64>,
}

/// The counters a manager bumps; see the module's documentation.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    started: AtomicU64,
    terminated: AtomicU64,
    expired: AtomicU64,
    crashed: AtomicU64,
    evicted: AtomicU64,
    shutdown: AtomicU64,
    logged_out: AtomicU64,
    handed_over: AtomicU64,
    rotated: AtomicU64,
    revived: AtomicU64,
    passivated: AtomicU64,
}

impl Counters {
    /// A session became live.
    pub(crate) fn started(&self) {
        bump(&self.started);
    }

    /// A live session ended for `reason`.
    pub(crate) fn ended(&self, reason: &EndReason) {
        let counter = match reason {
            EndReason::Terminated => &self.terminated,
            EndReason::Expired => &self.expired,
            EndReason::Crashed(_) => &self.crashed,
            EndReason::Evicted => &self.evicted,
            EndReason::Shutdown => &self.shutdown,
            EndReason::LoggedOut => &self.logged_out,
            EndReason::HandedOver | EndReason::NodeLost => &self.handed_over,
            // Rotation moves a session rather than ending it, and is counted where it
            // happens; should a session ever end for it, it counts there too.
            EndReason::Rotated => &self.rotated,
        };
        bump(counter);
    }

    /// A session's ID was rotated away.
    pub(crate) fn rotated(&self) {
        bump(&self.rotated);
    }

    /// The counts now. Each is read on its own: a start and an end racing this read may be
    /// seen one without the other, never a count going backwards.
    pub(crate) fn revived(&self) {
        bump(&self.revived);
    }

    pub(crate) fn passivated(&self) {
        bump(&self.passivated);
    }

    /// The counts so far; `revived` only for a manager that can revive (with a store, or
    /// that parks), `passivated` only for one that parks.
    pub(crate) fn read(&self, revives: bool, parks: bool) -> SessionCounters {
        SessionCounters {
            started: load(&self.started),
            ended: EndCounts {
                terminated: load(&self.terminated),
                expired: load(&self.expired),
                crashed: load(&self.crashed),
                evicted: load(&self.evicted),
                shutdown: load(&self.shutdown),
                logged_out: load(&self.logged_out),
                handed_over: load(&self.handed_over),
            },
            rotated: load(&self.rotated),
            revived: revives.then(|| load(&self.revived)),
            passivated: parks.then(|| load(&self.passivated)),
        }
    }
}

// Relaxed: each counter is a tally on its own, ordering nothing else.
fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn load(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_end_reason_counts_apart() {
        let counters = Counters::default();
        counters.started();
        counters.started();
        for reason in [
            EndReason::Terminated,
            EndReason::Expired,
            EndReason::Expired,
            EndReason::Crashed("boom".into()),
            EndReason::Evicted,
            EndReason::Shutdown,
            EndReason::LoggedOut,
        ] {
            counters.ended(&reason);
        }
        counters.rotated();
        counters.revived();
        counters.passivated();
        let read = counters.read(true, true);
        assert_eq!(read.started, 2);
        assert_eq!(
            read.ended,
            EndCounts {
                terminated: 1,
                expired: 2,
                crashed: 1,
                evicted: 1,
                shutdown: 1,
                logged_out: 1,
                handed_over: 0,
            }
        );
        assert_eq!(read.ended.total(), 7);
        assert_eq!(read.rotated, 1);
        assert_eq!(read.revived, Some(1));
        assert_eq!(read.passivated, Some(1));
        assert_eq!(
            counters.read(false, false).revived,
            None,
            "no store, nothing revived"
        );
        assert_eq!(counters.read(false, false).passivated, None);
    }
}
