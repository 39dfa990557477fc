//! The PostgreSQL backend: tokio-postgres connections in a deadpool pool, batched upserts
//! with fencing in one statement, and a versioned schema created on connect.

mod queries;

#[cfg(test)]
pub(super) use self::queries::SCHEMA_V1;

use std::time::{Duration, SystemTime};

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use super::columns::Written;
use super::error::{BackendError, within};
use super::record::{SessionRecord, unix_millis};
use super::session_store::{DeleteOutcome, RotateOutcome, SaveOutcome, SessionStore};
use crate::id::SessionId;

const BACKEND: &str = "postgres";

/// How a [`PostgresStore`] connects.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ractor_session::durable::PostgresOptions;
///
/// let options = PostgresOptions::default()
///     .with_max_connections(32)
///     .with_timeout(Duration::from_secs(2));
/// ```
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    max_connections: usize,
    timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            timeout: Duration::from_secs(5),
        }
    }
}

impl PostgresOptions {
    /// The most connections the pool opens (default 16).
    ///
    /// # Examples
    ///
    /// ```
    /// let options = ractor_session::durable::PostgresOptions::default().with_max_connections(4);
    /// ```
    #[must_use]
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How long connecting, and each operation as a whole, may take (default 5 s);
    /// past it the operation fails with [`BackendError::Timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = ractor_session::durable::PostgresOptions::default()
    ///     .with_timeout(Duration::from_millis(800));
    /// ```
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A [`SessionStore`] in a PostgreSQL database, shared by every node of an application.
///
/// Connections come from a [`deadpool_postgres`] pool: a connection broken by a server
/// restart is dropped and replaced, so the store works again once the server is back,
/// without being recreated. The schema (`schema_v1.sql`, shown in the guide) is created on
/// connect if missing, under an advisory lock, and its version is checked.
///
/// [`connect`](Self::connect) uses plain TCP; for TLS, build a pool with the TLS connector
/// of your choice and pass it to [`from_pool`](Self::from_pool).
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::durable::{PostgresStore, SessionStore};
///
/// let store = PostgresStore::connect("postgres://app@db.internal/app").await?;
/// store.health().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: Pool,
    timeout: Duration,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`,
    /// or any form [`tokio_postgres::Config`] parses) with the default options, and sets up
    /// the schema.
    ///
    /// # Errors
    ///
    /// [`BackendError::InvalidConfig`] for a malformed URL; [`BackendError::Unreachable`] or
    /// [`BackendError::Timeout`] when the server cannot be reached;
    /// [`BackendError::SchemaMismatch`] when a newer release set the database up.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), ractor_session::durable::BackendError> {
    /// let store = ractor_session::durable::PostgresStore::connect("postgres://localhost/app").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, BackendError> {
        Self::connect_with(url, PostgresOptions::default()).await
    }

    /// Connects to the database at `url` with `options`, and sets up the schema.
    ///
    /// # Errors
    ///
    /// As [`PostgresStore::connect`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), ractor_session::durable::BackendError> {
    /// use ractor_session::durable::{PostgresOptions, PostgresStore};
    ///
    /// let options = PostgresOptions::default().with_max_connections(8);
    /// let store = PostgresStore::connect_with("postgres://localhost/app", options).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_with(url: &str, options: PostgresOptions) -> Result<Self, BackendError> {
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|error| BackendError::InvalidConfig {
                backend: BACKEND,
                source: Box::new(error),
            })?;
        config.connect_timeout(options.timeout);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A closed connection (say, after a server restart) is dropped on recycle.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.timeout))
            .create_timeout(Some(options.timeout))
            .recycle_timeout(Some(options.timeout))
            .build()
            .map_err(|error| BackendError::InvalidConfig {
                backend: BACKEND,
                source: Box::new(error),
            })?;
        Self::from_pool(pool, options.timeout).await
    }

    /// Uses `pool` (built by the caller, say with a TLS connector), with `timeout` for each
    /// operation, and sets up the schema.
    ///
    /// # Errors
    ///
    /// As [`PostgresStore::connect`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use deadpool_postgres::{Manager, Pool};
    /// use ractor_session::durable::PostgresStore;
    ///
    /// let config: tokio_postgres::Config = "postgres://localhost/app".parse()?;
    /// let pool = Pool::builder(Manager::new(config, tokio_postgres::NoTls)).build()?;
    /// let store = PostgresStore::from_pool(pool, Duration::from_secs(5)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn from_pool(pool: Pool, timeout: Duration) -> Result<Self, BackendError> {
        let store = Self { pool, timeout };
        within(BACKEND, timeout, async {
            queries::set_up(&mut store.client().await?).await
        })
        .await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, BackendError> {
        self.pool.get().await.map_err(|error| match error {
            PoolError::Backend(error) => pg_error(error),
            PoolError::Timeout(_) => BackendError::Timeout {
                backend: BACKEND,
                after: self.timeout,
            },
            PoolError::Closed => BackendError::Closed { backend: BACKEND },
            other => BackendError::Backend {
                backend: BACKEND,
                source: Box::new(other),
            },
        })
    }
}

impl SessionStore for PostgresStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn load<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>> {
        let now_ms = unix_millis(SystemTime::now());
        within(BACKEND, self.timeout, async move {
            queries::load(&self.client().await?, id, now_ms).await
        })
        .boxed()
    }

    fn claim<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>> {
        let now_ms = unix_millis(SystemTime::now());
        within(BACKEND, self.timeout, async move {
            queries::claim(&self.client().await?, id, now_ms).await
        })
        .boxed()
    }

    fn save(
        &self,
        batch: Vec<SessionRecord>,
    ) -> BoxFuture<'_, Result<Vec<SaveOutcome>, BackendError>> {
        within(BACKEND, self.timeout, async move {
            let batch = batch
                .into_iter()
                .map(|record| Written::of(&record).map(|written| (record, written)))
                .collect::<Result<Vec<_>, _>>()?;
            if batch.is_empty() {
                return Ok(Vec::new());
            }
            let now_ms = unix_millis(SystemTime::now());
            let mut client = self.client().await?;
            let rounds = rounds(&batch);
            if rounds.len() == 1 {
                let round: Vec<_> = batch.iter().collect();
                return queries::save_distinct(&client, &round, now_ms).await;
            }
            // An ID saved twice in one batch: one statement per round of distinct IDs,
            // all in one transaction, in batch order.
            let tx = client.transaction().await.map_err(pg_error)?;
            let mut outcomes = vec![SaveOutcome::Saved; batch.len()];
            for round in rounds {
                let records: Vec<_> = round.iter().map(|&i| &batch[i]).collect();
                let saved = queries::save_distinct(&tx, &records, now_ms).await?;
                for (i, outcome) in round.into_iter().zip(saved) {
                    outcomes[i] = outcome;
                }
            }
            tx.commit().await.map_err(pg_error)?;
            Ok(outcomes)
        })
        .boxed()
    }

    fn delete<'a>(
        &'a self,
        id: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<DeleteOutcome, BackendError>> {
        let now_ms = unix_millis(SystemTime::now());
        within(BACKEND, self.timeout, async move {
            queries::delete(&mut self.client().await?, id, epoch, now_ms).await
        })
        .boxed()
    }

    fn rotate<'a>(
        &'a self,
        old: &'a SessionId,
        new: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<RotateOutcome, BackendError>> {
        let now_ms = unix_millis(SystemTime::now());
        within(BACKEND, self.timeout, async move {
            queries::rotate(&mut self.client().await?, (old, new), epoch, now_ms).await
        })
        .boxed()
    }

    fn sweep(&self, now: SystemTime, limit: usize) -> BoxFuture<'_, Result<usize, BackendError>> {
        let now_ms = unix_millis(now);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        within(BACKEND, self.timeout, async move {
            queries::sweep(&self.client().await?, now_ms, limit).await
        })
        .boxed()
    }

    fn health(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        within(BACKEND, self.timeout, async move {
            queries::schema_version(&self.client().await?).await
        })
        .boxed()
    }
}

/// Splits a batch into rounds of distinct IDs, as indexes: the first save of each ID in
/// round 0, the second in round 1, and so on.
fn rounds(batch: &[(SessionRecord, Written)]) -> Vec<Vec<usize>> {
    let mut seen = std::collections::HashMap::<&SessionId, usize>::new();
    let mut rounds: Vec<Vec<usize>> = vec![Vec::new()];
    for (i, (record, _)) in batch.iter().enumerate() {
        let round = seen.entry(record.id()).or_default();
        if *round == rounds.len() {
            rounds.push(Vec::new());
        }
        rounds[*round].push(i);
        *round += 1;
    }
    rounds
}

/// The typed form of a PostgreSQL error.
fn pg_error(error: tokio_postgres::Error) -> BackendError {
    let unreachable = match error.code() {
        // No answer from the server: the connection was refused, failed or lost (an
        // input/output error), or closed.
        None => error.is_closed() || caused_by_io(&error),
        Some(code) => {
            code.code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                ]
                .contains(code)
        }
    };
    let source = Box::new(error);
    if unreachable {
        BackendError::Unreachable {
            backend: BACKEND,
            source,
        }
    } else {
        BackendError::Backend {
            backend: BACKEND,
            source,
        }
    }
}

fn caused_by_io(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = error.source();
    while let Some(error) = cause {
        if error.is::<std::io::Error>() {
            return true;
        }
        cause = error.source();
    }
    false
}
