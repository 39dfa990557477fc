//! Two managers in one process never see each other's sessions.

use ractor_session::{KvMsg, SessionError, SessionManager};
use ractor_session_test_support::actors::{Counter, CounterMsg};
use ractor_session_test_support::config::config;

#[tokio::test]
async fn two_managers_each_hold_their_own_abc() {
    let one = SessionManager::spawn(config()).await.unwrap();
    let two = SessionManager::spawn(config().with_max_sessions(1))
        .await
        .unwrap();

    let a1 = one.start("abc").await.unwrap();
    let a2 = two.start("abc").await.unwrap();
    assert_ne!(a1.get_id(), a2.get_id());
    one.cast("abc", KvMsg::put("owner", "one")).await.unwrap();
    two.cast("abc", KvMsg::put("owner", "two")).await.unwrap();

    let get = |reply| KvMsg::Get {
        key: "owner".into(),
        reply,
    };
    assert_eq!(one.call("abc", get).await.unwrap(), Some("one".into()));
    assert_eq!(two.call("abc", get).await.unwrap(), Some("two".into()));

    // Limits and lists are per manager.
    one.start_with("only-in-one", Counter, 3).await.unwrap();
    assert!(matches!(
        two.start("another").await,
        Err(SessionError::SessionLimitReached { max: 1 })
    ));
    assert!(!two.is_started("only-in-one"));
    assert!(matches!(
        two.call("only-in-one", CounterMsg::Get).await,
        Err(SessionError::SessionNotFound { .. })
    ));
    assert_eq!((one.count(), two.count()), (2, 1));
    assert_eq!(two.list().len(), 1);

    // Ending a session in one leaves the other's alone.
    one.terminate("abc").await.unwrap();
    assert!(!one.is_started("abc"));
    assert_eq!(two.call("abc", get).await.unwrap(), Some("two".into()));

    // And so does shutting one down.
    one.shutdown().await;
    assert!(two.is_started("abc"));
    assert_eq!(two.call("abc", get).await.unwrap(), Some("two".into()));
    two.shutdown().await;
}

#[tokio::test]
async fn clones_of_a_manager_share_its_sessions() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let clone = manager.clone();
    manager.start("shared").await.unwrap();
    assert!(clone.is_started("shared"));
    clone.terminate("shared").await.unwrap();
    assert!(!manager.is_started("shared"));
    manager.shutdown().await;
}
