//! What the workspace's tests share, so that each helper exists once, never published:
//!
//! - polling with a deadline ([`poll`]), log and metrics capture ([`logs`], [`metrics`]),
//!   the session configuration tests start from ([`config`]), test actors ([`actors`]), a
//!   websocket client ([`ws`]) and a free loopback port ([`free_port`]);
//! - database servers started for tests on loopback, in a temporary directory, on a free
//!   port ([`PostgresServer`], [`RedisServer`]), stopped when dropped and when the test
//!   process dies;
//! - the conformance suite every [`SessionStore`](ractor_session::durable::SessionStore)
//!   backend passes ([`store_conformance`]), and a store that counts the reads asked of it
//!   ([`CountingStore`]).
//!
//! A test that needs a server whose binaries are missing prints a loud message and
//! returns, unless the `CI` environment variable is set: then it fails.
//! `scripts/install-test-deps` installs the binaries.

pub mod actors;
pub mod config;
pub mod logs;
pub mod metrics;
pub mod poll;
pub mod ws;

mod conformance;
mod counting_store;
mod postgres;
mod process;
mod redis;
mod skip;

pub use conformance::{ExpiredRecords, store_conformance};
pub use counting_store::CountingStore;
pub use postgres::PostgresServer;
pub use process::free_port;
pub use redis::RedisServer;
