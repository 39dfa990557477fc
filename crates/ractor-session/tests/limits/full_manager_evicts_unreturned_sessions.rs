//! At `max_sessions`, a provisional start takes the place of the oldest session that was
//! never used by its ID again; sessions that came back are never evicted, and starts
//! admitted the default way are refused as before.

use ractor_session::{
    Admission, EndReason, KvSession, SessionConfig, SessionError, SessionManager,
};

fn make() -> (KvSession, serde_json::Map<String, serde_json::Value>) {
    (KvSession, Default::default())
}

fn visitor() -> Admission {
    Admission::default().with_rate_limit(false).provisional()
}

async fn manager(max: usize) -> SessionManager {
    SessionManager::spawn(SessionConfig::default().with_max_sessions(max))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_newcomer_takes_the_place_of_the_oldest_unreturned_session() {
    let manager = manager(3).await;
    for id in ["a", "b", "c"] {
        manager
            .get_or_start_session_admitted(id, make, visitor())
            .await
            .unwrap();
    }
    manager.touch("a").await.unwrap(); // "a" came back: used by its ID again

    manager
        .get_or_start_session_admitted("d", make, visitor())
        .await
        .unwrap();
    assert!(!manager.is_started("b"), "the oldest unreturned session");
    assert!(manager.is_started("a") && manager.is_started("c") && manager.is_started("d"));
    assert_eq!(manager.count(), 3);

    manager
        .get_or_start_session_admitted("e", make, visitor())
        .await
        .unwrap();
    assert!(!manager.is_started("c"));
    assert!(manager.is_started("a"), "a session that came back stays");
    assert_eq!(manager.count(), 3);
    manager.shutdown().await;
}

#[tokio::test]
async fn an_evicted_session_is_told_evicted() {
    let manager = manager(1).await;
    let first = manager
        .get_or_start_session_admitted("first", make, visitor())
        .await
        .unwrap();
    // A handle's own watch is not a lookup by ID: "first" stays provisional.
    let ended = first.watch();
    manager
        .get_or_start_session_admitted("second", make, visitor())
        .await
        .unwrap();
    assert_eq!(ended.await, EndReason::Evicted);
    assert!(!first.is_live());
    assert_eq!(EndReason::Evicted.as_str(), "evicted");
    manager.shutdown().await;
}

#[tokio::test]
async fn when_every_session_came_back_a_newcomer_is_refused() {
    let manager = manager(2).await;
    for id in ["a", "b"] {
        manager
            .get_or_start_session_admitted(id, make, visitor())
            .await
            .unwrap();
        manager.touch(id).await.unwrap(); // used by its ID again
    }
    let refused = manager
        .get_or_start_session_admitted("c", make, visitor())
        .await;
    assert!(matches!(
        refused,
        Err(SessionError::SessionLimitReached { max: 2 })
    ));
    assert!(manager.is_started("a") && manager.is_started("b"));
    manager.shutdown().await;
}

#[tokio::test]
async fn default_starts_never_evict() {
    let manager = manager(1).await;
    manager
        .get_or_start_session_admitted("anonymous", make, visitor())
        .await
        .unwrap();
    assert!(matches!(
        manager.start("deliberate").await,
        Err(SessionError::SessionLimitReached { max: 1 })
    ));
    assert!(manager.is_started("anonymous"));
    manager.shutdown().await;
}

#[tokio::test]
async fn unmetered_starts_leave_the_rate_limit_alone() {
    let config = SessionConfig::default().with_rate_limit(Some(1));
    let manager = SessionManager::spawn(config).await.unwrap();
    for i in 0..10 {
        manager
            .get_or_start_session_admitted(format!("v{i}"), make, visitor())
            .await
            .unwrap();
    }
    // The one token is still there for a start admitted the default way.
    manager.start("metered").await.unwrap();
    assert!(matches!(
        manager.start("metered-too").await,
        Err(SessionError::RateLimitExceeded { limit: 1 })
    ));
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_newcomers_at_a_full_manager_are_all_admitted() {
    let manager = manager(50).await;
    for i in 0..50 {
        manager
            .get_or_start_session_admitted(format!("old{i}"), make, visitor())
            .await
            .unwrap();
    }
    let starts: Vec<_> = (0..50)
        .map(|i| {
            let manager = manager.clone();
            tokio::spawn(async move {
                manager
                    .get_or_start_session_admitted(format!("new{i}"), make, visitor())
                    .await
                    .map(|_| ())
            })
        })
        .collect();
    for start in starts {
        start.await.unwrap().unwrap();
    }
    assert_eq!(manager.count(), 50);
    manager.shutdown().await;
}
