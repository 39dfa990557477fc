//! A selector that panics, in a select or in a subscription, does not end its store
//! session: the caller gets a typed error, the state is untouched, and the session serves
//! on, its other subscriptions included.

use futures_util::FutureExt as _;
use ractor_session::SessionManager;
use ractor_session::store::{Store, StoreError, StoreHandle, StoreSessions};
use ractor_session_test_support::config::config;

fn cart_store() -> Store<Vec<u32>, u32> {
    Store::new(vec![10], |prices: &Vec<u32>, price: &u32| {
        [prices.as_slice(), &[*price]].concat()
    })
}

async fn setup() -> (SessionManager, StoreHandle<Vec<u32>, u32>) {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let cart = StoreSessions::new(manager.clone())
        .start("visitor", cart_store())
        .await
        .unwrap();
    (manager, cart)
}

fn panic_message(error: StoreError) -> String {
    match error {
        StoreError::SelectorPanicked { message } => message,
        other => panic!("expected SelectorPanicked, got {other:?}"),
    }
}

#[tokio::test]
async fn a_panicking_select_is_a_typed_error_and_the_session_serves_on() {
    let (manager, cart) = setup().await;
    let ended = cart.session().watch();
    let mut total = cart
        .run(|store| store.subscribe(|prices: &Vec<u32>| prices.iter().sum::<u32>()))
        .await
        .unwrap()
        .unwrap();

    let error = cart
        .select(|prices: &Vec<u32>| prices[5])
        .await
        .unwrap_err();
    assert!(panic_message(error).contains("index out of bounds"));

    assert!(ended.now_or_never().is_none(), "the session did not end");
    assert!(manager.is_started("visitor"));
    assert_eq!(*cart.state().await.unwrap(), [10], "the state is untouched");
    cart.dispatch(5).await.unwrap();
    assert_eq!(total.changed().await, Some(15), "subscriptions carry on");
    assert_eq!(cart.select(|prices: &Vec<u32>| prices[1]).await.unwrap(), 5);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_subscription_whose_selector_panics_at_once_is_refused_with_a_typed_error() {
    let (manager, cart) = setup().await;
    let ended = cart.session().watch();
    let refused = cart
        .run(|store| store.subscribe(|prices: &Vec<u32>| prices[3]))
        .await
        .unwrap();
    assert!(panic_message(refused.unwrap_err()).contains("index out of bounds"));
    assert_eq!(cart.run(|store| store.subscriber_count()).await.unwrap(), 0);
    assert!(ended.now_or_never().is_none());
    assert_eq!(*cart.dispatch(1).await.unwrap(), [10, 1]);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_subscription_whose_selector_panics_later_ends_alone() {
    let (manager, cart) = setup().await;
    let ended = cart.session().watch();
    // Fails once the cart holds a third price.
    let mut fragile = cart
        .run(|store| store.subscribe(|prices: &Vec<u32>| prices.get(2).map_or(0, |_| prices[9])))
        .await
        .unwrap()
        .unwrap();
    let mut count = cart
        .run(|store| store.subscribe(Vec::len))
        .await
        .unwrap()
        .unwrap();

    cart.dispatch(1).await.unwrap();
    assert_eq!(count.changed().await, Some(2));
    // This dispatch makes the fragile selector panic; the action is still applied.
    assert_eq!(*cart.dispatch(2).await.unwrap(), [10, 1, 2]);
    assert_eq!(fragile.changed().await, None, "its subscription ended");
    assert!(panic_message(fragile.error().unwrap()).contains("index out of bounds"));
    assert_eq!(count.changed().await, Some(3), "the other one did not");
    assert!(count.error().is_none());
    assert_eq!(cart.run(|store| store.subscriber_count()).await.unwrap(), 1);
    assert!(ended.now_or_never().is_none());
    assert!(manager.is_started("visitor"));
    manager.shutdown().await;
}
