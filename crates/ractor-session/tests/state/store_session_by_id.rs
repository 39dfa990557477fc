//! A store session is found or started by session ID, and reached through its handle:
//! dispatch, cast and read state, time travel, persistence and subscriptions from outside,
//! all in turn with the session's other messages.

use std::sync::Arc;

use ractor_session::store::{
    Store, StoreError, StoreHandle, StoreSessions, Subscription, Validate,
};
use ractor_session::{SessionError, SessionManager};
use ractor_session_test_support::config::config;
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
async fn dispatch_cast_and_read_by_session_id() {
    let (manager, carts) = setup().await;
    carts.start("alice", cart_store()).await.unwrap();
    carts.start("bob", cart_store()).await.unwrap();

    let alice = carts.get("alice").await.unwrap();
    let after = alice.dispatch(add("apple", 3)).await.unwrap();
    assert_eq!(after.total, 3);
    alice.cast(add("pear", 4)).unwrap();
    carts
        .get("bob")
        .await
        .unwrap()
        .dispatch(add("plum", 10))
        .await
        .unwrap();

    let cart = carts.get("alice").await.unwrap().state().await.unwrap();
    assert_eq!(cart.items, ["apple", "pear"]);
    assert_eq!(cart.total, 7);
    assert_eq!(
        carts.get("bob").await.unwrap().state().await.unwrap().total,
        10
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn history_time_travel_and_reset_run_in_the_session() {
    let (manager, carts) = setup().await;
    let cart = carts.start("s1", cart_store()).await.unwrap();
    for (sku, price) in [("a", 1), ("b", 2), ("c", 3)] {
        cart.dispatch(add(sku, price)).await.unwrap();
    }
    let actions: Vec<CartAction> = cart
        .run(|store| store.history().iter().map(|e| e.action().clone()).collect())
        .await
        .unwrap();
    assert_eq!(actions, [add("c", 3), add("b", 2), add("a", 1)]);
    assert_eq!(
        cart.run(|store| store.state_at(2))
            .await
            .unwrap()
            .unwrap()
            .total,
        3
    );
    assert!(matches!(
        cart.run(|store| store.state_at(4)).await.unwrap(),
        Err(StoreError::OutOfRange { .. })
    ));

    cart.run(Store::reset).await.unwrap();
    assert_eq!(*cart.state().await.unwrap(), Cart::default());
    manager.shutdown().await;
}

#[tokio::test]
async fn a_snapshot_moves_a_cart_from_one_session_to_another() {
    let (manager, carts) = setup().await;
    let before = carts.start("before-login", cart_store()).await.unwrap();
    before.dispatch(add("apple", 3)).await.unwrap();
    before
        .dispatch(CartAction::SetCoupon("SAVE".into()))
        .await
        .unwrap();
    let json = serde_json::to_string(&before.run(|store| store.snapshot()).await.unwrap()).unwrap();

    let after = carts.start("after-login", cart_store()).await.unwrap();
    let snapshot = serde_json::from_str(&json).unwrap();
    after
        .run(move |store| store.restore(snapshot))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.state().await.unwrap(), before.state().await.unwrap());
    assert_eq!(after.run(|store| store.history().len()).await.unwrap(), 2);
    manager.shutdown().await;
}

async fn subscribe<T>(
    cart: &StoreHandle<Cart, CartAction>,
    select: impl Fn(&Cart) -> T + Send + Sync + 'static,
) -> Subscription<T>
where
    T: PartialEq + Send + Sync + 'static,
{
    cart.run(|store| store.subscribe(select))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn subscribe_from_outside_sees_only_changes_of_its_selection() {
    let (manager, carts) = setup().await;
    let cart = carts.start("s1", cart_store()).await.unwrap();
    cart.dispatch(add("apple", 3)).await.unwrap();

    let mut total = subscribe(&cart, |c: &Cart| c.total).await;
    assert_eq!(total.current(), 3, "the current value at once");

    // Another handle (e.g. another request) changes the coupon: the total stays.
    let other = carts.get("s1").await.unwrap();
    other
        .dispatch(CartAction::SetCoupon("SAVE".into()))
        .await
        .unwrap();
    assert!(!total.has_changed());

    other.dispatch(add("pear", 4)).await.unwrap();
    assert_eq!(total.changed().await, Some(7));

    // A subscriber dropped from outside is pruned without error.
    drop(subscribe(&cart, |c: &Cart| c.items.len()).await);
    cart.dispatch(add("plum", 1)).await.unwrap();
    assert_eq!(cart.run(|s| s.subscriber_count()).await.unwrap(), 1);

    // After unsubscribing, nothing more arrives.
    let id = total.id();
    assert!(cart.run(move |s| s.unsubscribe(id)).await.unwrap());
    cart.dispatch(add("fig", 2)).await.unwrap();
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
    let cart = carts.start("s1", cart_store()).await.unwrap();
    let mut total = subscribe(&cart, |c: &Cart| c.total).await;
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
                        .get("shared")
                        .await
                        .unwrap()
                        .dispatch(add(&format!("item-{i}-{j}"), 1))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let shared = carts.get("shared").await.unwrap();
    let cart = shared.state().await.unwrap();
    assert_eq!((cart.items.len(), cart.total), (500, 500));
    assert_eq!(shared.run(|s| s.seq()).await.unwrap(), 500);
    manager.shutdown().await;
}

#[tokio::test]
async fn get_or_start_starts_once_and_then_returns_the_live_store() {
    let (manager, carts) = setup().await;
    let first = carts.get_or_start("s1", cart_store).await.unwrap();
    first.dispatch(add("apple", 3)).await.unwrap();
    let again = carts
        .get_or_start("s1", || panic!("must not build a second store"))
        .await
        .unwrap();
    assert_eq!(again.state().await.unwrap().total, 3);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_rejected_action_is_an_error_and_the_session_carries_on() {
    let (manager, carts) = setup().await;
    let cart = carts.start("s1", cart_store()).await.unwrap();
    cart.dispatch(add("apple", 3)).await.unwrap();
    let err = cart.dispatch(add("ghost", 0)).await.unwrap_err();
    assert_eq!(err.to_string(), "Action rejected: ghost has no price");
    // A refused cast is dropped quietly; the session stays up.
    cart.cast(add("ghost", 0)).unwrap();
    assert_eq!(cart.state().await.unwrap().total, 3);
    assert!(manager.is_started("s1"));
    manager.shutdown().await;
}

#[tokio::test]
async fn a_handle_follows_its_session_through_rotation_and_ends_with_it() {
    let (manager, carts) = setup().await;
    let cart = carts.start("before", cart_store()).await.unwrap();
    let rotated = manager.rotate("before").await.unwrap();
    assert_eq!(cart.session().id(), rotated);
    assert_eq!(cart.dispatch(add("apple", 3)).await.unwrap().total, 3);

    manager.terminate(&rotated).await.unwrap();
    // A new session under the same ID is not the one the handle was for.
    carts.start(&rotated, cart_store()).await.unwrap();
    assert!(matches!(
        cart.cast(add("pear", 4)),
        Err(StoreError::Session(SessionError::SessionNotFound { .. }))
    ));
    let fresh = carts.get(&rotated).await.unwrap().state().await.unwrap();
    assert_eq!(fresh.total, 0);
    manager.shutdown().await;
}

#[tokio::test]
async fn bad_ids_and_wrong_session_types_are_typed_errors() {
    let (manager, carts) = setup().await;
    manager.start("kv").await.unwrap();

    let invalid = carts.start("not valid!", cart_store()).await.unwrap_err();
    assert!(
        matches!(
            invalid,
            StoreError::Session(SessionError::InvalidSessionId(_))
        ),
        "{invalid:?}"
    );
    let missing = carts.get("nobody").await.unwrap_err();
    assert!(
        matches!(
            missing,
            StoreError::Session(SessionError::SessionNotFound { .. })
        ),
        "{missing:?}"
    );
    let wrong = carts.get("kv").await.unwrap_err();
    assert!(
        matches!(
            wrong,
            StoreError::Session(SessionError::WrongSessionType { .. })
        ),
        "{wrong:?}"
    );
    assert!(matches!(
        carts.get_or_start("kv", cart_store).await,
        Err(StoreError::Session(SessionError::WrongSessionType { .. }))
    ));
    // A handle made from a session of another type fails at its first use.
    let unchecked = StoreHandle::<Cart, CartAction>::new(manager.session("kv").unwrap());
    assert!(matches!(
        unchecked.cast(add("a", 1)),
        Err(StoreError::Session(SessionError::WrongSessionType { .. }))
    ));
    // A store session of other types is a wrong type too.
    let numbers = StoreSessions::<u32, u32>::new(manager.clone());
    numbers
        .start("numbers", Store::new(0, |n: &u32, k: &u32| n + k))
        .await
        .unwrap();
    assert!(matches!(
        carts.get("numbers").await,
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
    assert_send_sync::<StoreHandle<Cart, CartAction>>();
    assert_send_sync::<Subscription<Arc<Cart>>>();
}
