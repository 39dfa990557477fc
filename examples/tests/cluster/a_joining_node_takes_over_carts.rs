//! A node joins a cluster under load: the carts it now owns are handed over to it (written
//! and stopped on their old node, revived on the new one) without losing an acknowledged
//! change, and no cart is ever active on two nodes at once.

use crate::load::Load;
use crate::nodes::{FENCED, LIVE, Nodes};
use crate::shopper::Shopper;

/// Carts under load. With four nodes, each cart moves to the new one with odds of 1 in 4:
/// with this many, none moving has odds of (3/4)^32, about 1 in 10,000.
const CARTS: usize = 32;

/// Acknowledged adds each worker makes before the join, and again after it.
const ACKS: u64 = 3;

/// Distinct items in each cart.
const ITEMS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_joining_under_load_takes_over_sessions_without_losing_updates() {
    let Some(mut nodes) = Nodes::start(3, &["--write-through"]) else {
        return;
    };
    nodes.formed().await;
    let first: Vec<_> = nodes.iter().map(|node| node.at.clone()).collect();

    // Each cart started on a node in turn, then changed through every one of the three.
    let mut load = Load::default();
    for c in 0..CARTS {
        let shopper = Shopper::new();
        shopper.visit(&first[c % first.len()]).await;
        let mut targets = first.clone();
        targets.rotate_left(c % first.len());
        let items = (0..ITEMS).map(|i| format!("item{i}")).collect();
        load.start(&shopper, targets, items);
    }
    load.until("every cart's adds are acknowledged", |acks| {
        acks.iter().all(|&n| n >= ACKS)
    })
    .await;

    let joined = nodes.add(0).await;
    nodes.formed().await;
    let before = load.acks();
    load.until("every cart takes adds after the new node joined", |acks| {
        acks.iter()
            .zip(&before)
            .all(|(now, then)| *now >= then + ACKS)
    })
    .await;
    let finished = load.stop().await;

    for worker in &finished {
        worker.assert_same_session();
        for node in nodes.iter() {
            let cart = worker.shopper.cart(&node.at).await;
            worker.tally.assert_kept(&cart, &node.at.name);
        }
    }
    let mut live = Vec::new();
    let mut fenced = 0;
    for node in nodes.iter() {
        live.push(node.metric(LIVE).await);
        fenced += node.metric(FENCED).await;
    }
    assert!(
        live[joined] > 0,
        "some carts moved to the new node; live carts by node: {live:?}"
    );
    assert_eq!(
        live.iter().sum::<u64>(),
        CARTS as u64,
        "each cart is active on one node, none left behind on its old node; live carts by \
         node: {live:?}"
    );
    assert_eq!(
        fenced, 0,
        "no write of one activation of a cart was refused for another's newer epoch"
    );
    let refusals: Vec<_> = finished.iter().flat_map(|f| &f.tally.refusals).collect();
    eprintln!(
        "join: live carts by node {live:?}; {} adds refused during the handover: {refusals:?}",
        refusals.len()
    );
}
