//! A middleware that doubles an action, one that short-circuits to a fixed state, and a
//! validation that rejects an invalid action (state and history unchanged); middleware runs
//! in the order it was added (documented on `Store::with_middleware`).

use std::sync::{Arc, Mutex};

use ractor_session::store::{Logging, Origin, Step, Store, StoreError, Validate};

#[derive(Clone, Debug, PartialEq)]
enum Action {
    Add(i64),
    /// Short-circuited by middleware: the reducer must never see it.
    Clear,
}

fn reducer(n: &i64, action: &Action) -> i64 {
    match action {
        Action::Add(k) => n + k,
        Action::Clear => panic!("the reducer must not see Clear: it is short-circuited"),
    }
}

fn double(action: &Action, _: &i64) -> Step<i64, Action> {
    match action {
        Action::Add(k) => Step::Transform(Action::Add(k * 2)),
        Action::Clear => Step::Next,
    }
}

fn clear_to_zero(action: &Action, _: &i64) -> Step<i64, Action> {
    match action {
        Action::Clear => Step::ShortCircuit(0),
        Action::Add(_) => Step::Next,
    }
}

fn no_negatives() -> Validate<impl Fn(&Action, &i64) -> Result<(), String> + Copy> {
    Validate::new(|action: &Action, _: &i64| match action {
        Action::Add(k) if *k < 0 => Err(format!("cannot add {k}: amounts must be positive")),
        _ => Ok(()),
    })
}

#[test]
fn a_doubling_middleware_transforms_the_action_the_reducer_and_history_see() {
    let mut store = Store::new(0, reducer).with_middleware(double);
    assert_eq!(*store.dispatch(Action::Add(3)).unwrap(), 6);
    assert_eq!(store.history().newest().unwrap().action(), &Action::Add(6));
}

#[test]
fn a_short_circuit_sets_a_fixed_state_without_the_reducer() {
    let mut store = Store::new(0, reducer).with_middleware(clear_to_zero);
    store.dispatch(Action::Add(5)).unwrap();
    assert_eq!(*store.dispatch(Action::Clear).unwrap(), 0);
    let newest = store.history().newest().unwrap();
    assert_eq!(
        (newest.action(), *newest.previous(), *newest.state()),
        (&Action::Clear, 5, 0)
    );
    assert_eq!(newest.origin(), Origin::ShortCircuited);
}

#[test]
fn validation_rejects_an_invalid_action_leaving_state_and_history_unchanged() {
    let mut store = Store::new(0, reducer).with_middleware(no_negatives());
    store.dispatch(Action::Add(4)).unwrap();
    let sub = store.subscribe(|n: &i64| *n).unwrap();

    let err = store.dispatch(Action::Add(-1)).unwrap_err();
    match &err {
        StoreError::Rejected { reason } => {
            assert_eq!(reason, "cannot add -1: amounts must be positive");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "Action rejected: cannot add -1: amounts must be positive"
    );
    assert_eq!((*store.state(), store.seq()), (4, 1));
    let actions: Vec<&Action> = store.history().iter().map(|e| e.action()).collect();
    assert_eq!(actions, [&Action::Add(4)]);
    assert!(!sub.has_changed(), "a rejected action notifies nobody");
}

#[test]
fn middleware_runs_in_the_order_added() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let spy = |name: &'static str| {
        let seen = Arc::clone(&seen);
        move |action: &Action, state: &i64| -> Step<i64, Action> {
            seen.lock()
                .unwrap()
                .push(format!("{name} saw {action:?} at {state}"));
            Step::Next
        }
    };
    let mut store = Store::new(0, reducer)
        .with_middleware(Logging::new())
        .with_middleware(spy("first"))
        .with_middleware(double)
        .with_middleware(spy("second"))
        .with_middleware(clear_to_zero)
        .with_middleware(spy("third"));

    store.dispatch(Action::Add(1)).unwrap();
    store.dispatch(Action::Clear).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "first saw Add(1) at 0",
            "second saw Add(2) at 0",
            "third saw Add(2) at 0",
            // The short-circuit ends the way in: "third" never sees Clear.
            "first saw Clear at 2",
            "second saw Clear at 2",
        ]
    );
}

#[test]
fn validation_before_doubling_checks_the_dispatched_action_after_checks_the_doubled_one() {
    let at_most_ten = || {
        Validate::new(|action: &Action, _: &i64| match action {
            Action::Add(k) if *k > 10 => Err("more than 10"),
            _ => Ok(()),
        })
    };
    let mut validate_first = Store::new(0, reducer)
        .with_middleware(at_most_ten())
        .with_middleware(double);
    assert_eq!(*validate_first.dispatch(Action::Add(6)).unwrap(), 12);

    let mut double_first = Store::new(0, reducer)
        .with_middleware(double)
        .with_middleware(at_most_ten());
    assert!(matches!(
        double_first.dispatch(Action::Add(6)),
        Err(StoreError::Rejected { .. })
    ));
    assert_eq!(*double_first.state(), 0);
}

#[test]
fn a_rejection_stops_later_middleware_and_a_short_circuit_stops_later_validation() {
    let mut store = Store::new(0, reducer)
        .with_middleware(no_negatives())
        .with_middleware(clear_to_zero)
        .with_middleware(Validate::new(|_: &Action, _: &i64| Err("later validation")));
    // Rejected by the first validation: the short-circuit never runs.
    assert!(matches!(
        store.dispatch(Action::Add(-3)),
        Err(StoreError::Rejected { reason }) if reason.contains("-3")
    ));
    // Short-circuited before the last validation could refuse it.
    assert_eq!(*store.dispatch(Action::Clear).unwrap(), 0);
    // Anything else reaches the last validation and is refused.
    assert!(matches!(
        store.dispatch(Action::Add(1)),
        Err(StoreError::Rejected { reason }) if reason == "later validation"
    ));
}
