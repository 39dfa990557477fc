//! [`CountingStore`]: a session store in front of another that counts the reads asked of
//! it, and can be switched to fail every read as an unreachable database would.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::SystemTime;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use ractor_session::durable::{
    BackendError, DeleteOutcome, MemoryStore, RotateOutcome, SaveOutcome, SessionRecord,
    SessionStore,
};
use ractor_session::{SessionId, UserKey};

/// A store that counts the reads (`load` and `claim`) a manager asks of the store behind
/// it, and fails them on demand; everything else goes straight through.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use ractor_session::SessionId;
/// use ractor_session::durable::SessionStore;
/// use ractor_session_test_support::CountingStore;
///
/// let store = CountingStore::in_memory();
/// let id = SessionId::generate();
/// assert!(store.load(&id).await.unwrap().is_none());
/// assert_eq!(store.reads(), 1);
///
/// store.fail_reads(true);
/// assert!(store.claim(&id).await.is_err());
/// assert_eq!(store.reads(), 2);
/// # }
/// ```
#[derive(Debug)]
pub struct CountingStore {
    inner: Arc<dyn SessionStore>,
    reads: AtomicU64,
    fail_reads: AtomicBool,
}

impl CountingStore {
    /// Counts the reads asked of `inner`.
    pub fn new(inner: Arc<dyn SessionStore>) -> Self {
        Self {
            inner,
            reads: AtomicU64::new(0),
            fail_reads: AtomicBool::new(false),
        }
    }

    /// Counts the reads asked of a fresh [`MemoryStore`].
    pub fn in_memory() -> Self {
        Self::new(Arc::new(MemoryStore::new()))
    }

    /// How many reads (`load` or `claim`) were asked so far, failed ones included.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::SeqCst)
    }

    /// Whether reads fail from now on, as if the database were unreachable.
    pub fn fail_reads(&self, fail: bool) {
        self.fail_reads.store(fail, Ordering::SeqCst);
    }

    /// Counts one read; the failure to answer with, if reads fail.
    fn read(&self) -> Option<BackendError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.fail_reads
            .load(Ordering::SeqCst)
            .then(|| BackendError::Unreachable {
                backend: "counting",
                source: "connection refused (on purpose)".into(),
            })
    }
}

impl SessionStore for CountingStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn load<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>> {
        match self.read() {
            Some(error) => async move { Err(error) }.boxed(),
            None => self.inner.load(id),
        }
    }

    fn claim<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>> {
        match self.read() {
            Some(error) => async move { Err(error) }.boxed(),
            None => self.inner.claim(id),
        }
    }

    fn save(
        &self,
        batch: Vec<SessionRecord>,
    ) -> BoxFuture<'_, Result<Vec<SaveOutcome>, BackendError>> {
        self.inner.save(batch)
    }

    fn delete<'a>(
        &'a self,
        id: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<DeleteOutcome, BackendError>> {
        self.inner.delete(id, epoch)
    }

    fn rotate<'a>(
        &'a self,
        old: &'a SessionId,
        new: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<RotateOutcome, BackendError>> {
        self.inner.rotate(old, new, epoch)
    }

    fn delete_user<'a>(
        &'a self,
        user: &'a UserKey,
    ) -> BoxFuture<'a, Result<Vec<SessionId>, BackendError>> {
        self.inner.delete_user(user)
    }

    fn sweep(&self, now: SystemTime, limit: usize) -> BoxFuture<'_, Result<usize, BackendError>> {
        self.inner.sweep(now, limit)
    }

    fn health(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        self.inner.health()
    }
}
