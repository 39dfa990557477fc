//! A session store in the process's memory: the reference backend, for tests and examples.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use futures_util::FutureExt as _;
use futures_util::future::{self, BoxFuture};

use super::error::BackendError;
use super::record::{SessionRecord, unix_millis};
use super::rules::{self, Stored};
use super::session_store::{DeleteOutcome, RotateOutcome, SaveOutcome, SessionStore};
use crate::id::SessionId;

/// A [`SessionStore`] in a map in memory: nothing survives the process, so it makes no
/// session durable. It keeps every rule of the trait (fencing, expiry, atomic rotation)
/// and passes the conformance suite, which makes it the reference for new backends and a
/// stand-in for a database in tests.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::{Duration, SystemTime};
/// use ractor_session::SessionId;
/// use ractor_session::durable::{MemoryStore, SessionRecord, SessionStore};
///
/// let store = MemoryStore::new();
/// let id = SessionId::generate();
/// let idle = SystemTime::now() + Duration::from_secs(60);
/// store.save(vec![SessionRecord::new(id.clone(), "kv", 1, b"hi".to_vec(), idle)]).await?;
/// assert_eq!(store.load(&id).await?.unwrap().state(), b"hi");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    records: Mutex<HashMap<SessionId, SessionRecord>>,
}

impl MemoryStore {
    /// An empty store.
    ///
    /// # Examples
    ///
    /// ```
    /// let store = ractor_session::durable::MemoryStore::new();
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn records(&self) -> MutexGuard<'_, HashMap<SessionId, SessionRecord>> {
        // No code below panics while holding the lock; a poisoned map is still consistent.
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn stored(record: Option<&SessionRecord>) -> Option<Stored> {
    record.map(|record| Stored {
        epoch: record.epoch(),
        expires_at_ms: unix_millis(record.expires_at()),
    })
}

impl SessionStore for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn load<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>> {
        let now = SystemTime::now();
        let found = self
            .records()
            .get(id)
            .filter(|r| !r.is_expired(now))
            .cloned();
        future::ready(Ok(found)).boxed()
    }

    fn claim<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>> {
        let now = SystemTime::now();
        let mut records = self.records();
        let claimed = match records.get_mut(id).filter(|r| !r.is_expired(now)) {
            Some(record) => {
                let epoch = record.epoch().saturating_add(1);
                *record = record.clone().with_epoch(epoch);
                Some(record.clone())
            }
            None => None,
        };
        future::ready(Ok(claimed)).boxed()
    }

    fn save(
        &self,
        batch: Vec<SessionRecord>,
    ) -> BoxFuture<'_, Result<Vec<SaveOutcome>, BackendError>> {
        let now_ms = unix_millis(SystemTime::now());
        let mut records = self.records();
        let outcomes = batch
            .into_iter()
            .map(|record| {
                let outcome = rules::save(stored(records.get(record.id())), record.epoch(), now_ms);
                if outcome.is_saved() {
                    records.insert(record.id().clone(), record);
                }
                outcome
            })
            .collect();
        future::ready(Ok(outcomes)).boxed()
    }

    fn delete<'a>(
        &'a self,
        id: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<DeleteOutcome, BackendError>> {
        let now_ms = unix_millis(SystemTime::now());
        let mut records = self.records();
        let result =
            rules::delete(id, stored(records.get(id)), epoch, now_ms).map(|(remove, outcome)| {
                if remove {
                    records.remove(id);
                }
                outcome
            });
        future::ready(result).boxed()
    }

    fn rotate<'a>(
        &'a self,
        old: &'a SessionId,
        new: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<RotateOutcome, BackendError>> {
        let now_ms = unix_millis(SystemTime::now());
        let mut records = self.records();
        let result = rules::rotate(
            (old, stored(records.get(old))),
            (new, stored(records.get(new))),
            epoch,
            now_ms,
        )
        .inspect(|outcome| {
            // An expired record under `old` is dropped on the way; a live one moves.
            let removed = records.remove(old);
            if let Some(record) = removed.filter(|_| *outcome == RotateOutcome::Rotated) {
                records.insert(new.clone(), record.with_id(new.clone()).with_epoch(epoch));
            }
        });
        future::ready(result).boxed()
    }

    fn sweep(&self, now: SystemTime, limit: usize) -> BoxFuture<'_, Result<usize, BackendError>> {
        let mut records = self.records();
        let expired: Vec<SessionId> = records
            .values()
            .filter(|record| record.is_expired(now))
            .take(limit)
            .map(|record| record.id().clone())
            .collect();
        for id in &expired {
            records.remove(id);
        }
        future::ready(Ok(expired.len())).boxed()
    }

    fn health(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        future::ready(Ok(())).boxed()
    }
}
