//! A started session is found; starting it again is refused with the live actor;
//! get-or-start returns that same actor.

use ractor_session::{KvMsg, Pong, SessionError, SessionManager};
use ractor_session_test_support::actors::{Counter, CounterMsg};
use ractor_session_test_support::config::config;

#[tokio::test]
async fn started_session_is_found_and_a_second_start_carries_the_live_actor() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    assert!(!manager.is_started("s1"));

    let actor = manager.start("s1").await.unwrap();
    assert!(manager.is_started("s1"));
    assert_eq!(manager.count(), 1);

    match manager.start("s1").await {
        Err(SessionError::AlreadyStarted {
            id,
            actor: existing,
        }) => {
            assert_eq!(id.as_str(), "s1");
            assert_eq!(existing.get_id(), actor.get_id());
        }
        other => panic!("expected AlreadyStarted, got {other:?}"),
    }
    let err = manager.start("s1").await.unwrap_err();
    let typed = err
        .existing_actor::<KvMsg>()
        .expect("AlreadyStarted carries the actor");
    assert_eq!(typed.get_id(), actor.get_id());

    let same = manager.get_or_start("s1").await.unwrap();
    assert_eq!(same.get_id(), actor.get_id());
    assert_eq!(manager.count(), 1, "neither refused start added a session");
    assert_eq!(manager.supervisor().get_children().len(), 1);

    manager.shutdown().await;
}

#[tokio::test]
async fn get_or_start_starts_a_missing_session_once() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let first = manager.get_or_start("fresh").await.unwrap();
    assert!(manager.is_started("fresh"));
    let second = manager.get_or_start("fresh").await.unwrap();
    assert_eq!(first.get_id(), second.get_id());
    assert_eq!(manager.call("fresh", KvMsg::Ping).await.unwrap(), Pong);

    let mut made = 0;
    let counter = manager
        .get_or_start_with("counter", || {
            made += 1;
            (Counter, 7)
        })
        .await
        .unwrap();
    let again = manager
        .get_or_start_with("counter", || {
            made += 1;
            (Counter, 0)
        })
        .await
        .unwrap();
    assert_eq!(made, 1, "the factory runs only when a start is needed");
    assert_eq!(counter.get_id(), again.get_id());
    assert_eq!(manager.call("counter", CounterMsg::Get).await.unwrap(), 7);
    manager.shutdown().await;
}

#[tokio::test]
async fn typed_lookup_returns_the_actor_and_refuses_the_wrong_type() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let actor = manager.start("s1").await.unwrap();
    assert_eq!(
        manager.lookup::<KvMsg>("s1").await.unwrap().get_id(),
        actor.get_id()
    );

    match manager.lookup::<CounterMsg>("s1").await {
        Err(SessionError::WrongSessionType { id, actual, .. }) => {
            assert_eq!(id.as_str(), "s1");
            assert_eq!(actual, "KvSession");
        }
        other => panic!("expected WrongSessionType, got {other:?}"),
    }
    assert!(matches!(
        manager.get_or_start_with("s1", || (Counter, 1)).await,
        Err(SessionError::WrongSessionType { .. })
    ));
    assert!(matches!(
        manager.call("s1", CounterMsg::Get).await,
        Err(SessionError::WrongSessionType { .. })
    ));
    assert!(matches!(
        manager.cast("s1", CounterMsg::Add(1)).await,
        Err(SessionError::WrongSessionType { .. })
    ));
    assert_eq!(
        manager.call("s1", KvMsg::Ping).await.unwrap(),
        Pong,
        "still serving"
    );
    manager.shutdown().await;
}
