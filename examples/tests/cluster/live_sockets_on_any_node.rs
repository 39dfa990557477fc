//! A live socket on any node: a socket opened through a node that does not own its cart
//! hears every change the owner makes, wherever the request came in, and the cart's
//! expiry; when the owner dies (`kill -9`) the socket is told to reconnect, not that the
//! cart expired, and a new socket through the same node hears the cart again, revived
//! on a survivor from the store.

use std::time::{Duration, Instant};

use ractor_session_test_support::poll::PATIENCE;
use ractor_session_test_support::ws::{Ws, connect, expect_end, next_frame};
use tokio_tungstenite::tungstenite;

use crate::nodes::{Endpoint, LIVE, Nodes};
use crate::shopper::{Cart, Shopper, items};

/// The idle timeout of the expiry test: short, so that the test waits little for it, yet
/// long enough that the few requests before the wait keep the cart alive.
const SHORT_IDLE_TTL: &str = "3s";

/// Three nodes started with the flags `args`, once they form a cluster, and a shopper with a
/// cart, born on the first node: the nodes, the shopper and the nodes' indices, the cart's
/// owner first; `None` when the cluster tests are skipped.
async fn a_cart_on_three_nodes(args: &[&str]) -> Option<(Nodes, Shopper, [usize; 3])> {
    let nodes = Nodes::start(3, args)?;
    nodes.formed().await;
    let shopper = Shopper::new();
    shopper.visit(&nodes[0].at).await;
    let owner = nodes.owner_of_the_only_session().await;
    Some((nodes, shopper, [owner, (owner + 1) % 3, (owner + 2) % 3]))
}

/// Opens a live socket through `node` with the shopper's cookie, as the page does.
async fn socket(shopper: &Shopper, node: &Endpoint) -> Result<Ws, tungstenite::Error> {
    let url = format!("{}/live", node.url.replacen("http", "ws", 1));
    let cookie = shopper.cookie().expect("a session cookie");
    connect(&url, Some(&cookie), Some(&node.url)).await
}

/// The next event on `ws`, which must be a cart: its items and version.
async fn next_cart(ws: &mut Ws) -> (Cart, u64) {
    let event = next_frame(ws).await.into_text();
    assert_eq!(event["event"], "cart", "expected a cart event, got {event}");
    (items(&event), event["version"].as_u64().expect("a version"))
}

/// Adds `item` through `node` and reads the cart event it causes on `ws`: `expected`
/// at `version`.
async fn add_and_hear(
    shopper: &Shopper,
    (node, item): (&Endpoint, &str),
    ws: &mut Ws,
    (expected, version): (&[(&str, u64)], u64),
) {
    assert_eq!(
        shopper.add(node, item).await,
        200,
        "{item} through {}",
        node.name
    );
    let expected: Cart = expected
        .iter()
        .map(|&(name, quantity)| (name.to_owned(), quantity))
        .collect();
    assert_eq!(
        next_cart(ws).await,
        (expected, version),
        "the push of {item} added through {}",
        node.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_on_another_node_gets_the_owners_pushes_and_its_expiry() {
    let Some((nodes, shopper, [owner, watcher, third])) =
        a_cart_on_three_nodes(&["--idle-ttl", SHORT_IDLE_TTL]).await
    else {
        return;
    };
    let (a, b, c) = (&nodes[owner].at, &nodes[watcher].at, &nodes[third].at);

    let mut ws = socket(&shopper, b)
        .await
        .expect("a socket through a non-owner");
    assert_eq!(
        nodes.owner_of_the_only_session().await,
        owner,
        "the socket watches the cart on its owner, and does not move it"
    );

    // Changes through the owner, the third node and the socket's own node: the owner
    // makes each, and its push crosses to the socket's node.
    add_and_hear(&shopper, (a, "apple"), &mut ws, (&[("apple", 1)], 1)).await;
    let both = [("apple", 1), ("bread", 1)];
    add_and_hear(&shopper, (c, "bread"), &mut ws, (&both, 2)).await;
    let more = [("apple", 2), ("bread", 1)];
    add_and_hear(&shopper, (b, "apple"), &mut ws, (&more, 3)).await;

    // Left alone, the cart expires on its owner, and the socket elsewhere is told so.
    let idle = Instant::now();
    expect_end(&mut ws, "session_expired", 4001).await;
    let expired_after = idle.elapsed();
    assert!(
        shopper.cart(b).await.is_empty(),
        "the expired cart is gone: the cookie now gets a fresh, empty one"
    );
    eprintln!(
        "live socket on {} for a cart owned by {}: three pushes heard; told it expired \
         {expired_after:?} after the last change (idle TTL {SHORT_IDLE_TTL})",
        b.name, a.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_whose_owner_dies_is_told_to_reconnect() {
    let Some((mut nodes, shopper, [owner, watcher, third])) =
        a_cart_on_three_nodes(&["--write-through"]).await
    else {
        return;
    };
    let (b, c) = (nodes[watcher].at.clone(), nodes[third].at.clone());

    let mut ws = socket(&shopper, &b)
        .await
        .expect("a socket through a non-owner");
    let owner_at = nodes[owner].at.clone();
    add_and_hear(
        &shopper,
        (&owner_at, "apple"),
        &mut ws,
        (&[("apple", 1)], 1),
    )
    .await;

    nodes[owner].kill();
    let killed = Instant::now();
    expect_end(&mut ws, "reconnect", 4005).await;
    let told = killed.elapsed();

    // The page reconnects through the same node; the survivors may refuse while they make
    // sure the owner is gone, but the cart comes back with what it had.
    let (mut ws, refusals) = reconnect(&shopper, &b).await;
    let reconnected = killed.elapsed();
    let both = [("apple", 1), ("bread", 1)];
    add_and_hear(&shopper, (&b, "bread"), &mut ws, (&both, 2)).await;
    let all = [("apple", 1), ("bread", 1), ("cheese", 1)];
    add_and_hear(&shopper, (&c, "cheese"), &mut ws, (&all, 3)).await;

    let mut live = Vec::with_capacity(2);
    for node in [&nodes[watcher], &nodes[third]] {
        live.push(node.metric(LIVE).await);
    }
    assert_eq!(
        live.iter().sum::<u64>(),
        1,
        "the cart is active on one survivor; live carts on {} and {}: {live:?}",
        b.name,
        c.name
    );
    let revived_on = if live[0] == 1 { &b.name } else { &c.name };
    eprintln!(
        "owner {} killed: the socket on {} told to reconnect after {told:?}; a new socket \
         accepted after {reconnected:?} ({} upgrades refused meanwhile: {refusals:?}); \
         the cart revived on {revived_on}",
        owner_at.name,
        b.name,
        refusals.len()
    );
}

/// Opens a socket through `node` again, retrying while the node answers the upgrade with
/// a server error (a survivor settling a dead owner's carts); the socket, and the statuses
/// refused meanwhile. Any other refusal, or none accepted within [`PATIENCE`], fails.
async fn reconnect(shopper: &Shopper, node: &Endpoint) -> (Ws, Vec<u16>) {
    let deadline = Instant::now() + PATIENCE;
    let mut refusals = Vec::new();
    loop {
        match socket(shopper, node).await {
            Ok(ws) => return (ws, refusals),
            Err(tungstenite::Error::Http(response)) if response.status().is_server_error() => {
                refusals.push(response.status().as_u16());
            }
            Err(other) => panic!("reconnecting through {}: {other}", node.name),
        }
        assert!(
            Instant::now() < deadline,
            "no socket accepted through {} within {PATIENCE:?}: refused with {refusals:?}",
            node.name
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
