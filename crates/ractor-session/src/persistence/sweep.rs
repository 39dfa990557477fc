//! The sweeper: removes expired records from the store in bounded batches, every
//! `sweep_interval`.
//!
//! Expired records are never revived whether or not they are swept (the store treats
//! them as absent); sweeping only gives their space back. Deleting them needs no
//! ordering with the other writes, so it does not pass the gate.

use std::sync::{Arc, Weak};
use std::time::SystemTime;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::outage::Outage;
use super::{Persistence, next_turn};
use crate::telemetry;

impl Persistence {
    /// Removes expired records, a batch at a time, until fewer than a batch are left.
    async fn sweep(&self, failures: &Outage) {
        let batch = self.settings.sweep_batch;
        loop {
            match self.store.sweep(SystemTime::now(), batch).await {
                Ok(removed) => {
                    failures.succeeded(Instant::now());
                    telemetry::store_swept(self.backend, removed);
                    if removed < batch {
                        return;
                    }
                    // Other tasks run between batches.
                    tokio::task::yield_now().await;
                }
                Err(error) => {
                    telemetry::store_error(self.backend, "sweep");
                    let failure = failures.failed(Instant::now(), self.settings.sweep_interval);
                    if failure.warn {
                        let retry_in = self.settings.sweep_interval;
                        telemetry::store_unavailable(self.backend, "sweep", 0, retry_in, &error);
                    }
                    return;
                }
            }
        }
    }
}

/// The sweeper task: a sweep every `sweep_interval`, until the manager closes or is gone.
pub(crate) async fn run(persistence: Weak<Persistence>, closed: Arc<Notify>) {
    let failures = Outage::default();
    let due = |p: &Persistence| Instant::now() + p.settings.sweep_interval;
    while let Some(persistence) = next_turn(&persistence, &closed, None, due).await {
        persistence.sweep(&failures).await;
    }
}
