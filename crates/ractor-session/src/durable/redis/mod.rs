//! The Redis backend: one hash per session under a key prefix, expiring through Redis's own
//! TTL, with fencing and rotation made atomic by Lua scripts.

mod fields;

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands as _, RedisError, Script};

use self::fields::{FIELDS, Fields};
use super::columns::Written;
use super::error::{BackendError, within};
use super::record::{SessionRecord, unix_millis};
use super::rules::fenced;
use super::session_store::{DeleteOutcome, RotateOutcome, SaveOutcome, SessionStore};
use crate::id::SessionId;

const BACKEND: &str = "redis";

/// The layout of the keys and hashes this release writes, kept at `<prefix>schema`.
const SCHEMA_VERSION: i64 = 1;

static SAVE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("save.lua")));
static CLAIM: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("claim.lua")));
static DELETE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("delete.lua")));
static ROTATE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("rotate.lua")));

/// How a [`RedisStore`] connects and names its keys.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ractor_session::durable::RedisOptions;
///
/// let options = RedisOptions::default()
///     .with_key_prefix("shop:sessions:")
///     .with_timeout(Duration::from_secs(2));
/// ```
#[derive(Debug, Clone)]
pub struct RedisOptions {
    key_prefix: String,
    timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            key_prefix: "ractor-session:".to_owned(),
            timeout: Duration::from_secs(5),
        }
    }
}

impl RedisOptions {
    /// The prefix of every key the store writes (default `ractor-session:`): records are at
    /// `<prefix>s:<session ID>`, the schema version at `<prefix>schema`.
    ///
    /// # Examples
    ///
    /// ```
    /// let options = ractor_session::durable::RedisOptions::default().with_key_prefix("app1:");
    /// ```
    #[must_use]
    pub fn with_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// How long connecting, and each operation as a whole, may take (default 5 s); past
    /// it the operation fails with [`BackendError::Timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = ractor_session::durable::RedisOptions::default()
    ///     .with_timeout(Duration::from_millis(500));
    /// ```
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A [`SessionStore`] in Redis, shared by every node of an application.
///
/// Each record is a hash at `<prefix>s:<session ID>` whose key expires (`PEXPIREAT`) at the
/// record's earlier deadline, so Redis removes expired records by itself and
/// [`sweep`](SessionStore::sweep) has nothing to do (it returns 0). Saves, claims, deletes
/// and rotations are Lua scripts, atomic on the server; a batch is one script call. The
/// connection is redis-rs's [`ConnectionManager`], which reconnects after the server
/// restarts. The scripts touch several keys at once, so Redis Cluster is not supported:
/// use a single primary (with replicas or Sentinel).
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::durable::{RedisStore, SessionStore};
///
/// let store = RedisStore::connect("redis://127.0.0.1:6379/0").await?;
/// store.health().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    key_prefix: String,
    timeout: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("key_prefix", &self.key_prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the server at `url` (`redis://[user:password@]host:port/db`, or
    /// `rediss://` for TLS where redis-rs is built with it) with the default options, and
    /// checks the schema version.
    ///
    /// # Errors
    ///
    /// [`BackendError::InvalidConfig`] for a malformed URL; [`BackendError::Unreachable`] or
    /// [`BackendError::Timeout`] when the server cannot be reached;
    /// [`BackendError::SchemaMismatch`] when a newer release wrote the keys.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), ractor_session::durable::BackendError> {
    /// let store = ractor_session::durable::RedisStore::connect("redis://127.0.0.1/").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, BackendError> {
        Self::connect_with(url, RedisOptions::default()).await
    }

    /// Connects to the server at `url` with `options`, and checks the schema version.
    ///
    /// # Errors
    ///
    /// As [`RedisStore::connect`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), ractor_session::durable::BackendError> {
    /// use ractor_session::durable::{RedisOptions, RedisStore};
    ///
    /// let options = RedisOptions::default().with_key_prefix("shop:");
    /// let store = RedisStore::connect_with("redis://127.0.0.1/", options).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_with(url: &str, options: RedisOptions) -> Result<Self, BackendError> {
        let client = redis::Client::open(url).map_err(|error| BackendError::InvalidConfig {
            backend: BACKEND,
            source: Box::new(error),
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.timeout))
            .set_response_timeout(Some(options.timeout))
            // Fail fast while the server is down; the next command reconnects.
            .set_number_of_retries(1);
        let timeout = options.timeout;
        let connection = within(BACKEND, timeout, async {
            ConnectionManager::new_with_config(client, config)
                .await
                .map_err(|error| redis_error(error, timeout))
        })
        .await?;
        let store = Self {
            connection,
            key_prefix: options.key_prefix,
            timeout,
        };
        within(BACKEND, timeout, store.set_up()).await?;
        Ok(store)
    }

    /// Records the schema version if no release has yet, and checks it.
    async fn set_up(&self) -> Result<(), BackendError> {
        let mut connection = self.connection.clone();
        let key = self.schema_key();
        let _: bool = connection
            .set_nx(&key, SCHEMA_VERSION)
            .await
            .map_err(|error| redis_error(error, self.timeout))?;
        self.check_schema().await
    }

    async fn check_schema(&self) -> Result<(), BackendError> {
        let found: Option<i64> = self
            .connection
            .clone()
            .get(self.schema_key())
            .await
            .map_err(|error| redis_error(error, self.timeout))?;
        match found {
            Some(SCHEMA_VERSION) => Ok(()),
            other => Err(BackendError::SchemaMismatch {
                backend: BACKEND,
                found: other.unwrap_or(0),
                supported: SCHEMA_VERSION,
            }),
        }
    }

    fn schema_key(&self) -> String {
        format!("{}schema", self.key_prefix)
    }

    fn key(&self, id: &SessionId) -> String {
        format!("{}s:{}", self.key_prefix, id.as_str())
    }

    /// Runs `script` with `invocation`'s keys and arguments, within the timeout.
    async fn invoke<T: redis::FromRedisValue>(
        &self,
        invocation: redis::ScriptInvocation<'_>,
    ) -> Result<T, BackendError> {
        let mut connection = self.connection.clone();
        within(BACKEND, self.timeout, async {
            invocation
                .invoke_async(&mut connection)
                .await
                .map_err(|error| redis_error(error, self.timeout))
        })
        .await
    }
}

impl SessionStore for RedisStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn load<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>> {
        async move {
            let mut connection = self.connection.clone();
            let fields: Fields = within(BACKEND, self.timeout, async {
                redis::cmd("HMGET")
                    .arg(self.key(id))
                    .arg(&FIELDS)
                    .query_async(&mut connection)
                    .await
                    .map_err(|error| redis_error(error, self.timeout))
            })
            .await?;
            // Redis expires keys by its own clock; this process's clock has the last word.
            let now = SystemTime::now();
            Ok(fields::record(id, fields)?.filter(|record| !record.is_expired(now)))
        }
        .boxed()
    }

    fn claim<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>> {
        async move {
            let now_ms = unix_millis(SystemTime::now());
            let mut invocation = CLAIM.prepare_invoke();
            invocation.key(self.key(id)).arg(now_ms);
            let fields: Option<Fields> = self.invoke(invocation).await?;
            Ok(fields
                .map(|fields| fields::record(id, fields))
                .transpose()?
                .flatten())
        }
        .boxed()
    }

    fn save(
        &self,
        batch: Vec<SessionRecord>,
    ) -> BoxFuture<'_, Result<Vec<SaveOutcome>, BackendError>> {
        async move {
            if batch.is_empty() {
                return Ok(Vec::new());
            }
            let now_ms = unix_millis(SystemTime::now());
            let mut invocation = SAVE.prepare_invoke();
            invocation.arg(now_ms);
            for record in &batch {
                let written = Written::of(record)?;
                invocation
                    .key(self.key(record.id()))
                    .arg(record.session_type())
                    .arg(written.format_version)
                    .arg(record.state())
                    .arg(written.idle_deadline_ms)
                    .arg(
                        written
                            .absolute_deadline_ms
                            .map(|ms| ms.to_string())
                            .unwrap_or_default(),
                    )
                    .arg(written.updated_at_ms)
                    .arg(written.epoch)
                    .arg(written.expires_at_ms);
            }
            let outcomes: Vec<i64> = self.invoke(invocation).await?;
            Ok(outcomes
                .into_iter()
                .map(|outcome| match u64::try_from(outcome) {
                    Ok(current_epoch) => SaveOutcome::Fenced { current_epoch },
                    Err(_) => SaveOutcome::Saved,
                })
                .collect())
        }
        .boxed()
    }

    fn delete<'a>(
        &'a self,
        id: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<DeleteOutcome, BackendError>> {
        async move {
            let now_ms = unix_millis(SystemTime::now());
            let mut invocation = DELETE.prepare_invoke();
            invocation.key(self.key(id)).arg(now_ms).arg(epoch);
            let (outcome, current): (String, u64) = self.invoke(invocation).await?;
            match outcome.as_str() {
                "deleted" => Ok(DeleteOutcome::Deleted),
                "fenced" => Err(fenced(id, current)),
                _ => Ok(DeleteOutcome::Missing),
            }
        }
        .boxed()
    }

    fn rotate<'a>(
        &'a self,
        old: &'a SessionId,
        new: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<RotateOutcome, BackendError>> {
        async move {
            let now_ms = unix_millis(SystemTime::now());
            let mut invocation = ROTATE.prepare_invoke();
            invocation
                .key(self.key(old))
                .key(self.key(new))
                .arg(now_ms)
                .arg(epoch);
            let (outcome, current): (String, u64) = self.invoke(invocation).await?;
            match outcome.as_str() {
                "rotated" => Ok(RotateOutcome::Rotated),
                "fenced" => Err(fenced(old, current)),
                "taken" => Err(BackendError::IdTaken { id: new.redacted() }),
                _ => Ok(RotateOutcome::Missing),
            }
        }
        .boxed()
    }

    /// Redis removes expired records by itself (each key expires at the record's earlier
    /// deadline): nothing to sweep, so this returns 0 without touching the server.
    fn sweep(&self, _now: SystemTime, _limit: usize) -> BoxFuture<'_, Result<usize, BackendError>> {
        futures_util::future::ready(Ok(0)).boxed()
    }

    fn health(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        within(BACKEND, self.timeout, self.check_schema()).boxed()
    }
}

/// The typed form of a Redis error.
fn redis_error(error: RedisError, timeout: Duration) -> BackendError {
    if error.is_timeout() {
        BackendError::Timeout {
            backend: BACKEND,
            after: timeout,
        }
    } else if error.is_io_error() || error.is_connection_refusal() || error.is_connection_dropped()
    {
        BackendError::Unreachable {
            backend: BACKEND,
            source: Box::new(error),
        }
    } else {
        BackendError::Backend {
            backend: BACKEND,
            source: Box::new(error),
        }
    }
}
