//! Any node serves any cart: a browser's cookie works on every node of the cluster, and
//! what it changes through one node, it sees through the others, however its requests are
//! spread.

use tokio::task::JoinSet;

use crate::nodes::{FORWARDED, MEMBERS, Nodes, SERVED};
use crate::shopper::{Cart, Shopper, one_each};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_changed_through_one_node_is_seen_through_every_node() {
    let Some(nodes) = Nodes::start(3, &[]) else {
        return;
    };
    nodes.formed().await;
    let shopper = Shopper::new();
    shopper.visit(&nodes[0].at).await;
    let cookie = shopper.cookie();

    for item in ["apple", "bread", "cheese"] {
        assert_eq!(shopper.add(&nodes[0].at, item).await, 200, "{item}");
    }
    for node in &nodes[1..] {
        let cart = shopper.cart(&node.at).await;
        assert_eq!(
            cart,
            one_each(&["apple", "bread", "cheese"]),
            "through {}",
            node.at.name
        );
    }

    assert_eq!(shopper.remove(&nodes[1].at, "bread").await, 200);
    for node in [&nodes[2], &nodes[0]] {
        let cart = shopper.cart(&node.at).await;
        assert_eq!(
            cart,
            one_each(&["apple", "cheese"]),
            "through {}",
            node.at.name
        );
    }
    assert_eq!(
        shopper.cookie(),
        cookie,
        "the same session cookie on every node, none set afresh"
    );

    // The cart lives on the node that started it: the others forwarded to it, and it
    // served what they sent (the cluster's metrics, on each node's admin port).
    for node in nodes.iter() {
        assert_eq!(
            node.metric(MEMBERS).await,
            3,
            "members seen by {}",
            node.at.name
        );
    }
    assert_eq!(
        nodes[0].metric(FORWARDED).await,
        0,
        "the owner forwards nothing"
    );
    for node in &nodes[1..] {
        assert!(
            node.metric(FORWARDED).await >= 1,
            "{} forwarded",
            node.at.name
        );
        assert_eq!(
            node.metric(SERVED).await,
            0,
            "{} served for others",
            node.at.name
        );
    }
    // Three reads through the other nodes, and the removal.
    assert!(nodes[0].metric(SERVED).await >= 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_increments_spread_over_three_nodes_lose_nothing() {
    const ADDS: usize = 64;
    let Some(nodes) = Nodes::start(3, &[]) else {
        return;
    };
    nodes.formed().await;
    let shopper = Shopper::new();
    shopper.visit(&nodes[0].at).await;

    let mut adds = JoinSet::new();
    for n in 0..ADDS {
        let (shopper, node) = (shopper.clone(), nodes[n % nodes.len()].at.clone());
        adds.spawn(async move { (node.name.clone(), shopper.add(&node, "apple").await) });
    }
    while let Some(added) = adds.join_next().await {
        let (node, status) = added.expect("the add's task");
        assert_eq!(status, 200, "an add through {node}");
    }

    let expected: Cart = [("apple".to_owned(), ADDS as u64)].into();
    for node in nodes.iter() {
        assert_eq!(
            shopper.cart(&node.at).await,
            expected,
            "through {}",
            node.at.name
        );
    }
}
