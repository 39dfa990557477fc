//! A node dies (`kill -9`) under load: its carts come back on the other nodes from the
//! store, with every change that was acknowledged (the demo writes through), within a
//! bounded time; requests meanwhile may be refused, but none hangs.

use std::time::Instant;

use crate::load::{Load, Tally};
use crate::nodes::Nodes;
use crate::shopper::Shopper;

/// Acknowledged adds each worker makes before the kill, and again after it.
const ACKS: u64 = 5;

/// Distinct items each worker adds: two workers stay under the cart's 50 items.
const ITEMS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_owner_loses_no_acknowledged_update() {
    let Some(mut nodes) = Nodes::start(3, &["--write-through"]) else {
        return;
    };
    nodes.formed().await;
    let shopper = Shopper::new();
    shopper.visit(&nodes[0].at).await;
    let owner = nodes.owner_of_the_only_session().await;
    let survivors: Vec<usize> = (0..nodes.len()).filter(|&i| i != owner).collect();

    // A worker per survivor, each with items of its own, sending through both survivors.
    let mut load = Load::default();
    for (w, _) in survivors.iter().enumerate() {
        let targets = survivors.iter().map(|&i| nodes[i].at.clone()).collect();
        let items = (0..ITEMS).map(|i| format!("w{w}-item{i}")).collect();
        load.start(&shopper, targets, items);
    }
    load.until(
        "every worker's adds are acknowledged through the owner",
        |acks| acks.iter().all(|&n| n >= ACKS),
    )
    .await;

    nodes[owner].kill();
    let killed = Instant::now();
    let before = load.acks();
    load.until(
        "the cart is served again through every survivor after its owner was killed",
        |acks| {
            acks.iter()
                .zip(&before)
                .all(|(now, then)| *now >= then + ACKS)
        },
    )
    .await;
    let served_again = killed.elapsed();
    let finished = load.stop().await;

    for worker in &finished {
        worker.assert_same_session();
    }
    let tally = Tally::combined(finished.iter().map(|worker| &worker.tally));
    let refusals = &tally.refusals;
    assert!(
        refusals.iter().all(|status| status.is_server_error()),
        "during the failover a request may fail on the server's side only: {refusals:?}"
    );
    for &i in &survivors {
        tally.assert_kept(&shopper.cart(&nodes[i].at).await, &nodes[i].at.name);
    }
    eprintln!(
        "failover: owner {} killed; {ACKS} more adds acknowledged per worker after {served_again:?}; \
         {} adds refused meanwhile: {refusals:?}",
        nodes[owner].at.name,
        refusals.len()
    );
}
