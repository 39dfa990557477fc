//! Five dispatches with a history limit of 3 leave the last three in the history, newest
//! first, each with its action, previous state, new state and timestamp.

use std::time::SystemTime;

use ractor_session::store::{Origin, Store};

fn append_store(limit: usize) -> Store<String, char> {
    Store::new(String::new(), |s: &String, c: &char| format!("{s}{c}")).with_history_limit(limit)
}

#[test]
fn five_dispatches_with_limit_three_keep_the_last_three_newest_first() {
    let before = SystemTime::now();
    let mut store = append_store(3);
    for c in ['a', 'b', 'c', 'd', 'e'] {
        store.dispatch(c).unwrap();
    }
    let after = SystemTime::now();

    let history = store.history();
    assert_eq!(history.len(), 3);
    let rows: Vec<(u64, char, &str, &str)> = history
        .iter()
        .map(|e| {
            (
                e.seq(),
                *e.action(),
                e.previous().as_str(),
                e.state().as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (5, 'e', "abcd", "abcde"),
            (4, 'd', "abc", "abcd"),
            (3, 'c', "ab", "abc"),
        ]
    );
    assert_eq!(store.history().newest().unwrap().action(), &'e');
    assert_eq!(store.history().oldest().unwrap().action(), &'c');

    // Timestamps are real wall-clock times, newest first.
    let stamps: Vec<SystemTime> = history.iter().map(|e| e.timestamp()).collect();
    assert!(stamps.windows(2).all(|w| w[0] >= w[1]), "{stamps:?}");
    assert!(stamps.iter().all(|t| *t >= before && *t <= after));
    assert!(history.iter().all(|e| e.origin() == Origin::Reduced));
}

#[test]
fn fewer_dispatches_than_the_limit_keep_them_all() {
    let mut store = append_store(3);
    store.dispatch('a').unwrap();
    store.dispatch('b').unwrap();
    let actions: Vec<char> = store.history().iter().map(|e| *e.action()).collect();
    assert_eq!(actions, ['b', 'a']);
}

#[test]
fn a_zero_limit_keeps_no_history_but_still_applies_actions() {
    let mut store = append_store(0);
    store.dispatch('a').unwrap();
    assert!(store.history().is_empty());
    assert_eq!(store.state(), "a");
    assert_eq!(store.seq(), 1);
}

#[test]
fn the_default_limit_is_one_hundred() {
    let mut store = Store::new(0_u32, |n: &u32, add: &u32| n + add);
    for _ in 0..150 {
        store.dispatch(1).unwrap();
    }
    assert_eq!(store.history().limit(), 100);
    assert_eq!(store.history().len(), 100);
    assert_eq!(store.history().oldest().unwrap().seq(), 51);
}

#[test]
fn reset_clears_the_history_and_restarts_numbering() {
    let mut store = append_store(3);
    store.dispatch('a').unwrap();
    store.dispatch('b').unwrap();
    store.reset();
    assert!(store.history().is_empty());
    assert_eq!((store.state().as_str(), store.seq()), ("", 0));
    store.dispatch('z').unwrap();
    assert_eq!(store.history().newest().unwrap().seq(), 1);
    assert_eq!(store.history().newest().unwrap().previous(), "");
}
