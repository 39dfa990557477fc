//! Writing what changed: one round of deletions and batched saves (`flush`), the task
//! that runs rounds (`run`), and the last rounds of a graceful shutdown (`drain`).

use std::sync::{Arc, Weak};
use std::time::SystemTime;

use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

use super::{Persistence, lock, next_turn};
use crate::durable::{BackendError, SaveOutcome, SessionRecord};
use crate::entry::Entry;
use crate::persisted::Snapshot;
use crate::telemetry;
use crate::watch::EndReason;

/// One record of a batch, and what to mark once it is written.
struct Pending {
    entry: Arc<Entry>,
    change: u64,
    active_ms: u64,
    hard_ms: u64,
    /// The user bindings the record carries (see `Persisted::bindings`).
    bindings: u64,
}

impl Persistence {
    /// Makes the queued deletions, then writes every changed session in batches of at
    /// most `max_batch`. Whatever fails stays queued.
    ///
    /// # Errors
    ///
    /// The first failure of the store, which then counts as down until a later round.
    pub(crate) async fn flush(&self) -> Result<(), BackendError> {
        let _gate = self.gate().await;
        let result = match self.delete_queued().await {
            // Saves would fail as the deletion did: leave them queued.
            Err(error) if error.is_unavailable() => Err(error),
            deleted => self.save_dirty().await.and(deleted),
        };
        self.after_round(&result);
        result
    }

    async fn delete_queued(&self) -> Result<(), BackendError> {
        let deletions = std::mem::take(&mut *lock(&self.deletes));
        let mut failed = Vec::new();
        let mut first_error = None;
        for deletion in deletions {
            if first_error.is_some() {
                failed.push(deletion);
                continue;
            }
            match self.delete(&deletion).await {
                Err(error) if error.is_unavailable() => {
                    failed.push(deletion);
                    first_error = Some(error);
                }
                // Refused for good (not for want of a store): retrying would only hold
                // up every other write. The record expires in its time.
                Err(_) | Ok(()) => {}
            }
        }
        if !failed.is_empty() {
            lock(&self.deletes).extend(failed);
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn save_dirty(&self) -> Result<(), BackendError> {
        let entries = std::mem::take(&mut *lock(&self.dirty));
        let mut left = entries.into_iter();
        let mut result = Ok(());
        loop {
            let mut batch = Vec::new();
            let mut pending = Vec::new();
            for entry in left.by_ref() {
                if let Some((record, written)) = self.record_of(&entry) {
                    batch.push(record);
                    pending.push(written);
                    if batch.len() == self.settings.max_batch {
                        break;
                    }
                }
            }
            if batch.is_empty() {
                break;
            }
            if let Err(error) = self.save(batch, &mut pending).await {
                // The store is down: the rest, not taken off the list yet (still marked
                // queued), waits for the next round.
                lock(&self.dirty).extend(left);
                result = Err(error);
                break;
            }
        }
        self.pending_gauge.set(lock(&self.dirty).len());
        result
    }

    /// The record to write for `entry`, if it has bytes the store lacks or its stored
    /// deadline lags; read under the gate, so its ID is the current one.
    fn record_of(&self, entry: &Arc<Entry>) -> Option<(SessionRecord, Pending)> {
        let persisted = entry.persisted()?;
        let active_ms = entry.last_active_ms();
        let hard_ms = entry.hard_deadline_ms();
        // Read before the user: a binding made in between is written again next time.
        let bindings = persisted.bindings();
        let refresh = self.deadlines_lag(persisted, active_ms, hard_ms) || persisted.binding_lags();
        let Snapshot { change, bytes } = persisted.take_for_save(refresh)?;
        let wall = |ms: u64| self.clock.wall_time(ms);
        let mut record = SessionRecord::new(
            entry.id(),
            persisted.tag(),
            persisted.format(),
            bytes.to_vec(),
            wall(active_ms.saturating_add(self.idle_ms)),
        )
        .with_updated_at(SystemTime::now())
        .with_epoch(persisted.epoch());
        if hard_ms != u64::MAX {
            record = record.with_absolute_deadline(wall(hard_ms));
        }
        if let Some(user) = entry.user() {
            record = record.with_user(user);
        }
        let written = Pending {
            entry: Arc::clone(entry),
            change,
            active_ms,
            hard_ms,
            bindings,
        };
        Some((record, written))
    }

    /// Saves one batch and marks each record's outcome; on failure, queues them again.
    async fn save(
        &self,
        batch: Vec<SessionRecord>,
        pending: &mut Vec<Pending>,
    ) -> Result<(), BackendError> {
        let size = batch.len();
        let oldest = pending
            .iter()
            .filter_map(|p| p.entry.persisted())
            .map(|p| p.queued_at_ms())
            .min()
            .unwrap_or_default();
        let outcomes = match self.store.save(batch).await {
            Ok(outcomes) => outcomes,
            Err(error) => {
                telemetry::store_error(self.backend, "save");
                for written in pending.drain(..) {
                    self.requeue(&written.entry, written.change);
                }
                return Err(error);
            }
        };
        let lag = Duration::from_millis(self.clock.now_ms().saturating_sub(oldest));
        telemetry::store_saved(self.backend, size, lag);
        for (written, outcome) in pending.drain(..).zip(outcomes) {
            let Some(persisted) = written.entry.persisted() else {
                continue;
            };
            match outcome {
                SaveOutcome::Saved => {
                    persisted.saved(written.change, written.active_ms, written.hard_ms);
                    persisted.bindings_saved(written.bindings);
                    // A parked session's state now waits in the store alone.
                    if written.entry.parking().is_some_and(|p| p.is_parked()) {
                        persisted.release_saved();
                    }
                }
                SaveOutcome::Fenced { current_epoch } => {
                    fenced_off(self.backend, &written.entry, current_epoch);
                }
            }
        }
        Ok(())
    }

    /// Puts `entry` back on the list after a failed write of `change`.
    fn requeue(&self, entry: &Arc<Entry>, change: u64) {
        let Some(persisted) = entry.persisted() else {
            return;
        };
        persisted.save_failed(change);
        if persisted.queue_again() {
            lock(&self.dirty).push(Arc::clone(entry));
        }
    }

    /// Tells write-through callers waiting on queued sessions that their change is not
    /// written yet, while the store is known to be down; the changes stay queued.
    fn fail_queued(&self) {
        for entry in lock(&self.dirty).iter() {
            if let Some(persisted) = entry.persisted() {
                persisted.save_failed(persisted.changes());
            }
        }
    }

    /// Records how the round went: an outage begins, goes on (with a warning now and
    /// then) or ends.
    fn after_round(&self, result: &Result<(), BackendError>) {
        let now = Instant::now();
        match result {
            Ok(()) => {
                if let Some(lasted) = self.outage.succeeded(now) {
                    telemetry::store_recovered(self.backend, lasted);
                }
            }
            Err(error) => {
                let failure = self.outage.failed(now, self.settings.max_retry_backoff);
                if failure.warn {
                    telemetry::store_unavailable(
                        self.backend,
                        "save",
                        self.pending(),
                        failure.retry_in,
                        error,
                    );
                }
            }
        }
    }

    /// When the flusher's next round is due, after a round at `last`.
    fn next_round(&self, last: Instant) -> Instant {
        if let Some(retry_at) = self.outage.retry_at() {
            return retry_at;
        }
        if self.write_through() && self.pending() > 0 {
            return Instant::now();
        }
        last + self.settings.flush_interval
    }

    /// The last rounds of a graceful shutdown: writes until nothing is left or
    /// `shutdown_flush_timeout` has passed. Returns how many writes are left undone,
    /// which it has logged as an error.
    pub(crate) async fn drain(&self) -> usize {
        let deadline = Instant::now() + self.settings.shutdown_flush_timeout;
        let mut pause = Duration::from_millis(50);
        loop {
            let _ = self.flush().await;
            let left = self.pending();
            if left == 0 {
                return 0;
            }
            let now = Instant::now();
            if now >= deadline {
                telemetry::shutdown_unsaved(self.backend, left);
                return left;
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(self.settings.max_retry_backoff);
        }
    }
}

/// The flusher: a round every `flush_interval` (write-behind) or as soon as something
/// is queued (write-through), at the backoff's pace while the store fails; until the
/// manager closes or is gone.
pub(crate) async fn run(persistence: Weak<Persistence>, wake: Arc<Notify>, closed: Arc<Notify>) {
    let mut last = Instant::now();
    while let Some(persistence) =
        next_turn(&persistence, &closed, Some(&wake), |p| p.next_round(last)).await
    {
        let now = Instant::now();
        if persistence.outage.retry_at().is_some_and(|at| at > now) {
            // Woken while waiting to retry: write-through callers learn now that their
            // change is not written yet, rather than at the next attempt.
            if persistence.write_through() {
                persistence.fail_queued();
            }
            continue;
        }
        last = now;
        let _ = persistence.flush().await;
    }
}

/// A save of `entry` was refused because another activation claimed its record: this
/// one stops writing and ends (the newer activation owns the record).
fn fenced_off(backend: &'static str, entry: &Entry, current_epoch: u64) {
    let Some(persisted) = entry.persisted() else {
        return;
    };
    if !persisted.retire() {
        return;
    }
    telemetry::fenced(
        entry.id().redacted(),
        entry.session_type(),
        backend,
        current_epoch,
    );
    // The session lives on in the newer activation: handed over, not ended. Its record
    // is kept (this node may revive it again later, from the newer activation's writes),
    // and its watchers hear that it moved, not that it expired.
    entry.request_stop(EndReason::HandedOver);
    if let Some(actor) = entry.actor() {
        actor.stop(Some("fenced off by a newer activation".to_owned()));
    }
}
