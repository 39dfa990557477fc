//! A shopping cart per session, held in a Redux-style store: dispatch actions by session ID,
//! validate and log them with middleware, watch the total through a subscription, add an item
//! priced by an asynchronous job, read the total with a server-side select, look back through
//! the history and time travel, then save the cart as JSON and restore it into a new session.
//!
//! Run with `cargo run -p ractor-session-examples --example store_cart`.

use ractor_session::store::{Logging, Step, Store, StoreError, StoreSessions, Validate};
use ractor_session::{SessionId, SessionManager};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum CartAction {
    Add { sku: String, cents: u32 },
    Remove { sku: String },
    Clear,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Cart {
    items: Vec<(String, u32)>,
}

impl Cart {
    fn total(&self) -> u32 {
        self.items.iter().map(|(_, cents)| cents).sum()
    }
}

/// The only way a cart changes.
fn reduce(cart: &Cart, action: &CartAction) -> Cart {
    let mut cart = cart.clone();
    match action {
        CartAction::Add { sku, cents } => cart.items.push((sku.clone(), *cents)),
        CartAction::Remove { sku } => cart.items.retain(|(held, _)| held != sku),
        CartAction::Clear => cart.items.clear(),
    }
    cart
}

fn cart_store() -> Store<Cart, CartAction> {
    Store::new(Cart::default(), reduce)
        // First, to log every action, even rejected ones.
        .with_middleware(Logging::new())
        // SKUs are case-insensitive: normalise them before anything else looks.
        .with_middleware(|action: &CartAction, _: &Cart| match action {
            CartAction::Add { sku, cents } if sku.chars().any(char::is_uppercase) => {
                Step::Transform(CartAction::Add {
                    sku: sku.to_lowercase(),
                    cents: *cents,
                })
            }
            _ => Step::Next,
        })
        .with_middleware(Validate::new(
            |action: &CartAction, cart: &Cart| match action {
                CartAction::Add { cents: 0, sku } => Err(format!("{sku} has no price")),
                CartAction::Add { .. } if cart.items.len() >= 10 => {
                    Err("a cart holds ten items at most".to_owned())
                }
                _ => Ok(()),
            },
        ))
        // Clearing an empty cart changes nothing: answer at once with the same state.
        .with_middleware(|action: &CartAction, cart: &Cart| match action {
            CartAction::Clear if cart.items.is_empty() => Step::ShortCircuit(Cart::default()),
            _ => Step::Next,
        })
        .with_history_limit(20)
}

fn add(sku: &str, cents: u32) -> CartAction {
    CartAction::Add {
        sku: sku.to_owned(),
        cents,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
        .with_target(false)
        .init();

    let manager = SessionManager::spawn(Default::default()).await?;
    let carts = StoreSessions::<Cart, CartAction>::new(manager.clone());

    let id = SessionId::generate();
    carts.start(&id, cart_store()).await?;

    // Later, e.g. in a request handler that has the session ID:
    let cart = carts.get(&id).await?;

    // A live view of the total, as a websocket handler would keep one: it wakes only when
    // the total changes, and ends when the session does. Anything a store can do runs in
    // the session with `run`.
    let mut total = cart.run(|store| store.subscribe(Cart::total)).await??;
    println!("total at first: {} cents", total.current());
    let live_view = tokio::spawn(async move {
        while let Some(cents) = total.changed().await {
            println!("  [live] total is now {cents} cents");
        }
        println!("  [live] the session ended");
    });

    cart.dispatch(add("APPLE", 120)).await?;
    cart.dispatch(add("pear", 90)).await?;
    cart.cast(add("plum", 60))?;
    cart.dispatch(CartAction::Remove { sku: "pear".into() })
        .await?;
    match cart.dispatch(add("ghost", 0)).await {
        Err(StoreError::Rejected { reason }) => println!("rejected: {reason}"),
        other => println!("unexpected: {other:?}"),
    }

    // An item whose price comes from elsewhere (a pricing service, in real life): the job
    // runs in the session's runtime and its action is dispatched once it has the price.
    let priced = cart.spawn(|cart: std::sync::Arc<Cart>| async move {
        let cents = if cart.items.len() > 1 { 45 } else { 50 };
        Some(add("kiwi", cents))
    })?;
    println!("pricing job: {:?}", priced.finished().await);

    // Only the total crosses the session's mailbox, not the cart.
    let cents = cart.select(Cart::total).await?;
    println!("total, selected in the session: {cents} cents");

    println!("\nhistory, newest first:");
    let history: Vec<_> = cart
        .run(|store| store.history().iter().cloned().collect())
        .await?;
    for entry in history {
        println!(
            "  #{} {:?}: {} -> {} cents",
            entry.seq(),
            entry.action(),
            entry.previous().total(),
            entry.state().total()
        );
    }
    let after_two = cart.run(|store| store.state_at(2)).await??;
    println!(
        "time travel: after action 2 the cart held {:?}",
        after_two.items
    );

    // Persist the cart (state and history), then bring it back in a fresh session, as after
    // a restart or a login that rotates the session.
    let saved = serde_json::to_string(&cart.run(|store| store.snapshot()).await?)?;
    println!("\nsnapshot: {} bytes of JSON", saved.len());
    manager.terminate(&id).await?;
    live_view.await?;

    let restored = carts.start(SessionId::generate(), cart_store()).await?;
    let snapshot = serde_json::from_str(&saved)?;
    restored.run(|store| store.restore(snapshot)).await??;
    let state = restored.state().await?;
    println!(
        "restored: {:?}, {} cents, {} actions in its history",
        state.items,
        state.total(),
        restored.run(|store| store.history().len()).await?
    );

    manager.shutdown().await;
    Ok(())
}
