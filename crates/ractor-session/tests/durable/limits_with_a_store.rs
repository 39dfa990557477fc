//! Where the limits meet the store: an evicted session leaves no record behind, a
//! session revived from its record came back (it is never evicted as provisional), and a
//! shortened lifetime is kept by the record across a restart.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ractor_session::durable::{MemoryStore, SessionStore};
use ractor_session::{
    Admission, KvMsg, KvSession, SessionConfig, SessionError, SessionId, SessionManager,
};
use serde_json::json;

use super::support::{put, stored_state};

fn make() -> (KvSession, serde_json::Map<String, serde_json::Value>) {
    (KvSession, Default::default())
}

fn visitor() -> Admission {
    Admission::default().with_rate_limit(false).provisional()
}

async fn manager(store: &Arc<MemoryStore>, max: usize) -> SessionManager {
    SessionManager::builder(SessionConfig::default().with_max_sessions(max))
        .with_store(store.clone())
        .spawn()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_evicted_session_leaves_no_record() {
    let store = Arc::new(MemoryStore::new());
    let manager = manager(&store, 1).await;
    let first = manager
        .get_or_start_session_admitted("first", make, visitor())
        .await
        .unwrap();
    let ended = first.watch();
    // Written by the handle (not a lookup by ID: "first" stays provisional).
    first
        .call(|reply| KvMsg::Request {
            request: json!({"op": "put", "key": "a", "value": 1}),
            reply,
        })
        .await
        .unwrap()
        .unwrap();
    manager.flush().await.unwrap();
    assert_eq!(stored_state(&*store, "first").await, Some(json!({"a": 1})));

    manager
        .get_or_start_session_admitted("second", make, visitor())
        .await
        .unwrap();
    ended.await;
    manager.flush().await.unwrap();
    assert_eq!(
        stored_state(&*store, "first").await,
        None,
        "an evicted session is not kept for later"
    );
    assert!(
        matches!(
            manager.resume("first").await,
            Err(SessionError::SessionNotFound { .. })
        ),
        "and its ID revives nothing"
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn a_revived_session_is_never_evicted_as_provisional() {
    let store = Arc::new(MemoryStore::new());
    let before = manager(&store, 1).await;
    before
        .get_or_start_session_admitted("returning", make, visitor())
        .await
        .unwrap();
    put(&before, "returning", "a", json!(1)).await;
    before.shutdown().await;

    let after = manager(&store, 1).await;
    // Revived by a provisional start of its own ID (the web layer's first request after
    // a restart): it came back, whatever the admission said.
    after
        .get_or_start_session_admitted("returning", make, visitor())
        .await
        .unwrap();
    let refused = after
        .get_or_start_session_admitted("newcomer", make, visitor())
        .await;
    assert!(
        matches!(refused, Err(SessionError::SessionLimitReached { max: 1 })),
        "{refused:?}"
    );
    let all = after.call("returning", KvMsg::GetAll).await.unwrap();
    assert_eq!(serde_json::Value::Object(all), json!({"a": 1}));
    after.shutdown().await;
}

#[tokio::test]
async fn a_revival_at_the_limit_takes_the_place_of_a_provisional_session() {
    let store = Arc::new(MemoryStore::new());
    let before = manager(&store, 1).await;
    before.start("returning").await.unwrap();
    put(&before, "returning", "a", json!(1)).await;
    before.shutdown().await;

    let after = manager(&store, 1).await;
    after
        .get_or_start_session_admitted("stranger", make, visitor())
        .await
        .unwrap();
    let all = after.call("returning", KvMsg::GetAll).await.unwrap();
    assert_eq!(serde_json::Value::Object(all), json!({"a": 1}));
    assert!(!after.is_started("stranger"), "evicted to make room");
    after.shutdown().await;
}

#[tokio::test]
async fn a_shortened_lifetime_is_kept_by_the_record() {
    let store = Arc::new(MemoryStore::new());
    let manager = manager(&store, 10).await;
    let handle = manager
        .get_or_start_session_with("short", make)
        .await
        .unwrap();
    put(&manager, "short", "a", json!(1)).await;
    manager.flush().await.unwrap();
    let id = SessionId::parse("short").unwrap();
    let before = store.load(&id).await.unwrap().unwrap();
    assert_eq!(before.absolute_deadline(), None);

    handle.limit_lifetime(Duration::from_secs(60)).unwrap();
    manager.flush().await.unwrap();
    let after = store.load(&id).await.unwrap().unwrap();
    let deadline = after
        .absolute_deadline()
        .expect("the shortened lifetime is in the record");
    // (The manager's clock counts in whole milliseconds, rounded up: a second of slack.)
    let latest = SystemTime::now() + Duration::from_secs(61);
    assert!(
        deadline <= latest,
        "at most a minute from now: {deadline:?} > {latest:?}"
    );
    manager.shutdown().await;
}
