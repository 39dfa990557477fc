//! What the cluster tests share: a durable manager on an in-memory store, free ports.

use std::net::{SocketAddr, TcpListener};
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

/// A loopback address with a port free now, below the kernel's range of ephemeral ports
/// (32768 and up on Linux): a port the OS hands out for `:0` could be taken as the source
/// port of an outgoing connection before the node binds it.
pub(crate) fn free_addr() -> SocketAddr {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = std::process::id().wrapping_mul(7919);
    loop {
        let n = seed.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed).wrapping_mul(104_729));
        let port = 20_000 + (n % 12_000) as u16;
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            return listener.local_addr().expect("its address");
        }
    }
}

/// A node named `name` on a free loopback port, sharing `secret`.
pub(crate) fn node(name: &str, secret: &str) -> ClusterConfig {
    ClusterConfig::new(name, free_addr(), secret)
}
