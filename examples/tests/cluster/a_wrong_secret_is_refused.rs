//! A node whose cluster secret differs from the cluster's is refused: neither side counts
//! the other as a member, and both log the refusal in words an operator can act on.

use ractor_session_test_support::poll::eventually;
use ractor_session_test_support::{PostgresServer, free_port};

use crate::nodes::{Node, SECRET};

/// What the log line of a refused cluster connection starts with.
const REFUSED: &str = "cluster connection refused";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_the_wrong_secret_is_refused_with_a_clear_log_line() {
    let Some(postgres) = PostgresServer::shared() else {
        return;
    };
    let store = postgres.create_database();
    let ports = [free_port(), free_port()];
    let member = Node::start("node-1", ports[0], &[], (&store, SECRET), &[]);
    let wrong = "not the cluster's secret at all";
    let stranger = Node::start("node-2", ports[1], &[ports[0]], (&store, wrong), &[]);

    // The refusal line of a node's log, once there is one.
    let refusal = |node: &Node| {
        let output = node.demo.output();
        output
            .lines()
            .find(|line| line.contains(REFUSED))
            .map(str::to_owned)
    };
    eventually("both nodes log the refused connection", || {
        let both = refusal(&member).is_some() && refusal(&stranger).is_some();
        async move { both }
    })
    .await;
    for node in [&member, &stranger] {
        let line = refusal(node).expect("the refusal was logged");
        assert!(
            line.contains("secret"),
            "{}'s refusal names the likely cause, the secret: {line}",
            node.at.name
        );
        assert_eq!(
            node.members().await,
            Some(vec![node.at.name.clone()]),
            "{} counts only itself as a member",
            node.at.name
        );
    }
}
