//! Idle and absolute expiry: a coarse timer wheel per manager, checked lazily.
//!
//! Activity is one relaxed atomic store on the session's entry (see `Entry::touch`);
//! nothing here runs per message. Each live session sits in exactly one bucket of its
//! manager's [`Wheel`]: the bucket of its deadline, rounded up to the wheel's tick. Arming
//! and disarming are a push and a swap-remove under a short lock, done by whoever starts or
//! ends the session, so starting and stopping a session sends no message and wakes no task.
//!
//! One task per manager sleeps until the earliest bucket is due. Then it recomputes each
//! entry's deadline from its activity stamp: if activity moved it, the entry goes to its
//! new bucket; otherwise the session is expired. All entries of a due bucket are handled in
//! one pass, however many there are. A bucket is due at a tick boundary at or after every
//! deadline in it, so a session never expires before its deadline, and at most one tick
//! (a thousandth of the timeout, between 1 ms and 100 ms) after it.
//!
//! Independently of the task, every lookup checks the deadline of the entry it finds: no
//! request reaches a session past its deadline, however late the task runs. The wheel holds
//! entries, not IDs, and an entry leaves the wheel when it leaves the registry, so a later
//! session under the same ID can never be hit by an earlier session's deadline.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

use crate::config::SessionConfig;
use crate::registry::{Entry, Shared};
use crate::telemetry;
use crate::watch::EndReason;

/// The finest and the coarsest tick of a wheel.
const MIN_TICK_MS: u64 = 1;
const MAX_TICK_MS: u64 = 100;

/// The longest the expiry task sleeps at once, so that far-off deadlines never meet the
/// limits of tokio's timer; it then simply looks again.
const MAX_SLEEP: Duration = Duration::from_secs(24 * 3600);

/// Where an entry sits in the wheel: read and written only under the wheel's lock.
#[derive(Debug, Default)]
pub(crate) struct WheelSlot {
    /// The bucket plus one; zero when the entry is not in the wheel.
    bucket: AtomicU64,
    /// Its index in that bucket.
    pos: AtomicU64,
}

/// Live sessions bucketed by deadline.
#[derive(Debug)]
pub(crate) struct Wheel {
    tick_ms: u64,
    buckets: BTreeMap<u64, Vec<Arc<Entry>>>,
    /// The bucket the expiry task is sleeping until (`u64::MAX` when it sleeps for long):
    /// arming an earlier bucket must wake it.
    sleeping_until: u64,
}

impl Wheel {
    pub(crate) fn new(config: &SessionConfig) -> Self {
        let shortest = config
            .max_lifetime
            .map_or(config.idle_timeout, |max| max.min(config.idle_timeout));
        let tick_ms = (shortest.as_millis() as u64 / 1000).clamp(MIN_TICK_MS, MAX_TICK_MS);
        Self {
            tick_ms,
            buckets: BTreeMap::new(),
            sleeping_until: u64::MAX,
        }
    }

    /// Puts `entry` in the bucket of `deadline_ms`. Returns whether the expiry task must be
    /// woken because the bucket is earlier than the one it sleeps until.
    pub(crate) fn arm(&mut self, entry: &Arc<Entry>, deadline_ms: u64) -> bool {
        debug_assert_eq!(entry.wheel_slot.bucket.load(Ordering::Relaxed), 0);
        let bucket = deadline_ms.div_ceil(self.tick_ms);
        let entries = self.buckets.entry(bucket).or_default();
        entry
            .wheel_slot
            .pos
            .store(entries.len() as u64, Ordering::Relaxed);
        entry.wheel_slot.bucket.store(bucket + 1, Ordering::Relaxed);
        entries.push(Arc::clone(entry));
        bucket < self.sleeping_until
    }

    /// Takes `entry` out of the wheel, if it is in.
    pub(crate) fn disarm(&mut self, entry: &Entry) {
        let bucket = entry.wheel_slot.bucket.swap(0, Ordering::Relaxed);
        if bucket == 0 {
            return;
        }
        let pos = entry.wheel_slot.pos.load(Ordering::Relaxed) as usize;
        let Some(entries) = self.buckets.get_mut(&(bucket - 1)) else {
            debug_assert!(false, "an armed entry's bucket is missing");
            return;
        };
        entries.swap_remove(pos);
        if let Some(moved) = entries.get(pos) {
            moved.wheel_slot.pos.store(pos as u64, Ordering::Relaxed);
        } else if entries.is_empty() {
            self.buckets.remove(&(bucket - 1));
        }
    }

    /// Takes every entry whose bucket is due at `now_ms`.
    fn take_due(&mut self, now_ms: u64) -> Vec<Arc<Entry>> {
        let later = self.buckets.split_off(&(now_ms / self.tick_ms + 1));
        let due = std::mem::replace(&mut self.buckets, later);
        let mut taken = Vec::with_capacity(due.values().map(Vec::len).sum());
        for entry in due.into_values().flatten() {
            entry.wheel_slot.bucket.store(0, Ordering::Relaxed);
            taken.push(entry);
        }
        taken
    }

    /// When the earliest bucket is due, in clock milliseconds.
    fn next_due_ms(&self) -> Option<u64> {
        self.buckets.keys().next().map(|b| b * self.tick_ms)
    }

    /// Live entries in the wheel.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.buckets.values().map(Vec::len).sum()
    }
}

/// Arms a newly registered entry (unless it was deregistered meanwhile).
pub(crate) fn arm_new(shared: &Shared, entry: &Arc<Entry>) {
    let wake = {
        let mut wheel = shared.lock_wheel();
        entry.is_registered() && wheel.arm(entry, entry.deadline_ms(shared.idle_ms))
    };
    if wake {
        shared.wheel_wake.notify_one();
    }
}

/// Runs until every manager handle is gone.
pub(crate) async fn run(shared: Weak<Shared>, wake: Arc<Notify>) {
    loop {
        let next_due = {
            let Some(shared) = shared.upgrade() else {
                break;
            };
            let now = shared.clock.now_ms();
            sweep(&shared, now).await;
            let mut wheel = shared.lock_wheel();
            let next = wheel.next_due_ms();
            wheel.sleeping_until = next.map_or(u64::MAX, |ms| ms / wheel.tick_ms);
            next.map(|ms| shared.clock.instant(ms))
        };
        let limit = Instant::now() + MAX_SLEEP;
        let until = next_due.map_or(limit, |due| due.min(limit));
        tokio::select! {
            () = tokio::time::sleep_until(until) => {}
            () = wake.notified() => {}
        }
    }
}

/// How many due entries the expiry task handles before letting other tasks run (a few
/// milliseconds of work). Yielding much more often starves expiry when thousands of session
/// actors are runnable: each yield waits behind all of them.
const SWEEP_CHUNK: usize = 4096;

/// Expires or re-arms every entry due at `now_ms`.
async fn sweep(shared: &Shared, now_ms: u64) {
    let due = shared.lock_wheel().take_due(now_ms);
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
        let deadline = entry.deadline_ms(shared.idle_ms);
        if deadline > now_ms {
            later.push((entry, deadline));
        } else {
            expire(shared, &entry, now_ms);
        }
    }
    if !later.is_empty() {
        let mut wheel = shared.lock_wheel();
        for (entry, deadline) in later {
            // Deregistration takes the entry out under this lock: re-arm only what is live.
            if entry.is_registered() {
                wheel.arm(&entry, deadline);
            }
        }
    }
}

/// Ends a session whose deadline has passed: out of the registry at once, so no request
/// reaches it; watchers hear `Expired` when its actor has run `post_stop`. If a
/// `terminate`, a crash or a shutdown removed it first, the session is theirs to end.
pub(crate) fn expire(shared: &Shared, entry: &Arc<Entry>, now_ms: u64) {
    if !shared.deregister_for(entry, EndReason::Expired) {
        return;
    }
    let idle = Duration::from_millis(now_ms.saturating_sub(entry.last_active_ms()));
    let id = entry.id().redacted();
    telemetry::expired(id, entry.session_type, idle);
    match entry.actor.get() {
        Some(actor) => actor.stop(Some("expired".to_owned())),
        None => telemetry::cleanup_error(id, entry.session_type, "session had no actor"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel(idle_ms: u64) -> Wheel {
        Wheel::new(&SessionConfig::default().with_idle_timeout(Duration::from_millis(idle_ms)))
    }

    #[test]
    fn tick_is_a_thousandth_of_the_shortest_timeout_within_bounds() {
        assert_eq!(wheel(30_000).tick_ms, 30);
        assert_eq!(wheel(300).tick_ms, 1);
        assert_eq!(wheel(3_600_000).tick_ms, 100);
        let both = SessionConfig::default()
            .with_idle_timeout(Duration::from_secs(3600))
            .with_max_lifetime(Some(Duration::from_millis(20_000)));
        assert_eq!(Wheel::new(&both).tick_ms, 20);
    }

    #[test]
    fn buckets_are_due_at_or_after_every_deadline_in_them() {
        let mut w = wheel(10_000); // tick 10 ms
        assert_eq!(w.tick_ms, 10);
        for deadline in [1u64, 9, 10, 11, 19, 20, 21, 1_000_003] {
            let bucket = deadline.div_ceil(w.tick_ms);
            assert!(bucket * w.tick_ms >= deadline);
            assert!(bucket * w.tick_ms < deadline + w.tick_ms);
        }
        w.buckets.insert(2, Vec::new());
        assert_eq!(w.next_due_ms(), Some(20));
        assert!(w.take_due(19).is_empty());
        assert_eq!(w.buckets.len(), 1, "bucket 2 is not due at 19 ms");
        w.take_due(20);
        assert!(w.buckets.is_empty(), "bucket 2 is due at 20 ms");
        assert_eq!(w.len(), 0);
    }
}
