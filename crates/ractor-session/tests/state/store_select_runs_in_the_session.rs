//! Server-side select: the selector runs inside the store session, in turn with its other
//! messages, and only the selected value comes back; the caller keeps no hold on the state.

use std::sync::Arc;

use ractor_session::store::{Store, StoreSessions};
use ractor_session::{SessionId, SessionManager, current_session_id};
use ractor_session_test_support::config::config;

#[derive(Clone, Debug, Default, PartialEq)]
struct Cart {
    items: Vec<String>,
}

fn cart_store() -> Store<Cart, String> {
    Store::new(Cart::default(), |cart: &Cart, item: &String| Cart {
        items: [cart.items.as_slice(), std::slice::from_ref(item)].concat(),
    })
    .with_history_limit(0)
}

#[tokio::test]
async fn a_selector_runs_inside_the_session_after_the_actions_sent_before_it() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let carts = StoreSessions::new(manager.clone());
    let cart = carts.start("visitor", cart_store()).await.unwrap();
    for item in ["apple", "pear", "plum"] {
        cart.cast(item.to_owned()).unwrap();
    }
    let (count, ran_in) = cart
        .select(|cart: &Cart| (cart.items.len(), current_session_id()))
        .await
        .unwrap();
    assert_eq!(count, 3, "it saw every action cast before it");
    assert_eq!(ran_in, Some(SessionId::parse("visitor").unwrap()));
    assert!(current_session_id().is_none(), "and not here");
    manager.shutdown().await;
}

#[tokio::test]
async fn a_select_leaves_no_hold_on_the_state_outside_the_session() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let cart = StoreSessions::new(manager.clone())
        .start("visitor", cart_store())
        .await
        .unwrap();
    cart.dispatch("apple".to_owned()).await.unwrap();
    // References to the current state besides the store's own (the history keeps none).
    let held_outside = || {
        cart.run(|store| {
            let state = store.shared_state();
            Arc::strong_count(&state) - 2
        })
    };

    let first: String = cart
        .select(|cart: &Cart| cart.items[0].clone())
        .await
        .unwrap();
    assert_eq!(first, "apple");
    assert_eq!(held_outside().await.unwrap(), 0);

    // Unlike reading the whole state, which hands out a reference to it.
    let whole = cart.state().await.unwrap();
    assert_eq!(held_outside().await.unwrap(), 1);
    drop(whole);
    manager.shutdown().await;
}
