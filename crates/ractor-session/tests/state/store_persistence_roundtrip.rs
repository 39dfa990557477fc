//! Snapshot → serialize → deserialize → restore round-trips the state and the history, for
//! random action sequences (including transformed, short-circuited and rejected actions)
//! and random history limits.

use proptest::prelude::*;
use ractor_session::store::{Origin, Step, Store, StoreError, StoreSnapshot, Validate};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Action {
    Add(i64),
    Remove(usize),
    Clear,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Cart {
    items: Vec<i64>,
    total: i64,
}

fn reducer(cart: &Cart, action: &Action) -> Cart {
    let mut cart = cart.clone();
    match action {
        Action::Add(price) => {
            cart.items.push(*price);
            cart.total += price;
        }
        Action::Remove(index) => {
            if *index < cart.items.len() {
                cart.total -= cart.items.remove(*index);
            }
        }
        Action::Clear => unreachable!("short-circuited"),
    }
    cart
}

fn store(limit: usize) -> Store<Cart, Action> {
    Store::new(Cart::default(), reducer)
        .with_middleware(Validate::new(|action: &Action, _: &Cart| match action {
            Action::Add(price) if *price < 0 => Err("negative price"),
            _ => Ok(()),
        }))
        .with_middleware(|action: &Action, _: &Cart| match action {
            Action::Clear => Step::ShortCircuit(Cart::default()),
            Action::Add(price) if *price > 50 => Step::Transform(Action::Add(50)),
            _ => Step::Next,
        })
        .with_history_limit(limit)
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (-10_i64..100).prop_map(Action::Add),
        2 => (0_usize..6).prop_map(Action::Remove),
        1 => Just(Action::Clear),
    ]
}

/// Everything observable about a store's state and history.
type Row = (u64, Action, Cart, Cart, std::time::SystemTime, Origin);

fn observe(store: &Store<Cart, Action>) -> (Cart, u64, Vec<Row>) {
    let rows = store
        .history()
        .iter()
        .map(|e| {
            (
                e.seq(),
                e.action().clone(),
                e.previous().clone(),
                e.state().clone(),
                e.timestamp(),
                e.origin(),
            )
        })
        .collect();
    (store.state().clone(), store.seq(), rows)
}

proptest! {
    #[test]
    fn snapshot_restore_round_trips_state_and_history(
        actions in prop::collection::vec(action(), 0..40),
        limit in 0_usize..12,
        next in action(),
    ) {
        let mut original = store(limit);
        for action in actions {
            match original.dispatch(action) {
                Ok(_) | Err(StoreError::Rejected { .. }) => {}
                Err(other) => panic!("unexpected {other}"),
            }
        }

        let json = serde_json::to_string(&original.snapshot()).unwrap();
        let decoded: StoreSnapshot<Cart, Action> = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&decoded, &original.snapshot());

        let mut restored = store(limit);
        restored.dispatch(Action::Add(1)).unwrap(); // whatever was there is replaced
        restored.restore(decoded).unwrap();
        prop_assert_eq!(observe(&restored), observe(&original));

        // Time travel reaches the same states.
        let oldest = original.history().oldest().map_or(original.seq(), |e| e.seq() - 1);
        for seq in oldest..=original.seq() {
            prop_assert_eq!(restored.state_at(seq).unwrap(), original.state_at(seq).unwrap());
        }
        prop_assert!(restored.state_at(original.seq() + 1).is_err());

        // And both carry on alike.
        let a = original.dispatch(next.clone()).cloned().map_err(|e| e.to_string());
        let b = restored.dispatch(next).cloned().map_err(|e| e.to_string());
        prop_assert_eq!(a, b);
        prop_assert_eq!(restored.seq(), original.seq());
    }
}

#[test]
fn a_snapshot_with_a_gap_in_its_history_is_refused() {
    let mut original = store(10);
    for price in [1, 2, 3] {
        original.dispatch(Action::Add(price)).unwrap();
    }
    let mut json = serde_json::to_value(original.snapshot()).unwrap();
    json["history"][1]["seq"] = 7.into();
    let tampered: StoreSnapshot<Cart, Action> = serde_json::from_value(json).unwrap();

    let mut target = store(10);
    target.dispatch(Action::Add(9)).unwrap();
    let err = target.restore(tampered).unwrap_err();
    assert!(matches!(err, StoreError::InvalidSnapshot(_)), "{err}");
    assert!(
        err.to_string().contains("numbered 7 where 2 was expected"),
        "{err}"
    );
    assert_eq!(
        target.state().total,
        9,
        "a refused snapshot leaves the store alone"
    );
}

#[test]
fn a_malformed_snapshot_is_a_serde_error_not_a_panic() {
    let result = serde_json::from_str::<StoreSnapshot<Cart, Action>>(r#"{"seq": "three"}"#);
    assert!(result.is_err());
}
