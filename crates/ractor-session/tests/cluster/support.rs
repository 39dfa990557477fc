//! What the cluster tests share: a durable manager on an in-memory store, free ports.

use std::net::SocketAddr;
use std::sync::Arc;

use ractor_session::cluster::ClusterConfig;
use ractor_session::durable::MemoryStore;
use ractor_session::{KvSession, SessionConfig, SessionManager};

/// The secret the tests' nodes share (16+ bytes).
pub(crate) const SECRET: &str = "the tests' shared cluster secret";

/// A manager named `name` with a store, its key-value sessions durable.
pub(crate) async fn durable_manager(name: &str) -> SessionManager {
    SessionManager::builder(SessionConfig::default().with_name(name))
        .with_store(Arc::new(MemoryStore::new()))
        .with_durable::<KvSession, _>(|| KvSession)
        .spawn()
        .await
        .expect("manager")
}

/// A loopback address with a port free now (see `free_port`).
pub(crate) fn free_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], ractor_session_test_support::free_port()))
}

/// A node named `name` on a free loopback port, sharing `secret`.
pub(crate) fn node(name: &str, secret: &str) -> ClusterConfig {
    ClusterConfig::new(name, free_addr(), secret)
}
