//! A cart per session that survives a restart: a custom actor opts in to durability in a
//! few lines (`impl DurableSession`), a manager keeps it in an SQLite file, and a second
//! manager on the same file — a restarted process — finds the cart on the first use of
//! its ID.
//!
//! Run with `cargo run -p ractor-session-examples --example durable_cart`.

use std::sync::Arc;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::durable::{DurableSession, SqliteStore};
use ractor_session::{
    BoxError, DurabilityConfig, SessionConfig, SessionId, SessionManager, WritePolicy,
};
use serde::{Deserialize, Serialize};

/// The cart session: its state is a list of items.
struct Cart;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Items(Vec<String>);

enum CartMsg {
    Add(String, RpcReplyPort<usize>),
    Items(RpcReplyPort<Vec<String>>),
}

#[cfg(feature = "cluster")]
impl ractor::Message for CartMsg {}

impl Actor for Cart {
    type Msg = CartMsg;
    type State = Items;
    type Arguments = Items;

    async fn pre_start(
        &self,
        _: ActorRef<CartMsg>,
        items: Items,
    ) -> Result<Items, ActorProcessingErr> {
        Ok(items)
    }

    async fn handle(
        &self,
        _: ActorRef<CartMsg>,
        msg: CartMsg,
        items: &mut Items,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            CartMsg::Add(item, reply) => {
                items.0.push(item);
                let _ = reply.send(items.0.len());
            }
            CartMsg::Items(reply) => {
                let _ = reply.send(items.0.clone());
            }
        }
        Ok(())
    }
}

/// The few lines that make the cart durable: its tag in the store, its state as serde
/// sees it, how a stored state becomes the actor's arguments, and which messages change
/// it (reads are not followed by a write).
impl DurableSession for Cart {
    const TYPE_TAG: &'static str = "cart";
    type Snapshot = Items;

    fn snapshot(items: &Items) -> impl Serialize {
        items
    }

    fn restore(&self, items: Items) -> Result<Items, BoxError> {
        Ok(items)
    }

    fn mutates(msg: &CartMsg) -> bool {
        matches!(msg, CartMsg::Add(..))
    }
}

/// A manager on the SQLite file at `path`, as a process would start one.
async fn start(path: &std::path::Path) -> Result<SessionManager, Box<dyn std::error::Error>> {
    let store = Arc::new(SqliteStore::open(path).await?);
    let manager = SessionManager::builder(SessionConfig::default())
        .with_store(store)
        // A call's reply comes once its change is in the file: a crash loses nothing
        // acknowledged. (The default, write-behind, writes every second instead.)
        .with_durability(DurabilityConfig::default().with_write_policy(WritePolicy::WriteThrough))
        .with_durable(|| Cart)
        .spawn()
        .await?;
    Ok(manager)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("durable-cart-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("sessions.db");
    let id = SessionId::generate();

    let first = start(&path).await?;
    first.start_with(&id, Cart, Items::default()).await?;
    for item in ["apple", "pear"] {
        let count = first
            .call(&id, |reply| CartMsg::Add(item.into(), reply))
            .await?;
        println!("added {item}: {count} item(s), stored");
    }
    first.shutdown().await;
    println!("first manager shut down");

    let second = start(&path).await?;
    println!("second manager: {} session(s) in memory", second.count());
    let items = second.call(&id, CartMsg::Items).await?;
    println!("the cart, revived on first use: {items:?}");
    assert_eq!(items, ["apple", "pear"]);
    second.shutdown().await;

    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
