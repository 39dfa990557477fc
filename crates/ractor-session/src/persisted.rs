//! [`Persisted`]: what a durable session's entry knows of its record in the store.
//!
//! The session's actor numbers each change (`begin_change`, before the message that makes
//! it is handled, so that a reply sent during the handler already counts it) and, once
//! the handler is done, leaves the state's newest bytes here (`record`): a slot replaced
//! at each change, so memory stays bounded however often the session changes. The
//! manager's flusher takes the newest bytes (`take_for_save`) and, once the store has
//! them, marks their change saved. Callers that must not return before their change is
//! stored (write-through) wait for that (`wait_saved`).
//!
//! `queued` says whether the entry is on the flusher's list: only the clean-to-dirty
//! transition pushes it there, so a session changed a thousand times between two flushes
//! is pushed, and written, once. The flusher clears the flag before it reads the bytes:
//! a change recorded after that pushes the entry again.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// A durable session's link to its record: type tag and format, fencing epoch, the
/// newest bytes, and how far they have been saved.
#[derive(Debug)]
pub(crate) struct Persisted {
    tag: &'static str,
    format: u32,
    /// The epoch of this activation: every write to the store carries it.
    epoch: u64,
    /// Changes begun so far (mutating messages, and the state at the start).
    changes: AtomicU64,
    /// The newest change whose handler has returned (its bytes recorded, or their
    /// serialization failed).
    recorded: AtomicU64,
    latest: Mutex<Option<Snapshot>>,
    /// The newest change the store has.
    saved: AtomicU64,
    /// The newest change whose write failed; waiters for it give up.
    failed: AtomicU64,
    queued: AtomicBool,
    /// When the entry was last queued, in clock milliseconds: for the flush lag.
    queued_at_ms: AtomicU64,
    /// The activity stamp whose idle deadline the store has.
    saved_active_ms: AtomicU64,
    /// The absolute deadline the store has, in clock milliseconds (`u64::MAX`: none, or
    /// nothing written yet). Deadlines only ever move earlier (`limit_lifetime`).
    saved_hard_ms: AtomicU64,
    /// Bindings to a user made so far (0 or 1: a session is bound once), and the newest
    /// the store has: a binding made after the last write is written even if the state
    /// did not change.
    bindings: AtomicU64,
    saved_bindings: AtomicU64,
    /// No more writes: the session ended (its record is deleted) or was fenced off.
    retired: AtomicBool,
    progress: Notify,
}

/// A state's bytes and the change they reflect.
#[derive(Clone, Debug)]
pub(crate) struct Snapshot {
    pub(crate) change: u64,
    pub(crate) bytes: Arc<[u8]>,
}

/// Why a write-through caller stopped waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotSaved {
    /// The write failed; the change stays queued and is retried.
    Failed,
    /// The session ended or was fenced off: it will not be written.
    Retired,
}

impl Persisted {
    /// The link of an activation with `epoch`, whose activity stamp is `active_ms`.
    pub(crate) fn new(tag: &'static str, format: u32, epoch: u64, active_ms: u64) -> Self {
        Self {
            tag,
            format,
            epoch,
            changes: AtomicU64::new(0),
            recorded: AtomicU64::new(0),
            latest: Mutex::new(None),
            saved: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            queued: AtomicBool::new(false),
            queued_at_ms: AtomicU64::new(0),
            saved_active_ms: AtomicU64::new(active_ms),
            saved_hard_ms: AtomicU64::new(u64::MAX),
            bindings: AtomicU64::new(0),
            saved_bindings: AtomicU64::new(0),
            retired: AtomicBool::new(false),
            progress: Notify::new(),
        }
    }

    pub(crate) fn tag(&self) -> &'static str {
        self.tag
    }

    pub(crate) fn format(&self) -> u32 {
        self.format
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Numbers a change about to be made; returns its number.
    pub(crate) fn begin_change(&self) -> u64 {
        self.changes.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Changes begun so far: what a caller who has just had its reply waits for.
    pub(crate) fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Keeps `bytes` as the state after `change`. Returns `true` when the entry must be
    /// pushed on the flusher's list (it was not on it).
    pub(crate) fn record(&self, change: u64, bytes: Vec<u8>, now_ms: u64) -> bool {
        *self.lock_latest() = Some(Snapshot {
            change,
            bytes: bytes.into(),
        });
        let push = self.queue(now_ms);
        self.recorded.fetch_max(change, Ordering::AcqRel);
        self.progress.notify_waiters();
        push
    }

    /// The state after `change` could not be serialized: it stays in memory only.
    pub(crate) fn unrecorded(&self, change: u64) {
        self.failed.fetch_max(change, Ordering::AcqRel);
        self.recorded.fetch_max(change, Ordering::AcqRel);
        self.progress.notify_waiters();
    }

    /// Marks the entry dirty without new bytes (its deadline is due to be written).
    /// Returns `true` when the entry must be pushed on the flusher's list.
    pub(crate) fn queue(&self, now_ms: u64) -> bool {
        if self.queued.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.queued_at_ms.store(now_ms, Ordering::Relaxed);
        true
    }

    /// Queues the entry again after a failed write, keeping when it was first queued (the
    /// flush lag counts the whole wait). Returns `true` when it must be pushed.
    pub(crate) fn queue_again(&self) -> bool {
        !self.queued.swap(true, Ordering::AcqRel)
    }

    /// When the entry was last queued.
    pub(crate) fn queued_at_ms(&self) -> u64 {
        self.queued_at_ms.load(Ordering::Relaxed)
    }

    /// For the flusher: takes the entry off the list and returns the bytes to write, if
    /// there are any the store lacks or the stored deadline is behind (`refresh`).
    pub(crate) fn take_for_save(&self, refresh: bool) -> Option<Snapshot> {
        self.queued.store(false, Ordering::Release);
        if self.is_retired() {
            return None;
        }
        let latest = self.lock_latest().clone()?;
        (refresh || latest.change > self.saved.load(Ordering::Acquire)).then_some(latest)
    }

    /// The store has the state after `change`, with the idle deadline of activity
    /// `active_ms` and the absolute deadline `hard_ms`.
    pub(crate) fn saved(&self, change: u64, active_ms: u64, hard_ms: u64) {
        self.saved.fetch_max(change, Ordering::AcqRel);
        self.saved_active_ms.fetch_max(active_ms, Ordering::AcqRel);
        self.saved_hard_ms.fetch_min(hard_ms, Ordering::AcqRel);
        self.progress.notify_waiters();
    }

    /// Writing the state after `change` failed; it stays queued.
    pub(crate) fn save_failed(&self, change: u64) {
        self.failed.fetch_max(change, Ordering::AcqRel);
        self.progress.notify_waiters();
    }

    /// Whether the deadline the store has lags the activity at `now_ms` by more than an
    /// eighth of the idle timeout: then it is written again (activity alone never writes
    /// on every request, and a restart finds a session expired at most that early).
    pub(crate) fn deadline_lags(&self, now_ms: u64, idle_ms: u64) -> bool {
        let saved = self.saved_active_ms.load(Ordering::Relaxed);
        now_ms.saturating_sub(saved) > idle_ms / 8
    }

    /// Whether the absolute deadline the store has is later than `hard_ms`, the session's
    /// own: its lifetime was shortened since (`SessionHandle::limit_lifetime`), and the
    /// record must say so, or a restart would give the session back its longer lifetime.
    pub(crate) fn lifetime_lags(&self, hard_ms: u64) -> bool {
        self.saved_hard_ms.load(Ordering::Relaxed) > hard_ms
    }

    /// The session was bound to a user: its record must say so. Returns the bindings
    /// made so far, as [`bindings`](Self::bindings).
    pub(crate) fn bound(&self) -> u64 {
        self.bindings.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Bindings made so far: read before the user, for [`bindings_saved`](Self::bindings_saved).
    pub(crate) fn bindings(&self) -> u64 {
        self.bindings.load(Ordering::Acquire)
    }

    /// The store has the user of the first `bindings` bindings.
    pub(crate) fn bindings_saved(&self, bindings: u64) {
        self.saved_bindings.fetch_max(bindings, Ordering::AcqRel);
    }

    /// Whether the record lacks a binding made since it was written.
    pub(crate) fn binding_lags(&self) -> bool {
        self.saved_bindings.load(Ordering::Acquire) < self.bindings()
    }

    /// No more writes: `true` for the first caller, who decides what becomes of the
    /// record. Waiters give up.
    pub(crate) fn retire(&self) -> bool {
        let first = !self.retired.swap(true, Ordering::AcqRel);
        self.progress.notify_waiters();
        first
    }

    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }

    /// Waits until the handler of change `target` has returned (its bytes are recorded
    /// for the next write), or the session will not be written any more.
    pub(crate) async fn wait_recorded(&self, target: u64) {
        loop {
            let progress = self.progress.notified();
            tokio::pin!(progress);
            progress.as_mut().enable();
            if self.recorded.load(Ordering::Acquire) >= target || self.is_retired() {
                return;
            }
            progress.await;
        }
    }

    /// Whether the handler of change `target` has returned.
    pub(crate) fn is_recorded(&self, target: u64) -> bool {
        self.recorded.load(Ordering::Acquire) >= target
    }

    /// Waits until the store has change `target`, or its write failed, or the session
    /// will not be written any more.
    pub(crate) async fn wait_saved(&self, target: u64) -> Result<(), NotSaved> {
        loop {
            let progress = self.progress.notified();
            tokio::pin!(progress);
            progress.as_mut().enable();
            if self.saved.load(Ordering::Acquire) >= target {
                return Ok(());
            }
            if self.failed.load(Ordering::Acquire) >= target {
                return Err(NotSaved::Failed);
            }
            if self.is_retired() {
                return Err(NotSaved::Retired);
            }
            progress.await;
        }
    }

    /// The newest bytes, if memory still holds them (a parked session's leave once the
    /// store has them).
    pub(crate) fn latest_bytes(&self) -> Option<Arc<[u8]>> {
        self.lock_latest()
            .as_ref()
            .map(|latest| Arc::clone(&latest.bytes))
    }

    /// Frees the newest bytes if the store has them: for a parked session, whose state
    /// then waits in the store alone.
    pub(crate) fn release_saved(&self) {
        let mut latest = self.lock_latest();
        if latest
            .as_ref()
            .is_some_and(|l| l.change <= self.saved.load(Ordering::Acquire))
        {
            *latest = None;
        }
    }

    fn lock_latest(&self) -> MutexGuard<'_, Option<Snapshot>> {
        // Nothing panics while holding it; the slot is whole either way.
        self.latest.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt as _;

    use super::*;

    #[test]
    fn a_session_changed_many_times_is_queued_once_until_taken() {
        let persisted = Persisted::new("kv", 1, 0, 0);
        let first = persisted.begin_change();
        assert!(persisted.record(first, b"1".to_vec(), 5), "pushed once");
        for _ in 0..1_000 {
            let change = persisted.begin_change();
            assert!(!persisted.record(change, b"n".to_vec(), 6));
        }
        assert_eq!(persisted.queued_at_ms(), 5);
        let taken = persisted.take_for_save(false).unwrap();
        assert_eq!((taken.change, &*taken.bytes), (1_001, &b"n"[..]));
        // Changed after the flusher took it: pushed again.
        let change = persisted.begin_change();
        assert!(persisted.record(change, b"m".to_vec(), 7));
    }

    #[test]
    fn saved_bytes_are_not_taken_again_unless_the_deadline_is_due() {
        let persisted = Persisted::new("kv", 1, 0, 0);
        let change = persisted.begin_change();
        persisted.record(change, b"1".to_vec(), 0);
        let taken = persisted.take_for_save(false).unwrap();
        persisted.saved(taken.change, 100, 5_000);
        assert!(persisted.take_for_save(false).is_none());
        assert!(
            persisted.take_for_save(true).is_some(),
            "a deadline refresh"
        );
        assert!(!persisted.deadline_lags(100 + 125, 1_000));
        assert!(persisted.deadline_lags(100 + 126, 1_000));
        assert!(!persisted.lifetime_lags(5_000));
        assert!(persisted.lifetime_lags(4_999), "the lifetime was shortened");
    }

    #[test]
    fn a_binding_lags_until_a_write_made_after_it_is_saved() {
        let persisted = Persisted::new("kv", 1, 0, 0);
        assert!(!persisted.binding_lags());
        let before = persisted.bindings();
        persisted.bound();
        assert!(persisted.binding_lags());
        // A write whose user was read before the binding does not count.
        persisted.bindings_saved(before);
        assert!(persisted.binding_lags());
        persisted.bindings_saved(persisted.bindings());
        assert!(!persisted.binding_lags());
    }

    #[test]
    fn bytes_leave_memory_only_once_saved() {
        let persisted = Persisted::new("kv", 1, 0, 0);
        let change = persisted.begin_change();
        persisted.record(change, b"1".to_vec(), 0);
        persisted.release_saved();
        assert_eq!(persisted.latest_bytes().as_deref(), Some(&b"1"[..]));
        persisted.saved(change, 0, u64::MAX);
        persisted.release_saved();
        assert!(persisted.latest_bytes().is_none());
    }

    #[test]
    fn waiters_learn_of_the_save_the_failure_or_the_end() {
        let persisted = Persisted::new("kv", 1, 3, 0);
        assert_eq!(persisted.epoch(), 3);
        let change = persisted.begin_change();
        persisted.saved(change, 0, u64::MAX);
        assert_eq!(persisted.wait_saved(change).now_or_never(), Some(Ok(())));

        let change = persisted.begin_change();
        assert!(persisted.wait_saved(change).now_or_never().is_none());
        persisted.save_failed(change);
        assert_eq!(
            persisted.wait_saved(change).now_or_never(),
            Some(Err(NotSaved::Failed))
        );

        let change = persisted.begin_change();
        assert!(persisted.retire());
        assert!(!persisted.retire(), "retired once");
        assert_eq!(
            persisted.wait_saved(change).now_or_never(),
            Some(Err(NotSaved::Retired))
        );
        assert!(persisted.take_for_save(true).is_none());
    }
}
