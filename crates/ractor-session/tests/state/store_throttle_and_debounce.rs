//! Pace rules per action-name pattern, in a store session, on tokio's paused clock (so the
//! instants are exact): a throttle lets the first action through and drops the rest within
//! its window; a debounce runs only the last action of a burst, once its window passed
//! without another. Rules load from configuration with human durations.

use std::time::Duration;

use ractor_session::SessionManager;
use ractor_session::store::{
    Combined, NamedAction, Pace, SliceReducer, Store, StoreError, StoreHandle, StoreSessions,
};
use ractor_session_test_support::config::config;
use tokio::time::{Instant, sleep};

type Action = NamedAction<u32>;

const WINDOW: Duration = Duration::from_millis(500);

/// The payloads applied, in order, whatever the action's name.
fn applied_store() -> Store<Vec<u32>, Action> {
    let applied = SliceReducer::new(
        "applied",
        |v: &mut Vec<u32>| v,
        |v: &Vec<u32>, _: &str, action: &Action| {
            Some([v.as_slice(), &[*action.payload()]].concat())
        },
    )
    .with_prefix("");
    Store::combined(Vec::new(), Combined::new().with_reducer(applied))
}

async fn start(store: Store<Vec<u32>, Action>) -> (SessionManager, StoreHandle<Vec<u32>, Action>) {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let handle = StoreSessions::new(manager.clone())
        .start("s1", store)
        .await
        .unwrap();
    (manager, handle)
}

fn act(name: &str, n: u32) -> Action {
    NamedAction::new(name, n)
}

#[tokio::test(start_paused = true)]
async fn a_throttle_passes_the_first_and_drops_the_rest_within_its_window() {
    let (manager, store) =
        start(applied_store().with_pace(Pace::throttle("search.*", WINDOW))).await;

    assert_eq!(*store.dispatch(act("search.query", 1)).await.unwrap(), [1]);
    sleep(WINDOW - Duration::from_millis(1)).await;
    match store.dispatch(act("search.more", 2)).await {
        Err(StoreError::Throttled { pattern, window }) => {
            assert_eq!((pattern.as_str(), window), ("search.*", WINDOW));
        }
        other => panic!("expected Throttled, got {other:?}"),
    }
    store.cast(act("search.query", 3)).unwrap(); // dropped too, silently
    // Other names are not throttled.
    assert_eq!(*store.dispatch(act("cart.add", 4)).await.unwrap(), [1, 4]);

    sleep(Duration::from_millis(1)).await; // the window has passed
    assert_eq!(
        *store.dispatch(act("search.query", 5)).await.unwrap(),
        [1, 4, 5]
    );
    assert!(store.dispatch(act("search.query", 6)).await.is_err());
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_debounce_runs_only_the_last_action_once_its_window_passed_quietly() {
    let (manager, store) =
        start(applied_store().with_pace(Pace::debounce("search.*", WINDOW))).await;
    let began = Instant::now();

    // A burst: each action comes within the window of the one before.
    for n in 1..=3 {
        store.cast(act("search.query", n)).unwrap();
        sleep(WINDOW / 2).await;
    }
    // Other names pass at once.
    assert_eq!(*store.dispatch(act("cart.add", 9)).await.unwrap(), [9]);
    sleep(WINDOW / 2 - Duration::from_millis(1)).await;
    assert_eq!(
        *store.state().await.unwrap(),
        [9],
        "nothing runs before the window after the last action"
    );

    let mut applied = store
        .run(|s| s.subscribe(|v: &Vec<u32>| v.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        applied.changed().await.unwrap(),
        [9, 3],
        "only the last of the burst"
    );
    // The last was cast at 2 half-windows; it ran one window later.
    assert_eq!(began.elapsed(), WINDOW * 2);
    assert_eq!(store.run(|s| s.seq()).await.unwrap(), 2);
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_debounced_dispatch_waits_for_its_window_and_a_superseded_one_is_told() {
    let (manager, store) =
        start(applied_store().with_pace(Pace::debounce("search.*", WINDOW))).await;
    let began = Instant::now();

    let first = tokio::spawn({
        let store = store.clone();
        async move { store.dispatch(act("search.query", 1)).await }
    });
    sleep(WINDOW / 2).await;
    let second = store.dispatch(act("search.query", 2)).await.unwrap();
    assert_eq!(*second, [2]);
    assert_eq!(began.elapsed(), WINDOW / 2 + WINDOW);
    match first.await.unwrap() {
        Err(StoreError::Superseded { pattern }) => assert_eq!(pattern, "search.*"),
        other => panic!("expected Superseded, got {other:?}"),
    }
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn pace_rules_load_from_configuration_with_human_durations() {
    let rules: Vec<Pace> = serde_json::from_str(
        r#"[
            {"mode": "throttle", "pattern": "cart.refresh", "window": "1s 500ms"},
            {"mode": "debounce", "pattern": "*.search", "window": "250ms"}
        ]"#,
    )
    .unwrap();
    assert_eq!(
        rules,
        [
            Pace::throttle("cart.refresh", Duration::from_millis(1500)),
            Pace::debounce("*.search", Duration::from_millis(250)),
        ]
    );
    let unknown_field = r#"{"mode": "throttle", "pattern": "x", "window": "1s", "burst": 3}"#;
    assert!(serde_json::from_str::<Pace>(unknown_field).is_err());
    assert!(
        serde_json::from_str::<Pace>(r#"{"mode": "throttle", "pattern": "x", "window": "soon"}"#)
            .is_err()
    );

    let store = rules.into_iter().fold(applied_store(), Store::with_pace);
    let (manager, store) = start(store).await;
    store.dispatch(act("cart.refresh", 1)).await.unwrap();
    sleep(Duration::from_millis(1499)).await;
    assert!(store.dispatch(act("cart.refresh", 2)).await.is_err());
    sleep(Duration::from_millis(1)).await;
    assert_eq!(
        *store.dispatch(act("cart.refresh", 3)).await.unwrap(),
        [1, 3]
    );
    manager.shutdown().await;
}

#[test]
fn a_store_used_in_process_applies_every_action_at_once() {
    let mut store = applied_store().with_pace(Pace::throttle("*", WINDOW));
    store.dispatch(act("a", 1)).unwrap();
    store.dispatch(act("a", 2)).unwrap();
    assert_eq!(store.state(), &[1, 2]);
}
