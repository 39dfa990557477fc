//! The `SessionStore` trait every backend implements, and the outcomes of its writes.

use std::fmt;
use std::time::SystemTime;

use futures_util::future::BoxFuture;

use super::error::BackendError;
use super::record::SessionRecord;
use crate::id::SessionId;

/// Where durable sessions are kept: a database that loads, claims, saves, deletes, rotates
/// and sweeps [`SessionRecord`]s.
///
/// The trait is object safe (a manager holds an `Arc<dyn SessionStore>`); its methods
/// return boxed futures. Every backend keeps these guarantees, which the conformance suite
/// (`ractor-session-test-support`'s `store_conformance`) checks:
///
/// - **Expiry**: a record is expired once the wall clock reaches either of its deadlines;
///   `load` and `claim` never return an expired record, and an expired record neither
///   fences a write nor blocks a rotation onto its ID.
/// - **Fencing**: a write ([`save`](Self::save), [`delete`](Self::delete),
///   [`rotate`](Self::rotate)) carrying an epoch older than the stored record's is refused;
///   [`claim`](Self::claim) raises the stored epoch atomically, so once an activation has
///   claimed a record, every older activation's writes are refused.
/// - **Atomic batches**: one `save` is one transaction (or one script); its records are
///   applied in order.
/// - **Atomic rotation**: the record moves to its new ID in one step, never both or neither
///   visible, and never onto a live record.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use std::time::{Duration, SystemTime};
/// use ractor_session::SessionId;
/// use ractor_session::durable::{MemoryStore, SaveOutcome, SessionRecord, SessionStore};
///
/// let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
/// let id = SessionId::generate();
/// let idle = SystemTime::now() + Duration::from_secs(1800);
/// let record = SessionRecord::new(id.clone(), "kv", 1, b"{}".to_vec(), idle);
///
/// assert_eq!(store.save(vec![record]).await?, [SaveOutcome::Saved]);
/// let claimed = store.claim(&id).await?.expect("saved and unexpired");
/// assert_eq!(claimed.epoch(), 1);
/// # Ok(())
/// # }
/// ```
pub trait SessionStore: fmt::Debug + Send + Sync + 'static {
    /// The backend's name, for logs and metrics: `sqlite`, `postgres`, `redis`, `memory`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::durable::{MemoryStore, SessionStore};
    /// assert_eq!(MemoryStore::new().backend(), "memory");
    /// ```
    fn backend(&self) -> &'static str;

    /// The live record of `id`: `None` when there is none or it has expired.
    ///
    /// # Errors
    ///
    /// [`BackendError`] when the backend fails or the stored record is corrupt.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{SessionId, durable::{MemoryStore, SessionStore}};
    ///
    /// let store = MemoryStore::new();
    /// assert!(store.load(&SessionId::generate()).await?.is_none());
    /// # Ok(())
    /// # }
    /// ```
    fn load<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>>;

    /// Claims the live record of `id` for a new activation: raises the stored epoch by one,
    /// atomically, and returns the record carrying the new epoch. `None` when there is no
    /// live record. From then on, writes with an older epoch are refused.
    ///
    /// # Errors
    ///
    /// [`BackendError`] when the backend fails or the stored record is corrupt.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::{Duration, SystemTime};
    /// use ractor_session::SessionId;
    /// use ractor_session::durable::{MemoryStore, SaveOutcome, SessionRecord, SessionStore};
    ///
    /// let store = MemoryStore::new();
    /// let id = SessionId::generate();
    /// let idle = SystemTime::now() + Duration::from_secs(60);
    /// let first = SessionRecord::new(id.clone(), "kv", 1, vec![1], idle).with_epoch(4);
    /// store.save(vec![first.clone()]).await?;
    ///
    /// let claimed = store.claim(&id).await?.unwrap();
    /// assert_eq!(claimed.epoch(), 5);
    /// // The activation that wrote epoch 4 is fenced off now.
    /// assert_eq!(
    ///     store.save(vec![first]).await?,
    ///     [SaveOutcome::Fenced { current_epoch: 5 }]
    /// );
    /// # Ok(())
    /// # }
    /// ```
    fn claim<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>>;

    /// Upserts `batch` in one transaction, in order. Each record is written only if its
    /// epoch is at least the stored record's (or the stored record is missing or expired);
    /// the outcomes say, record by record and in the same order, whether it was saved or
    /// fenced off.
    ///
    /// # Errors
    ///
    /// [`BackendError`] when the backend fails; then none of the batch is written.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::{Duration, SystemTime};
    /// use ractor_session::SessionId;
    /// use ractor_session::durable::{MemoryStore, SaveOutcome, SessionRecord, SessionStore};
    ///
    /// let store = MemoryStore::new();
    /// let idle = SystemTime::now() + Duration::from_secs(60);
    /// let batch: Vec<_> = (0..3)
    ///     .map(|_| SessionRecord::new(SessionId::generate(), "kv", 1, vec![], idle))
    ///     .collect();
    /// assert_eq!(store.save(batch).await?, [SaveOutcome::Saved; 3]);
    /// # Ok(())
    /// # }
    /// ```
    fn save(
        &self,
        batch: Vec<SessionRecord>,
    ) -> BoxFuture<'_, Result<Vec<SaveOutcome>, BackendError>>;

    /// Deletes the record of `id`, unless it was claimed with a newer epoch than `epoch`.
    ///
    /// # Errors
    ///
    /// [`BackendError::Fenced`] when the stored epoch is newer; [`BackendError`] when the
    /// backend fails.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{SessionId, durable::{DeleteOutcome, MemoryStore, SessionStore}};
    ///
    /// let store = MemoryStore::new();
    /// let outcome = store.delete(&SessionId::generate(), 0).await?;
    /// assert_eq!(outcome, DeleteOutcome::Missing);
    /// # Ok(())
    /// # }
    /// ```
    fn delete<'a>(
        &'a self,
        id: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<DeleteOutcome, BackendError>>;

    /// Moves the record of `old` to `new` atomically, written with `epoch`.
    ///
    /// # Errors
    ///
    /// [`BackendError::Fenced`] when `old` was claimed with a newer epoch;
    /// [`BackendError::IdTaken`] when `new` holds a live record; [`BackendError`] when the
    /// backend fails. Nothing changes in any of these cases.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::{Duration, SystemTime};
    /// use ractor_session::SessionId;
    /// use ractor_session::durable::{MemoryStore, RotateOutcome, SessionRecord, SessionStore};
    ///
    /// let store = MemoryStore::new();
    /// let (old, new) = (SessionId::generate(), SessionId::generate());
    /// let idle = SystemTime::now() + Duration::from_secs(60);
    /// store.save(vec![SessionRecord::new(old.clone(), "kv", 1, vec![7], idle)]).await?;
    ///
    /// assert_eq!(store.rotate(&old, &new, 0).await?, RotateOutcome::Rotated);
    /// assert!(store.load(&old).await?.is_none());
    /// assert_eq!(store.load(&new).await?.unwrap().state(), &[7]);
    /// # Ok(())
    /// # }
    /// ```
    fn rotate<'a>(
        &'a self,
        old: &'a SessionId,
        new: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<RotateOutcome, BackendError>>;

    /// Removes up to `limit` records expired at `now` and returns how many it removed.
    /// Call it again while it returns `limit`. Backends whose database expires records by
    /// itself (Redis) have nothing to remove and return 0.
    ///
    /// # Errors
    ///
    /// [`BackendError`] when the backend fails.
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
    /// let past = SystemTime::now() - Duration::from_secs(1);
    /// store.save(vec![SessionRecord::new(SessionId::generate(), "kv", 1, vec![], past)]).await?;
    /// assert_eq!(store.sweep(SystemTime::now(), 100).await?, 1);
    /// # Ok(())
    /// # }
    /// ```
    fn sweep(&self, now: SystemTime, limit: usize) -> BoxFuture<'_, Result<usize, BackendError>>;

    /// Checks that the backend answers and holds a schema this release knows; meant for
    /// startup and readiness probes.
    ///
    /// # Errors
    ///
    /// [`BackendError::Unreachable`], [`BackendError::Timeout`] or
    /// [`BackendError::SchemaMismatch`] when the store is not usable.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::durable::{MemoryStore, SessionStore};
    /// MemoryStore::new().health().await?;
    /// # Ok(())
    /// # }
    /// ```
    fn health(&self) -> BoxFuture<'_, Result<(), BackendError>>;
}

/// What [`SessionStore::save`] did with one record of a batch.
///
/// # Examples
///
/// ```
/// use ractor_session::durable::SaveOutcome;
/// let outcome = SaveOutcome::Fenced { current_epoch: 3 };
/// assert!(!outcome.is_saved());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    /// The record was written.
    Saved,
    /// The stored record carries a newer epoch: this writer was fenced off.
    Fenced {
        /// The stored epoch.
        current_epoch: u64,
    },
}

impl SaveOutcome {
    /// Whether the record was written.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ractor_session::durable::SaveOutcome::Saved.is_saved());
    /// ```
    #[must_use]
    pub fn is_saved(self) -> bool {
        self == Self::Saved
    }
}

/// What [`SessionStore::delete`] found.
///
/// # Examples
///
/// ```
/// use ractor_session::durable::DeleteOutcome;
/// assert_ne!(DeleteOutcome::Deleted, DeleteOutcome::Missing);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// A live record was deleted.
    Deleted,
    /// There was no live record (an expired one is removed too).
    Missing,
}

/// What [`SessionStore::rotate`] found.
///
/// # Examples
///
/// ```
/// use ractor_session::durable::RotateOutcome;
/// assert_ne!(RotateOutcome::Rotated, RotateOutcome::Missing);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The record now lives under the new ID only.
    Rotated,
    /// There was no live record under the old ID; nothing changed.
    Missing,
}
