//! The embedded SQLite backend: one file, WAL, a writer thread that commits queued writes
//! together, and reads on their own connections, all off the async workers.

mod database;
mod writer;
mod writes;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use rusqlite::Connection;

use self::database::BACKEND;
#[cfg(test)]
pub(super) use self::database::{SCHEMA_V1, SCHEMA_V2};
use self::writer::Writer;
use super::columns::Written;
use super::error::BackendError;
use super::record::{SessionRecord, unix_millis};
use super::session_store::{DeleteOutcome, RotateOutcome, SaveOutcome, SessionStore};
use crate::id::SessionId;
use crate::user::UserKey;

/// How a [`SqliteStore`] is opened.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ractor_session::durable::SqliteOptions;
///
/// let options = SqliteOptions::default()
///     .with_busy_timeout(Duration::from_secs(2))
///     .with_integrity_check(false);
/// ```
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    busy_timeout: Duration,
    integrity_check: bool,
    idle_readers: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
            integrity_check: true,
            idle_readers: 4,
        }
    }
}

impl SqliteOptions {
    /// How long a statement waits for a lock held by another process on the same file
    /// before it fails (default 5 s).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = ractor_session::durable::SqliteOptions::default()
    ///     .with_busy_timeout(Duration::from_millis(500));
    /// ```
    #[must_use]
    pub fn with_busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Whether opening runs SQLite's `quick_check` over the whole file (default on), so
    /// that a damaged file is refused at startup rather than found on a later read. It
    /// reads every page: turn it off for very large files if startup time matters more.
    ///
    /// # Examples
    ///
    /// ```
    /// let options = ractor_session::durable::SqliteOptions::default().with_integrity_check(false);
    /// ```
    #[must_use]
    pub fn with_integrity_check(mut self, check: bool) -> Self {
        self.integrity_check = check;
        self
    }

    /// How many read connections are kept open between loads (default 4); more are opened
    /// while more loads run at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let options = ractor_session::durable::SqliteOptions::default().with_idle_readers(8);
    /// ```
    #[must_use]
    pub fn with_idle_readers(mut self, readers: usize) -> Self {
        self.idle_readers = readers;
        self
    }
}

/// A [`SessionStore`] in one SQLite file, embedded in the process (SQLite is compiled in:
/// nothing to install).
///
/// The file is in WAL mode with `synchronous = NORMAL`: a committed save survives a crash
/// of the process; the last commits before a power cut may not. Writes go to one writer
/// thread, which commits the writes queued meanwhile in one transaction and checkpoints
/// the WAL every 16,384 pages (so the WAL file can grow to about 64 MiB); loads run on
/// read connections in tokio's blocking pool. The schema (`schema_v1.sql`, then `schema_v2.sql`; shown in
/// the guide) is created on first open and its version is checked on every open.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::{Duration, SystemTime};
/// use ractor_session::SessionId;
/// use ractor_session::durable::{SessionRecord, SessionStore, SqliteStore};
///
/// let dir = tempfile::tempdir()?;
/// let store = SqliteStore::open(dir.path().join("sessions.db")).await?;
/// let id = SessionId::generate();
/// let idle = SystemTime::now() + Duration::from_secs(1800);
/// store.save(vec![SessionRecord::new(id.clone(), "kv", 1, b"{}".to_vec(), idle)]).await?;
/// assert_eq!(store.load(&id).await?.unwrap().state(), b"{}");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct SqliteStore {
    writer: Writer,
    readers: Arc<Readers>,
}

impl SqliteStore {
    /// Opens (or creates) the store in the file at `path`, with the default options.
    ///
    /// # Errors
    ///
    /// [`BackendError::Corrupt`] when the file is not an SQLite database or fails the
    /// integrity check; [`BackendError::SchemaMismatch`] when a newer release created it;
    /// [`BackendError::Unreachable`] when it cannot be opened (a missing directory, no
    /// permission).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let store = ractor_session::durable::SqliteStore::open(dir.path().join("s.db")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, BackendError> {
        Self::open_with(path, SqliteOptions::default()).await
    }

    /// Opens (or creates) the store in the file at `path` with `options`.
    ///
    /// # Errors
    ///
    /// As [`SqliteStore::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::durable::{SqliteOptions, SqliteStore};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let options = SqliteOptions::default().with_idle_readers(1);
    /// let store = SqliteStore::open_with(dir.path().join("s.db"), options).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open_with(
        path: impl AsRef<Path>,
        options: SqliteOptions,
    ) -> Result<Self, BackendError> {
        let path = path.as_ref().to_path_buf();
        blocking(move || {
            let conn = database::open_writer(&path, options.busy_timeout, options.integrity_check)?;
            let readers = Arc::new(Readers {
                path,
                busy_timeout: options.busy_timeout,
                keep: options.idle_readers,
                idle: Mutex::new(Vec::new()),
            });
            // One reader up front: a file the writer opened must be readable too.
            readers.with(|_| Ok(()))?;
            Ok(Self {
                writer: Writer::spawn(conn)?,
                readers,
            })
        })
        .await
    }

    fn read<T, F>(&self, work: F) -> BoxFuture<'static, Result<T, BackendError>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, BackendError> + Send + 'static,
    {
        let readers = Arc::clone(&self.readers);
        blocking(move || readers.with(work)).boxed()
    }
}

impl SessionStore for SqliteStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn load<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>> {
        let id = id.clone();
        let now_ms = unix_millis(SystemTime::now());
        self.read(move |conn| database::load(conn, id.as_str(), now_ms))
    }

    fn claim<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>> {
        let id = id.clone();
        let now_ms = unix_millis(SystemTime::now());
        self.writer
            .write(move |conn| writes::claim(conn, &id, now_ms))
            .boxed()
    }

    fn save(
        &self,
        batch: Vec<SessionRecord>,
    ) -> BoxFuture<'_, Result<Vec<SaveOutcome>, BackendError>> {
        async move {
            let batch = batch
                .into_iter()
                .map(|record| Written::of(&record).map(|written| (record, written)))
                .collect::<Result<Vec<_>, _>>()?;
            let now_ms = unix_millis(SystemTime::now());
            self.writer
                .write(move |conn| writes::save(conn, &batch, now_ms))
                .await
        }
        .boxed()
    }

    fn delete<'a>(
        &'a self,
        id: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<DeleteOutcome, BackendError>> {
        let id = id.clone();
        let now_ms = unix_millis(SystemTime::now());
        self.writer
            .write(move |conn| writes::delete(conn, &id, epoch, now_ms))
            .boxed()
    }

    fn rotate<'a>(
        &'a self,
        old: &'a SessionId,
        new: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<RotateOutcome, BackendError>> {
        let (old, new) = (old.clone(), new.clone());
        let now_ms = unix_millis(SystemTime::now());
        self.writer
            .write(move |conn| writes::rotate(conn, (&old, &new), epoch, now_ms))
            .boxed()
    }

    fn delete_user<'a>(
        &'a self,
        user: &'a UserKey,
    ) -> BoxFuture<'a, Result<Vec<SessionId>, BackendError>> {
        let user = user.clone();
        let now_ms = unix_millis(SystemTime::now());
        self.writer
            .write(move |conn| writes::delete_user(conn, &user, now_ms))
            .boxed()
    }

    fn sweep(&self, now: SystemTime, limit: usize) -> BoxFuture<'_, Result<usize, BackendError>> {
        let now_ms = unix_millis(now);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.writer
            .write(move |conn| writes::sweep(conn, now_ms, limit))
            .boxed()
    }

    fn health(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        self.read(|conn| database::schema_version(conn).map(drop))
    }
}

/// Read connections kept between loads.
#[derive(Debug)]
struct Readers {
    path: PathBuf,
    busy_timeout: Duration,
    keep: usize,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Runs `work` on an idle read connection, or on a new one when none is idle.
    fn with<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, BackendError>,
    ) -> Result<T, BackendError> {
        let idle = self.idle().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => database::open_reader(&self.path, self.busy_timeout)?,
        };
        let result = work(&conn);
        let mut idle = self.idle();
        if idle.len() < self.keep {
            idle.push(conn);
        }
        result
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // Nothing panics while holding the lock; the list is consistent even if poisoned.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs blocking `work` in tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BackendError> + Send + 'static,
) -> Result<T, BackendError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|joined| {
            Err(BackendError::Backend {
                backend: BACKEND,
                source: Box::new(joined),
            })
        })
}
