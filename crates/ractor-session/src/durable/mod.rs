#![doc = include_str!("../../docs/durability.md")]

mod codec;
mod columns;
mod error;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod record;
#[cfg(feature = "redis")]
mod redis;
mod rules;
mod session;
mod session_store;
#[cfg(feature = "sqlite")]
mod sqlite;

pub(crate) use codec::{Codec, decode};
pub use error::BackendError;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::{PostgresOptions, PostgresStore};
pub use record::SessionRecord;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::{RedisOptions, RedisStore};
pub use session::{DurableSession, UnknownFormat};
pub use session_store::{DeleteOutcome, RotateOutcome, SaveOutcome, SessionStore};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::{SqliteOptions, SqliteStore};

/// A boxed error, as [`crate::BoxError`] (which this module, below `error`, does not name).
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[cfg(test)]
mod tests {
    #[test]
    fn the_guide_shows_each_schema_as_applied() {
        let guide = include_str!("../../docs/durability.md");
        #[cfg(feature = "sqlite")]
        assert!(
            guide.contains(super::sqlite::SCHEMA_V1.trim()),
            "update the SQLite schema"
        );
        #[cfg(feature = "postgres")]
        assert!(
            guide.contains(super::postgres::SCHEMA_V1.trim()),
            "update the PostgreSQL schema"
        );
    }
}
