//! Test support for ractor-session, shared by the workspace's tests and never published:
//!
//! - database servers started for tests on loopback, in a temporary directory, on a free
//!   port ([`PostgresServer`], [`RedisServer`]), stopped when dropped and when the test
//!   process dies;
//! - the conformance suite every [`SessionStore`](ractor_session::durable::SessionStore)
//!   backend passes ([`store_conformance`]).
//!
//! A test that needs a server whose binaries are missing prints a loud message and
//! returns, unless the `CI` environment variable is set: then it fails.
//! `scripts/install-test-deps` installs the binaries.

mod conformance;
mod postgres;
mod process;
mod redis;
mod skip;

pub use conformance::{ExpiredRecords, store_conformance};
pub use postgres::PostgresServer;
pub use redis::RedisServer;
