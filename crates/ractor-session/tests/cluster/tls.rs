//! TLS between nodes: nodes with certificates from one authority connect; a node without
//! TLS cannot join them; bad certificate files are clear errors.

use std::path::{Path, PathBuf};

use ractor_session::cluster::{Cluster, ClusterError, ClusterTls};
use ractor_session_test_support::logs::Logs;
use ractor_session_test_support::poll::eventually;
use tracing::Level;

use crate::support::{SECRET, durable_manager, node};

/// Test certificates (an authority, and one node certificate for `node.cluster.test`
/// signed by it, for server and client authentication), valid until 2125.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cluster/tls")
        .join(name)
}

fn tls() -> ClusterTls {
    ClusterTls::from_pem_files(
        &fixture("node.pem"),
        &fixture("node.key"),
        &fixture("ca.pem"),
        "node.cluster.test",
    )
    .unwrap()
}

fn connected(text: &str, node: &str) -> bool {
    text.lines().any(|line| {
        line.contains("cluster peer connected") && line.contains(&format!("node={node}@"))
    })
}

#[tokio::test]
async fn nodes_with_tls_connect_and_a_node_without_it_is_refused() {
    // One thread: the capture sees what every task logs.
    let (logs, _guard) = Logs::capture(Level::INFO);
    let managers = [
        durable_manager("tls-a").await,
        durable_manager("tls-b").await,
        durable_manager("tls-c").await,
    ];
    let a = node("tls-node-a", SECRET);
    let a_addr = a.listen.to_string();
    let a = Cluster::builder(a)
        .with_tls(tls())
        .join(&managers[0])
        .await
        .unwrap();
    let b = node("tls-node-b", SECRET).with_peer(a_addr.clone());
    let b = Cluster::builder(b)
        .with_tls(tls())
        .join(&managers[1])
        .await
        .unwrap();
    eventually("the two TLS nodes connect, each seeing the other", || {
        let text = logs.text();
        async move { connected(&text, "tls-node-a") && connected(&text, "tls-node-b") }
    })
    .await;

    // The same secret, but no TLS: refused.
    let c = node("tls-node-c", SECRET).with_peer(a_addr);
    let c = Cluster::builder(c).join(&managers[2]).await.unwrap();
    eventually("the node without TLS logs its refusal", || {
        let text = logs.text();
        async move { text.contains("cluster connection refused") }
    })
    .await;
    let text = logs.text();
    assert!(!connected(&text, "tls-node-c"), "{text}");

    for cluster in [a, b, c] {
        cluster.leave().await;
    }
    for manager in managers {
        manager.shutdown().await;
    }
}

#[test]
fn bad_certificate_files_are_clear_errors() {
    let cases = [
        // Missing file.
        (
            fixture("none.pem"),
            fixture("node.key"),
            fixture("ca.pem"),
            "node.cluster.test",
        ),
        // A key where the certificate should be: no certificate in it.
        (
            fixture("node.key"),
            fixture("node.key"),
            fixture("ca.pem"),
            "node.cluster.test",
        ),
        // A certificate where the key should be.
        (
            fixture("node.pem"),
            fixture("node.pem"),
            fixture("ca.pem"),
            "node.cluster.test",
        ),
        // Not a server name.
        (
            fixture("node.pem"),
            fixture("node.key"),
            fixture("ca.pem"),
            "not a name",
        ),
    ];
    for (chain, key, ca, name) in cases {
        match ClusterTls::from_pem_files(&chain, &key, &ca, name) {
            Err(ClusterError::Tls { reason }) => assert!(!reason.is_empty()),
            other => panic!("expected a TLS error for {chain:?} {key:?} {name:?}, got {other:?}"),
        }
    }
}
