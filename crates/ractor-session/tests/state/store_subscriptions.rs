//! A subscriber gets the current selected value at once, is told when a dispatch changes
//! its selected value and not when an unrelated part changes, hears nothing after
//! unsubscribing, and a dropped subscriber is pruned without error.

use ractor_session::store::Store;

#[derive(Clone, Debug, Default, PartialEq)]
struct Page {
    cart: Vec<&'static str>,
    theme: &'static str,
}

#[derive(Clone, Debug)]
enum Action {
    AddToCart(&'static str),
    SetTheme(&'static str),
}

fn page_store() -> Store<Page, Action> {
    Store::new(
        Page {
            cart: vec!["apple"],
            theme: "light",
        },
        |page: &Page, action: &Action| {
            let mut page = page.clone();
            match action {
                Action::AddToCart(item) => page.cart.push(item),
                Action::SetTheme(theme) => page.theme = theme,
            }
            page
        },
    )
}

#[tokio::test]
async fn a_subscriber_gets_the_current_value_at_once() {
    let mut store = page_store();
    store.dispatch(Action::AddToCart("pear")).unwrap();
    let count = store.subscribe(|p: &Page| p.cart.len()).unwrap();
    assert_eq!(count.current(), 2);
    assert!(
        !count.has_changed(),
        "the value at subscription counts as seen"
    );
}

#[tokio::test]
async fn a_change_of_the_selected_value_notifies_and_an_unrelated_change_does_not() {
    let mut store = page_store();
    let mut count = store.subscribe(|p: &Page| p.cart.len()).unwrap();
    let mut theme = store.subscribe(|p: &Page| p.theme).unwrap();

    store.dispatch(Action::SetTheme("dark")).unwrap();
    assert!(!count.has_changed(), "the cart did not change");
    assert!(theme.has_changed());
    assert_eq!(theme.changed().await, Some("dark"));

    store.dispatch(Action::AddToCart("pear")).unwrap();
    assert!(count.has_changed());
    assert_eq!(count.changed().await, Some(2));
    assert!(!theme.has_changed(), "the theme did not change");

    // Setting the same theme again changes the state but not the selected value.
    store.dispatch(Action::SetTheme("dark")).unwrap();
    assert!(!theme.has_changed());
}

#[tokio::test]
async fn a_slow_subscriber_sees_the_latest_value() {
    let mut store = page_store();
    let mut count = store.subscribe(|p: &Page| p.cart.len()).unwrap();
    for item in ["a", "b", "c"] {
        store.dispatch(Action::AddToCart(item)).unwrap();
    }
    assert_eq!(count.changed().await, Some(4));
    assert!(!count.has_changed());
}

#[tokio::test]
async fn after_unsubscribe_nothing_more_arrives() {
    let mut store = page_store();
    let mut count = store.subscribe(|p: &Page| p.cart.len()).unwrap();
    let other = store.subscribe(|p: &Page| p.cart.len()).unwrap();
    assert!(store.unsubscribe(count.id()));
    assert!(!store.unsubscribe(count.id()), "already gone");
    assert_eq!(store.subscriber_count(), 1);

    store.dispatch(Action::AddToCart("pear")).unwrap();
    assert!(!count.has_changed());
    assert_eq!(count.changed().await, None, "the subscription has ended");
    assert_eq!(count.current(), 1, "the last value stays readable");
    assert!(other.has_changed(), "other subscriptions carry on");
}

#[tokio::test]
async fn a_dropped_subscriber_is_pruned_without_error() {
    let mut store = page_store();
    let dropped = store.subscribe(|p: &Page| p.cart.len()).unwrap();
    let clone = dropped.clone();
    let mut kept = store.subscribe(|p: &Page| p.cart.len()).unwrap();
    drop(dropped);

    // One receiver of the first subscription is still alive: it stays.
    store.dispatch(Action::AddToCart("pear")).unwrap();
    assert_eq!(store.subscriber_count(), 2);
    assert!(clone.has_changed());

    drop(clone);
    store.dispatch(Action::AddToCart("plum")).unwrap();
    assert_eq!(store.subscriber_count(), 1);
    assert_eq!(kept.changed().await, Some(3));
}

#[tokio::test]
async fn reset_and_restore_notify_like_dispatch() {
    let mut store = page_store();
    store.dispatch(Action::AddToCart("pear")).unwrap();
    let saved = store.snapshot();
    let mut count = store.subscribe(|p: &Page| p.cart.len()).unwrap();

    store.reset();
    assert_eq!(count.changed().await, Some(1));
    store.restore(saved).unwrap();
    assert_eq!(count.changed().await, Some(2));
}

#[tokio::test]
async fn dropping_the_store_ends_its_subscriptions() {
    let mut store = page_store();
    let mut count = store.subscribe(|p: &Page| p.cart.len()).unwrap();
    drop(store);
    assert_eq!(count.changed().await, None);
}
