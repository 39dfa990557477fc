//! A reducer that panics crashes only its own store session, reported as `Crashed`; the
//! manager and every other session carry on.

use ractor_session::store::{Store, StoreError, StoreSessions};
use ractor_session::{EndReason, KvMsg, Pong, SessionError, SessionManager};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;

#[derive(Clone, Debug)]
enum Action {
    Add(i64),
    Explode,
}

fn fragile_store() -> Store<i64, Action> {
    Store::new(0, |n: &i64, action: &Action| match action {
        Action::Add(k) => n + k,
        Action::Explode => panic!("reducer exploded"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_reducer_crashes_only_its_session() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let stores = StoreSessions::new(manager.clone());
    let doomed = stores.start("doomed", fragile_store()).await.unwrap();
    let bystander = stores.start("bystander", fragile_store()).await.unwrap();
    manager.start("kv").await.unwrap();
    bystander.dispatch(Action::Add(5)).await.unwrap();
    let mut bystander_sub = bystander
        .run(|store| store.subscribe(|n: &i64| *n))
        .await
        .unwrap()
        .unwrap();
    let mut doomed_sub = doomed
        .run(|store| store.subscribe(|n: &i64| *n))
        .await
        .unwrap()
        .unwrap();
    let watch = doomed.session().watch();

    let err = doomed.dispatch(Action::Explode).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Session(SessionError::CallFailed { .. })),
        "{err:?}"
    );
    match watch.await {
        EndReason::Crashed(text) => assert!(text.contains("reducer exploded"), "{text}"),
        other => panic!("expected Crashed, got {other:?}"),
    }
    assert!(!manager.is_started("doomed"));
    assert_eq!(doomed_sub.changed().await, None, "its subscriptions end");

    // Everything else carries on.
    assert_eq!(*bystander.dispatch(Action::Add(1)).await.unwrap(), 6);
    assert_eq!(bystander_sub.changed().await, Some(6));
    assert_eq!(manager.call("kv", KvMsg::Ping).await.unwrap(), Pong);
    assert_eq!(manager.count(), 2);
    eventually("the crashed actor leaves the supervisor", || async {
        manager.supervisor().get_children().len() == 2
    })
    .await;

    // Not restarted behind our back, and the ID can be started afresh.
    let again = stores.start("doomed", fragile_store()).await.unwrap();
    assert_eq!(*again.state().await.unwrap(), 0);
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_a_cast_action_crashes_only_its_session() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let stores = StoreSessions::new(manager.clone());
    let doomed = stores.start("doomed", fragile_store()).await.unwrap();
    let bystander = stores.start("bystander", fragile_store()).await.unwrap();
    let watch = doomed.session().watch();

    doomed.cast(Action::Explode).unwrap();
    assert!(matches!(watch.await, EndReason::Crashed(_)));
    assert!(matches!(
        doomed.state().await,
        Err(StoreError::Session(SessionError::SessionNotFound { .. }))
    ));
    assert!(matches!(
        stores.get("doomed").await,
        Err(StoreError::Session(SessionError::SessionNotFound { .. }))
    ));
    assert_eq!(*bystander.dispatch(Action::Add(2)).await.unwrap(), 2);
    manager.shutdown().await;
}
