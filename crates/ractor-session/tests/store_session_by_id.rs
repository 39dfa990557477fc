//! Acceptance 6 (first part): a store session is reached by session ID through the
//! manager — dispatch, read and select state, time travel, persistence — and subscribed to
//! from outside.

mod common;

use std::sync::Arc;

use common::config;
use ractor_session::{SessionError, SessionManager, Store, StoreError, StoreSessions, Validate};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum CartAction {
    Add { sku: String, price: u32 },
    SetCoupon(String),
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Cart {
    items: Vec<String>,
    total: u32,
    coupon: Option<String>,
}

fn cart_store() -> Store<Cart, CartAction> {
    Store::new(Cart::default(), |cart: &Cart, action: &CartAction| {
        let mut cart = cart.clone();
        match action {
            CartAction::Add { sku, price } => {
                cart.items.push(sku.clone());
                cart.total += price;
            }
            CartAction::SetCoupon(code) => cart.coupon = Some(code.clone()),
        }
        cart
    })
    .with_middleware(Validate::new(
        |action: &CartAction, _: &Cart| match action {
            CartAction::Add { price: 0, sku } => Err(format!("{sku} has no price")),
            _ => Ok(()),
        },
    ))
}

fn add(sku: &str, price: u32) -> CartAction {
    CartAction::Add {
        sku: sku.to_owned(),
        price,
    }
}

async fn setup() -> (SessionManager, StoreSessions<Cart, CartAction>) {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let carts = StoreSessions::new(manager.clone());
    (manager, carts)
}

#[tokio::test]
async fn dispatch_read_and_select_by_session_id() {
    let (manager, carts) = setup().await;
    carts.start("alice", cart_store()).await.unwrap();
    carts.start("bob", cart_store()).await.unwrap();

    let after = carts.dispatch("alice", add("apple", 3)).await.unwrap();
    assert_eq!(after.total, 3);
    carts.send("alice", add("pear", 4)).unwrap();
    carts.dispatch("bob", add("plum", 10)).await.unwrap();

    let alice = carts.state("alice").await.unwrap();
    assert_eq!(alice.items, ["apple", "pear"]);
    assert_eq!(alice.total, 7);
    assert_eq!(carts.select("bob", |c: &Cart| c.total).await.unwrap(), 10);
    assert_eq!(
        carts
            .select("alice", |c: &Cart| c.items.len())
            .await
            .unwrap(),
        2
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn history_time_travel_and_reset_by_session_id() {
    let (manager, carts) = setup().await;
    carts.start("s1", cart_store()).await.unwrap();
    for (sku, price) in [("a", 1), ("b", 2), ("c", 3)] {
        carts.dispatch("s1", add(sku, price)).await.unwrap();
    }
    let history = carts.history("s1").await.unwrap();
    let actions: Vec<&CartAction> = history.iter().map(|e| e.action()).collect();
    assert_eq!(actions, [&add("c", 3), &add("b", 2), &add("a", 1)]);
    assert_eq!(carts.state_at("s1", 2).await.unwrap().total, 3);
    assert!(matches!(
        carts.state_at("s1", 4).await,
        Err(StoreError::OutOfRange { .. })
    ));

    carts.reset("s1").await.unwrap();
    assert_eq!(*carts.state("s1").await.unwrap(), Cart::default());
    manager.shutdown().await;
}

#[tokio::test]
async fn a_snapshot_moves_a_cart_from_one_session_to_another() {
    let (manager, carts) = setup().await;
    carts.start("before-login", cart_store()).await.unwrap();
    carts
        .dispatch("before-login", add("apple", 3))
        .await
        .unwrap();
    carts
        .dispatch("before-login", CartAction::SetCoupon("SAVE".into()))
        .await
        .unwrap();
    let json = serde_json::to_string(&carts.snapshot("before-login").await.unwrap()).unwrap();

    carts.start("after-login", cart_store()).await.unwrap();
    carts
        .restore("after-login", serde_json::from_str(&json).unwrap())
        .await
        .unwrap();
    assert_eq!(
        carts.state("after-login").await.unwrap(),
        carts.state("before-login").await.unwrap()
    );
    assert_eq!(carts.history("after-login").await.unwrap().len(), 2);
    manager.shutdown().await;
}

#[tokio::test]
async fn subscribe_from_outside_sees_only_changes_of_its_selection() {
    let (manager, carts) = setup().await;
    carts.start("s1", cart_store()).await.unwrap();
    carts.dispatch("s1", add("apple", 3)).await.unwrap();

    let mut total = carts.subscribe("s1", |c: &Cart| c.total).await.unwrap();
    assert_eq!(total.current(), 3, "the current value at once");

    // Another handle (e.g. another request) changes the coupon: the total stays.
    let other = carts.clone();
    other
        .dispatch("s1", CartAction::SetCoupon("SAVE".into()))
        .await
        .unwrap();
    assert!(!total.has_changed());

    other.dispatch("s1", add("pear", 4)).await.unwrap();
    assert_eq!(total.changed().await, Some(7));

    // A subscriber dropped from outside is pruned without error.
    let dropped = carts
        .subscribe("s1", |c: &Cart| c.items.len())
        .await
        .unwrap();
    drop(dropped);
    carts.dispatch("s1", add("plum", 1)).await.unwrap();
    assert_eq!(carts.run("s1", |s| s.subscriber_count()).await.unwrap(), 1);

    // After unsubscribing, nothing more arrives.
    assert!(carts.unsubscribe("s1", total.id()).await.unwrap());
    carts.dispatch("s1", add("fig", 2)).await.unwrap();
    assert_eq!(
        total.changed().await,
        Some(8),
        "the change before unsubscribing"
    );
    assert_eq!(total.changed().await, None);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_subscription_ends_when_its_session_ends() {
    let (manager, carts) = setup().await;
    carts.start("s1", cart_store()).await.unwrap();
    let mut total = carts.subscribe("s1", |c: &Cart| c.total).await.unwrap();
    manager.terminate("s1").await.unwrap();
    assert_eq!(total.changed().await, None);
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatches_from_many_tasks_are_serialized_and_none_is_lost() {
    let (manager, carts) = setup().await;
    carts.start("shared", cart_store()).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let carts = carts.clone();
            tokio::spawn(async move {
                for j in 0..10 {
                    carts
                        .dispatch("shared", add(&format!("item-{i}-{j}"), 1))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let cart = carts.state("shared").await.unwrap();
    assert_eq!((cart.items.len(), cart.total), (500, 500));
    assert_eq!(carts.run("shared", |s| s.seq()).await.unwrap(), 500);
    manager.shutdown().await;
}

#[tokio::test]
async fn get_or_start_starts_once_and_then_returns_the_live_store() {
    let (manager, carts) = setup().await;
    carts.get_or_start("s1", cart_store).await.unwrap();
    carts.dispatch("s1", add("apple", 3)).await.unwrap();
    carts
        .get_or_start("s1", || panic!("must not build a second store"))
        .await
        .unwrap();
    assert_eq!(carts.state("s1").await.unwrap().total, 3);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_rejected_action_is_an_error_and_the_session_carries_on() {
    let (manager, carts) = setup().await;
    carts.start("s1", cart_store()).await.unwrap();
    carts.dispatch("s1", add("apple", 3)).await.unwrap();
    let err = carts.dispatch("s1", add("ghost", 0)).await.unwrap_err();
    assert_eq!(err.to_string(), "Action rejected: ghost has no price");
    // A refused cast is dropped quietly; the session stays up.
    carts.send("s1", add("ghost", 0)).unwrap();
    assert_eq!(carts.state("s1").await.unwrap().total, 3);
    assert!(manager.is_started("s1"));
    manager.shutdown().await;
}

#[tokio::test]
async fn bad_ids_and_wrong_session_types_are_typed_errors() {
    let (manager, carts) = setup().await;
    manager.start("kv").await.unwrap();

    let invalid = carts.dispatch("not valid!", add("a", 1)).await.unwrap_err();
    assert!(
        matches!(
            invalid,
            StoreError::Session(SessionError::InvalidSessionId(_))
        ),
        "{invalid:?}"
    );
    let missing = carts.state("nobody").await.unwrap_err();
    assert!(
        matches!(
            missing,
            StoreError::Session(SessionError::SessionNotFound { .. })
        ),
        "{missing:?}"
    );
    let wrong = carts.send("kv", add("a", 1)).unwrap_err();
    assert!(
        matches!(
            wrong,
            StoreError::Session(SessionError::WrongSessionType { .. })
        ),
        "{wrong:?}"
    );
    // A store session of other types is a wrong type too.
    let numbers = StoreSessions::<u32, u32>::new(manager.clone());
    numbers
        .start("numbers", Store::new(0, |n: &u32, k: &u32| n + k))
        .await
        .unwrap();
    assert!(matches!(
        carts.state("numbers").await,
        Err(StoreError::Session(SessionError::WrongSessionType { .. }))
    ));
    assert!(matches!(
        carts.start("kv", cart_store()).await,
        Err(StoreError::Session(SessionError::AlreadyStarted { .. }))
    ));
    manager.shutdown().await;
}

#[test]
fn handles_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<StoreSessions<Cart, CartAction>>();
    assert_send_sync::<ractor_session::Subscription<Arc<Cart>>>();
}
