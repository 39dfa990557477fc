//! Where the demo keeps its sessions: the `--store` flag, parsed into a [`StoreChoice`]
//! with a typed error, and opened at startup.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use ractor_session::durable::{BackendError, SessionStore, SqliteStore};

/// The store the sessions are kept in.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum StoreChoice {
    /// Memory only: nothing survives a restart.
    Memory,
    /// An SQLite file (created if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL database, by URL.
    Postgres(String),
    /// A Redis server, by URL.
    Redis(String),
}

/// Why a `--store` value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BadStore {
    #[error(
        "{0:?} is not a store: use sqlite:PATH, memory, postgres://USER@HOST/DB or redis://HOST:PORT"
    )]
    Unknown(String),
    #[error("sqlite: needs a file path, e.g. sqlite:live_cart.db")]
    NoPath,
    #[error(
        "this live_cart was built without the `{0}` feature: rebuild with `--features {0}`, or use sqlite:PATH"
    )]
    NotBuiltIn(&'static str),
}

impl FromStr for StoreChoice {
    type Err = BadStore;

    fn from_str(value: &str) -> Result<Self, BadStore> {
        let value = value.trim();
        if value == "memory" {
            return Ok(Self::Memory);
        }
        if let Some(path) = value.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err(BadStore::NoPath);
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            return if cfg!(feature = "postgres") {
                Ok(Self::Postgres(value.to_owned()))
            } else {
                Err(BadStore::NotBuiltIn("postgres"))
            };
        }
        if value.starts_with("redis://") || value.starts_with("rediss://") {
            return if cfg!(feature = "redis") {
                Ok(Self::Redis(value.to_owned()))
            } else {
                Err(BadStore::NotBuiltIn("redis"))
            };
        }
        Err(BadStore::Unknown(value.to_owned()))
    }
}

impl fmt::Debug for StoreChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl StoreChoice {
    /// The backend's name, for logs: never a URL, which may hold a password.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
            Self::Redis(_) => "redis",
        }
    }

    /// Where the dev-mode signing key is kept with this store: next to the SQLite file,
    /// or in the working directory; `None` in memory, where nothing outlives the process.
    pub(crate) fn key_file(&self) -> Option<PathBuf> {
        match self {
            Self::Memory => None,
            Self::Sqlite(path) => {
                let mut name = path.file_name()?.to_os_string();
                name.push(".key");
                Some(path.with_file_name(name))
            }
            Self::Postgres(_) | Self::Redis(_) => Some(Path::new("live_cart.key").to_owned()),
        }
    }

    /// Opens the store; `None` for memory.
    ///
    /// # Errors
    ///
    /// The store's own: a file that cannot be opened or is corrupt, a server that does not
    /// answer.
    pub(crate) async fn open(&self) -> Result<Option<Arc<dyn SessionStore>>, BackendError> {
        Ok(Some(match self {
            Self::Memory => return Ok(None),
            Self::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
            #[cfg(feature = "postgres")]
            Self::Postgres(url) => {
                Arc::new(ractor_session::durable::PostgresStore::connect(url).await?)
            }
            #[cfg(feature = "redis")]
            Self::Redis(url) => Arc::new(ractor_session::durable::RedisStore::connect(url).await?),
            // Refused when the flag is parsed already.
            #[allow(unreachable_patterns)]
            other @ (Self::Postgres(_) | Self::Redis(_)) => {
                return Err(BackendError::InvalidConfig {
                    backend: other.name(),
                    source: BadStore::NotBuiltIn(other.name()).into(),
                });
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_parsed() {
        assert_eq!("memory".parse(), Ok(StoreChoice::Memory));
        assert_eq!(
            "sqlite:data/carts.db".parse(),
            Ok(StoreChoice::Sqlite("data/carts.db".into()))
        );
        assert_eq!("sqlite:".parse::<StoreChoice>(), Err(BadStore::NoPath));
        for bad in ["", "mysql://db", "sqlite", "memory:", "file.db"] {
            assert!(
                matches!(bad.parse::<StoreChoice>(), Err(BadStore::Unknown(_))),
                "{bad:?}"
            );
        }
        let postgres = "postgres://user:secret@localhost/carts".parse::<StoreChoice>();
        assert_eq!(postgres.is_ok(), cfg!(feature = "postgres"), "{postgres:?}");
        let redis = "redis://127.0.0.1:6379".parse::<StoreChoice>();
        assert_eq!(redis.is_ok(), cfg!(feature = "redis"), "{redis:?}");
    }

    #[test]
    fn the_key_file_sits_next_to_the_sqlite_file() {
        let sqlite = StoreChoice::Sqlite("data/carts.db".into());
        assert_eq!(sqlite.key_file(), Some(PathBuf::from("data/carts.db.key")));
        assert_eq!(StoreChoice::Memory.key_file(), None);
    }

    #[test]
    fn debug_output_never_shows_a_url() {
        let shown = format!(
            "{:?}",
            StoreChoice::Postgres("postgres://u:secret@h/db".into())
        );
        assert_eq!(shown, "postgres");
    }
}
