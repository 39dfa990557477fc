//! Time travel to k returns exactly the state after action k, by replaying the reducer, and
//! an error when k is out of range. (Returning the initial or the current state whatever k
//! is would fail.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ractor_session::store::{Step, Store, StoreError};

/// Every step changes the state, and the state depends on the order of all actions.
fn step(state: &u64, action: &u64) -> u64 {
    state.wrapping_mul(31).wrapping_add(*action + 1)
}

fn expected_after(actions: &[u64], k: usize) -> u64 {
    actions[..k]
        .iter()
        .fold(7, |state, action| step(&state, action))
}

#[test]
fn state_at_k_is_exactly_the_state_after_action_k() {
    let actions = [3, 1, 4, 1, 5, 9, 2, 6];
    let mut store = Store::new(7_u64, step);
    for a in actions {
        store.dispatch(a).unwrap();
    }
    for k in 0..=actions.len() {
        let seq = u64::try_from(k).unwrap();
        assert_eq!(
            *store.state_at(seq).unwrap(),
            expected_after(&actions, k),
            "state after action {k}"
        );
    }
    // All states differ, so a time travel returning the initial (or current) state fails.
    assert_ne!(*store.state_at(3).unwrap(), 7);
    assert_ne!(*store.state_at(3).unwrap(), *store.state());
}

#[test]
fn out_of_range_is_an_error_naming_the_reachable_range() {
    let mut store = Store::new(7_u64, step).with_history_limit(3);
    for a in 1..=5 {
        store.dispatch(a).unwrap();
    }
    // Actions 3..=5 are held: the states after actions 2..=5 are reachable.
    for k in [0, 1, 6, 100] {
        match store.state_at(k) {
            Err(StoreError::OutOfRange {
                requested,
                available,
            }) => {
                assert_eq!(requested, k);
                assert_eq!(available, 2..=5);
            }
            other => panic!("state_at({k}) gave {other:?}"),
        }
    }
    let actions = [1, 2, 3, 4, 5];
    for k in 2..=5 {
        assert_eq!(
            *store.state_at(k).unwrap(),
            expected_after(&actions, usize::try_from(k).unwrap())
        );
    }
}

#[test]
fn before_any_action_only_the_initial_state_is_reachable() {
    let store = Store::new(7_u64, step);
    assert_eq!(*store.state_at(0).unwrap(), 7);
    assert!(matches!(
        store.state_at(1),
        Err(StoreError::OutOfRange { .. })
    ));
}

#[test]
fn time_travel_replays_the_reducer_and_changes_nothing() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let mut store = Store::new(7_u64, move |s: &u64, a: &u64| {
        counted.fetch_add(1, Ordering::Relaxed);
        step(s, a)
    });
    for a in [10, 20, 30, 40] {
        store.dispatch(a).unwrap();
    }
    let current = *store.state();
    calls.store(0, Ordering::Relaxed);

    assert_eq!(
        *store.state_at(3).unwrap(),
        expected_after(&[10, 20, 30, 40], 3)
    );
    assert_eq!(calls.load(Ordering::Relaxed), 3, "three actions replayed");
    assert_eq!((*store.state(), store.seq()), (current, 4));
    assert_eq!(store.history().len(), 4);
}

#[test]
fn transformed_and_short_circuited_actions_replay_as_they_happened() {
    // A middleware doubles odd actions and short-circuits action 0 to a fixed state.
    let mut store = Store::new(7_u64, step).with_middleware(|a: &u64, _: &u64| match *a {
        0 => Step::ShortCircuit(1_000),
        odd if odd % 2 == 1 => Step::Transform(odd * 2),
        _ => Step::Next,
    });
    let mut expected = vec![7];
    for a in [3, 0, 4, 5] {
        expected.push(*store.dispatch(a).unwrap());
    }
    assert_eq!(expected[2], 1_000);
    for (k, want) in expected.iter().enumerate() {
        let seq = u64::try_from(k).unwrap();
        assert_eq!(
            *store.state_at(seq).unwrap(),
            *want,
            "state after action {k}"
        );
    }
}
