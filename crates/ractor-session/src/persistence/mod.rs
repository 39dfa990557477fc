//! [`Persistence`]: a manager's link to its session store.
//!
//! It holds the store, the durability settings, the list of changed (dirty) durable
//! sessions and the record deletions still to make, and it writes them (`flush`): one
//! task per manager flushes every `flush_interval` with write-behind, at once with
//! write-through, and retries with a capped exponential backoff while the store fails
//! (`outage`); another sweeps expired records (`sweep`).
//!
//! Every write to the store goes through one gate (an async mutex): a batch of saves, a
//! deletion, a rotation. So a save never lands after the deletion or the rotation of the
//! same record, which would bring back a session that ended or an ID given up.
//!
//! The background tasks hold this weakly: when the last manager handle is dropped
//! without `shutdown` (or the process is killed), nothing more is written.

mod flush;
mod outage;
mod sweep;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::durability_config::{DurabilityConfig, WritePolicy};
use crate::durable::{BackendError, SessionStore};
use crate::entry::Entry;
use crate::id::SessionId;
use crate::persisted::Persisted;
use crate::telemetry::{self, ManagerGauge};
use crate::user::UserKey;
use crate::watch::EndReason;

pub(crate) use flush::run as run_flusher;
pub(crate) use sweep::run as run_sweeper;

use outage::Outage;

/// A manager's store, settings and pending writes.
#[derive(Debug)]
pub(crate) struct Persistence {
    store: Arc<dyn SessionStore>,
    settings: DurabilityConfig,
    backend: &'static str,
    /// The manager's clock and idle timeout, to turn activity stamps into deadlines.
    clock: Clock,
    idle_ms: u64,
    /// The manager's name, labelling its pending-writes gauge.
    pending_gauge: ManagerGauge,
    dirty: Mutex<Vec<Arc<Entry>>>,
    deletes: Mutex<Vec<Deletion>>,
    /// Sessions ending for good whose record is not deleted yet: never revived from it.
    doomed: Mutex<HashSet<SessionId>>,
    /// Wakes the flusher: write-through work, or a deletion to make at once.
    wake: Arc<Notify>,
    /// Wakes both tasks to find the manager closing or gone.
    closed: Arc<Notify>,
    closing: AtomicBool,
    gate: tokio::sync::Mutex<()>,
    outage: Outage,
}

/// A record to delete, with the epoch of the activation that deletes it.
#[derive(Debug, Clone)]
pub(crate) struct Deletion {
    pub(crate) id: SessionId,
    pub(crate) epoch: u64,
}

impl Persistence {
    /// The link of a manager named `manager`, with `clock` and idle timeout `idle_ms`.
    pub(crate) fn new(
        store: Arc<dyn SessionStore>,
        settings: DurabilityConfig,
        clock: Clock,
        idle_ms: u64,
        manager: Arc<str>,
    ) -> Self {
        Self {
            backend: store.backend(),
            store,
            settings,
            clock,
            idle_ms,
            pending_gauge: ManagerGauge::store_pending(manager),
            dirty: Mutex::new(Vec::new()),
            deletes: Mutex::new(Vec::new()),
            doomed: Mutex::new(HashSet::new()),
            wake: Arc::new(Notify::new()),
            closed: Arc::new(Notify::new()),
            closing: AtomicBool::new(false),
            gate: tokio::sync::Mutex::new(()),
            outage: Outage::default(),
        }
    }

    pub(crate) fn store(&self) -> &dyn SessionStore {
        &*self.store
    }

    pub(crate) fn backend(&self) -> &'static str {
        self.backend
    }

    pub(crate) fn settings(&self) -> &DurabilityConfig {
        &self.settings
    }

    pub(crate) fn write_through(&self) -> bool {
        self.settings.write_policy == WritePolicy::WriteThrough
    }

    /// What the background tasks wait on: work for the flusher, and the manager closing.
    pub(crate) fn signals(&self) -> (Arc<Notify>, Arc<Notify>) {
        (Arc::clone(&self.wake), Arc::clone(&self.closed))
    }

    /// The gate every write to the store passes, in order.
    pub(crate) async fn gate(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.gate.lock().await
    }

    /// Puts `entry`, just marked queued, on the flusher's list.
    pub(crate) fn push(&self, entry: &Arc<Entry>) {
        let pending = {
            let mut dirty = lock(&self.dirty);
            dirty.push(Arc::clone(entry));
            dirty.len()
        };
        self.pending_gauge.set(pending);
        if self.write_through() {
            self.wake.notify_one();
        }
    }

    /// `entry` was used, or its lifetime shortened: queues it when the deadlines in its
    /// record lag behind.
    pub(crate) fn touched(&self, entry: &Arc<Entry>) {
        let Some(persisted) = entry.persisted() else {
            return;
        };
        let (active, hard) = (entry.last_active_ms(), entry.hard_deadline_ms());
        if self.deadlines_lag(persisted, active, hard) && persisted.queue(self.clock.now_ms()) {
            self.push(entry);
        }
    }

    /// `entry` was just bound to a user: queues it, so that its record says so.
    pub(crate) fn bound(&self, entry: &Arc<Entry>) {
        let Some(persisted) = entry.persisted() else {
            return;
        };
        persisted.bound();
        if persisted.queue(self.clock.now_ms()) {
            self.push(entry);
        }
    }

    /// Deletes every record bound to `user`, in turn with every other write; returns the
    /// IDs of those that were live.
    pub(crate) async fn delete_user(&self, user: &UserKey) -> Result<Vec<SessionId>, BackendError> {
        let _gate = self.gate().await;
        match self.store.delete_user(user).await {
            Ok(deleted) => {
                for _ in &deleted {
                    telemetry::store_deleted(self.backend);
                }
                Ok(deleted)
            }
            Err(error) => {
                telemetry::store_error(self.backend, "delete_user");
                Err(error)
            }
        }
    }

    /// Whether the record's deadlines lag those of a session active at `active_ms` with
    /// the absolute deadline `hard_ms`: the idle one by more than the slack
    /// (`Persisted::deadline_lags`), or the absolute one at all.
    fn deadlines_lag(&self, persisted: &Persisted, active_ms: u64, hard_ms: u64) -> bool {
        persisted.deadline_lags(active_ms, self.idle_ms) || persisted.lifetime_lags(hard_ms)
    }

    /// The session of `entry` is about to leave the registry, ending for `reason`: unless
    /// that is a shutdown or a handover, its ID must not be revived from the record any more, which is
    /// deleted soon after. Called before the ID is free in the registry, so that no
    /// operation finds it free with the record still there.
    pub(crate) fn ending(&self, entry: &Entry, reason: EndReason) {
        if entry.persisted().is_some() && !reason.keeps_record() {
            lock(&self.doomed).insert(entry.id());
        }
    }

    /// Whether the record of `id` belongs to a session that ended: not to be revived.
    pub(crate) fn is_doomed(&self, id: &SessionId) -> bool {
        lock(&self.doomed).contains(id)
    }

    /// The session of `entry` has ended: its record is deleted, unless the manager shut
    /// down (then it is kept, and written one last time) or the record was already dealt
    /// with (`retire`d by `terminate`, or fenced off).
    pub(crate) fn ended(&self, entry: &Entry) {
        let Some(persisted) = entry.persisted() else {
            return;
        };
        let reason = match entry.end_reason() {
            None => return,
            Some(reason) if reason.keeps_record() => return,
            Some(reason) => reason,
        };
        if !persisted.retire() {
            return;
        }
        let deletion = Deletion {
            id: entry.id(),
            epoch: persisted.epoch(),
        };
        // An expired record is expired in the store too, so it can wait for the next
        // flush; a crashed or stopped session's record must not outlive it for long.
        if reason == EndReason::Expired {
            lock(&self.deletes).push(deletion);
        } else {
            self.queue_deletion(deletion);
        }
    }

    /// Retires `entry`'s record for `terminate`, which deletes it itself: the deletion
    /// to make, unless the record was already dealt with. Called before the session
    /// leaves the registry (see [`ending`](Self::ending)).
    pub(crate) fn retire(&self, entry: &Entry) -> Option<Deletion> {
        let persisted = entry.persisted()?;
        let id = entry.id();
        lock(&self.doomed).insert(id.clone());
        persisted.retire().then(|| Deletion {
            id,
            epoch: persisted.epoch(),
        })
    }

    /// Queues a deletion for the flusher, which makes it at once.
    pub(crate) fn queue_deletion(&self, deletion: Deletion) {
        lock(&self.deletes).push(deletion);
        self.wake.notify_one();
    }

    /// Deletes a record now, in turn with every other write; a failed deletion is queued
    /// and retried. A record deleted with an ended session's ID is not revived meanwhile
    /// (see [`ending`](Self::ending)).
    pub(crate) async fn delete_now(&self, deletion: Deletion) -> Result<(), BackendError> {
        let _gate = self.gate().await;
        let result = self.delete(&deletion).await;
        if result.is_err() {
            lock(&self.deletes).push(deletion);
        }
        result
    }

    /// Deletes one record; a record claimed by a newer activation is that one's to keep.
    async fn delete(&self, deletion: &Deletion) -> Result<(), BackendError> {
        match self.store.delete(&deletion.id, deletion.epoch).await {
            Ok(_) | Err(BackendError::Fenced { .. }) => {
                lock(&self.doomed).remove(&deletion.id);
                telemetry::store_deleted(self.backend);
                Ok(())
            }
            Err(error) => {
                telemetry::store_error(self.backend, "delete");
                Err(error)
            }
        }
    }

    /// Writes and deletions not made yet.
    pub(crate) fn pending(&self) -> usize {
        lock(&self.dirty).len() + lock(&self.deletes).len()
    }

    /// Stops the background tasks (they finish the round in hand).
    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.closed.notify_waiters();
    }

    fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }
}

/// For the background tasks: waits until `due` (asked of the persistence, which is held
/// only for that), a wake-up on `wake`, or the manager closing; returns the persistence for
/// the task's turn, or `None` once the manager is closing or gone.
async fn next_turn(
    persistence: &Weak<Persistence>,
    closed: &Notify,
    wake: Option<&Notify>,
    due: impl FnOnce(&Persistence) -> Instant,
) -> Option<Arc<Persistence>> {
    let closing = closed.notified();
    tokio::pin!(closing);
    closing.as_mut().enable();
    let until = due(&*open(persistence)?);
    let woken = async {
        match wake {
            Some(wake) => wake.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = tokio::time::sleep_until(until) => {}
        () = woken => {}
        () = &mut closing => {}
    }
    open(persistence)
}

/// The persistence, unless the manager is closing or gone.
fn open(persistence: &Weak<Persistence>) -> Option<Arc<Persistence>> {
    persistence.upgrade().filter(|p| !p.is_closing())
}

impl Drop for Persistence {
    fn drop(&mut self) {
        // The tasks may sleep until a far deadline: wake them to find this gone.
        self.closed.notify_waiters();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these; the lists are whole either way.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
