//! The `live_cart` demo run as a cluster of processes on loopback, over a shared PostgreSQL
//! store: any node serves any cart, a killed node's carts come back on the others with
//! every acknowledged change, a joining node takes carts over without losing one, a node
//! with the wrong secret is refused, and a live socket on any node hears its cart and is
//! told to reconnect when the cart's node dies. Built only with the `cluster`, `postgres`
//! and `redis` features (`scripts/test` runs it).
//!
//! A new behaviour of the demo as a cluster goes here, as a module named after the
//! behaviour.

#[path = "../support/mod.rs"]
mod support;

mod load;
mod nodes;
mod shopper;

mod a_joining_node_takes_over_carts;
mod a_killed_owner_fails_over;
mod a_misconfigured_node_refuses_to_start;
mod a_wrong_secret_is_refused;
mod carts_are_shared_by_every_node;
mod live_sockets_on_any_node;
