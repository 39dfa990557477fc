//! Nodes that do not share the secret never connect, and each says so in its log.

use ractor_session::cluster::Cluster;
use ractor_session_test_support::logs::Logs;
use ractor_session_test_support::poll::eventually;
use tracing::Level;

use crate::support::{durable_manager, node};

#[tokio::test]
async fn nodes_with_different_secrets_refuse_each_other_with_a_clear_log_line() {
    // One thread: the capture sees what every task logs.
    let (logs, _guard) = Logs::capture(Level::WARN);
    let (first, second) = (
        durable_manager("secret-a").await,
        durable_manager("secret-b").await,
    );
    let a = node("node-a", "the first secret, 16+ bytes");
    let b = node("node-b", "another secret, also 16+ bytes").with_peer(a.listen.to_string());
    let a = Cluster::builder(a).join(&first).await.unwrap();
    let b = Cluster::builder(b).join(&second).await.unwrap();

    eventually("both sides log the refusal", || {
        let text = logs.text();
        async move {
            let refusals = text
                .lines()
                .filter(|line| line.contains("cluster connection refused"))
                .collect::<Vec<_>>();
            refusals.iter().any(|line| line.contains("node-a@"))
                && refusals.iter().any(|line| line.contains("node-b@"))
        }
    })
    .await;
    let text = logs.text();
    assert!(text.contains("shared-secret"), "{text}");
    assert!(!text.contains("16+ bytes"), "a secret was logged: {text}");
    // Retried every second, yet said once per peer.
    let refusals = text.matches("cluster connection refused").count();
    assert!(refusals <= 2, "{refusals} refusals logged:\n{text}");
    assert!(!text.contains("cluster peer connected"));
    assert_eq!(a.members(), ["node-a"]);
    assert_eq!(b.members(), ["node-b"]);

    a.leave().await;
    b.leave().await;
    first.shutdown().await;
    second.shutdown().await;
}
