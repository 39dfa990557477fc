//! Idle and absolute expiry: the task that sweeps a manager's expiry wheel (and fails its
//! overdue calls: `call_deadlines`).
//!
//! Activity is one relaxed atomic store on the session's entry (`Entry::touch_at`);
//! nothing here runs per message. Each live session sits in exactly one bucket of its
//! registry's [`Wheel`](crate::wheel::Wheel): the bucket of its deadline, rounded up to the
//! wheel's tick. Arming (here, when a session starts) and disarming (by the registry, when
//! it leaves) are a push and a swap-remove under a short lock, so starting and stopping a
//! session sends no message and wakes no task.
//!
//! One task per manager sleeps until the earliest bucket is due. Then it recomputes each
//! entry's deadline from its activity stamp: if activity moved it, the entry goes to its
//! new bucket; otherwise the session is expired (`Registry::expire`). All entries of a due
//! bucket are handled in one pass, however many there are. A bucket is due at a tick
//! boundary at or after every deadline in it, so a session never expires before its
//! deadline, and at most one tick (a thousandth of the timeout, between 1 ms and 100 ms)
//! after it.
//!
//! With `passivate_after`, the wheel also carries each parkable session's passivation
//! deadline: an entry's bucket is that of its next wake-up, the earlier of the moment it
//! has been idle `passivate_after` and its expiry deadline. A due entry that is idle that
//! long is drained to park (see `passivation`) and armed again for its deadline; a parked
//! session sits at its deadline and expires from there, without being revived. No timer
//! per session either way.
//!
//! Independently of the task, every lookup checks the deadline of the entry it finds: no
//! request reaches a session past its deadline, however late the task runs. The wheel holds
//! entries, not IDs, and an entry leaves the wheel when it leaves the registry, so a later
//! session under the same ID can never be hit by an earlier session's deadline.

use std::sync::{Arc, Weak};

use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

use crate::entry::Entry;
use crate::passivation;
use crate::registry::Registry;
use crate::shared::Shared;
use crate::wheel::Wheel;

/// The longest the expiry task sleeps at once, so that far-off deadlines never meet the
/// limits of tokio's timer; it then simply looks again.
const MAX_SLEEP: Duration = Duration::from_secs(24 * 3600);

/// How many due entries the expiry task handles before letting other tasks run (a few
/// milliseconds of work). Yielding much more often starves expiry when thousands of session
/// actors are runnable: each yield waits behind all of them.
const SWEEP_CHUNK: usize = 4096;

/// Arms a newly registered entry (unless it was deregistered meanwhile).
pub(crate) fn arm_new(shared: &Shared, entry: &Arc<Entry>) {
    arm_at_wake(shared, entry, Wheel::arm);
}

/// Moves an entry in the wheel to the bucket of its next wake-up: a revived one (its
/// passivation is due before the deadline it sat at while parked), or one whose lifetime
/// was shortened. An entry a sweep has taken out is left to the sweep.
pub(crate) fn rearm(shared: &Shared, entry: &Arc<Entry>) {
    arm_at_wake(shared, entry, Wheel::rearm);
}

/// Puts `entry` in the wheel with `arm`, at its next wake-up, and wakes the task if that
/// is earlier than the one it sleeps until.
fn arm_at_wake(
    shared: &Shared,
    entry: &Arc<Entry>,
    arm: fn(&mut Wheel<Entry>, &Arc<Entry>, u64) -> bool,
) {
    let registry = &shared.registry;
    let wake = {
        let mut wheel = registry.lock_wheel();
        let at = registry.wake_ms(entry, registry.clock.now_ms());
        entry.is_registered() && arm(&mut wheel, entry, at)
    };
    if wake {
        shared.expiry_wake.notify_one();
    }
}

/// The expiry task: runs until every manager handle is gone.
pub(crate) async fn run(shared: Weak<Shared>, wake: Arc<Notify>) {
    loop {
        let next_due = {
            let Some(shared) = shared.upgrade() else {
                break;
            };
            let registry = &shared.registry;
            sweep(registry, registry.clock.now_ms()).await;
            let next = registry.lock_wheel().sleep_until_next_due();
            let next_call = shared.calls.fire_due(registry.clock.now_ms());
            let next = match (next, next_call) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            next.map(|ms| registry.clock.instant(ms))
        };
        let limit = Instant::now() + MAX_SLEEP;
        let until = next_due.map_or(limit, |due| due.min(limit));
        tokio::select! {
            () = tokio::time::sleep_until(until) => {}
            () = wake.notified() => {}
        }
    }
}

/// Expires or re-arms every entry due at `now_ms`.
async fn sweep(registry: &Registry, now_ms: u64) {
    let due = registry.lock_wheel().take_due(now_ms);
    if due.is_empty() {
        return;
    }
    let mut later = Vec::new();
    for (i, entry) in due.into_iter().enumerate() {
        // A bucket can hold a million sessions: don't hold a worker thread for all of them.
        if i % SWEEP_CHUNK == SWEEP_CHUNK - 1 {
            tokio::task::yield_now().await;
        }
        if !entry.is_registered() {
            continue;
        }
        if entry.deadline_ms(registry.idle_ms) <= now_ms {
            registry.expire(&entry, now_ms);
            continue;
        }
        if registry.passivation_due(&entry, now_ms) {
            // Idle for `passivate_after`: parked (unless pinned), and armed for its deadline.
            passivation::passivate(&entry);
        }
        later.push(entry);
    }
    if !later.is_empty() {
        let mut wheel = registry.lock_wheel();
        for entry in later {
            // Deregistration takes the entry out under this lock: re-arm only what is live.
            // The deadline is read again here, under the lock: its lifetime may have been
            // shortened since (`SessionHandle::limit_lifetime`); a deadline now past lands
            // in a due bucket and is expired by the next sweep.
            if entry.is_registered() {
                wheel.arm(&entry, registry.wake_ms(&entry, now_ms));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SessionConfig;
    use crate::registry::test_support::start;

    #[tokio::test(start_paused = true)]
    async fn a_sweep_expires_idle_entries_and_re_arms_active_ones() {
        let config = SessionConfig::default().with_idle_timeout(Duration::from_secs(1));
        let registry = Registry::new(&config);
        let idle = start(&registry, "idle");
        let active = start(&registry, "active");
        for entry in [&idle, &active] {
            registry
                .lock_wheel()
                .arm(entry, entry.deadline_ms(registry.idle_ms));
        }
        tokio::time::advance(Duration::from_millis(600)).await;
        active.touch_at(&registry.clock, Instant::now());
        tokio::time::advance(Duration::from_millis(400)).await;

        sweep(&registry, registry.clock.now_ms()).await;
        assert!(!idle.is_registered(), "idle for its whole timeout");
        assert!(registry.lookup("idle").is_err());
        assert!(active.is_registered(), "its activity moved its deadline");
        let mut wheel = registry.lock_wheel();
        assert_eq!(wheel.len(), 1, "only the active entry is armed again");
        assert_eq!(wheel.sleep_until_next_due(), Some(1_600));
    }

    #[tokio::test(start_paused = true)]
    async fn a_sweep_before_any_deadline_changes_nothing() {
        let config = SessionConfig::default().with_idle_timeout(Duration::from_secs(1));
        let registry = Registry::new(&config);
        let entry = start(&registry, "s1");
        registry
            .lock_wheel()
            .arm(&entry, entry.deadline_ms(registry.idle_ms));
        tokio::time::advance(Duration::from_millis(999)).await;
        sweep(&registry, registry.clock.now_ms()).await;
        assert!(entry.is_registered());
        assert_eq!(registry.lock_wheel().len(), 1);
    }
}
