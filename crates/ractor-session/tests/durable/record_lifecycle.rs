//! The store follows each session's life: rotation moves its record, termination deletes
//! it (for good: the ID is not revived from a record about to go), and an activation
//! whose record a newer one claimed is fenced off.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use ractor_session::durable::{MemoryStore, SessionStore};
use ractor_session::{
    DurabilityConfig, EndReason, KvMsg, SessionConfig, SessionError, SessionId, SessionManager,
};
use ractor_session_test_support::poll::eventually;
use serde_json::json;

use super::support::{Journal, JournalMsg, manager, stored_state};

async fn kv_manager(store: &Arc<MemoryStore>) -> SessionManager {
    SessionManager::builder(SessionConfig::default())
        .with_store(store.clone())
        .spawn()
        .await
        .unwrap()
}

#[tokio::test]
async fn rotation_moves_the_record_to_the_new_id() {
    let store = Arc::new(MemoryStore::new());
    let before = kv_manager(&store).await;
    before.start("before-login").await.unwrap();
    before
        .cast("before-login", KvMsg::put("a", 1))
        .await
        .unwrap();
    // Handled after the put: the put's change is recorded by the time this returns.
    before.call("before-login", KvMsg::Ping).await.unwrap();
    before.flush().await.unwrap();
    assert!(stored_state(&*store, "before-login").await.is_some());

    let new = before.rotate("before-login").await.unwrap();
    assert_eq!(stored_state(&*store, "before-login").await, None);
    assert_eq!(
        stored_state(&*store, new.as_str()).await,
        Some(json!({"a": 1}))
    );
    before.cast(&new, KvMsg::put("b", 2)).await.unwrap();
    before.shutdown().await;

    let after = kv_manager(&store).await;
    assert!(
        matches!(
            after.call("before-login", KvMsg::GetAll).await,
            Err(SessionError::SessionNotFound { .. })
        ),
        "the old ID revives nothing"
    );
    let all = after.call(&new, KvMsg::GetAll).await.unwrap();
    assert_eq!(serde_json::Value::Object(all), json!({"a": 1, "b": 2}));
    after.shutdown().await;
}

#[tokio::test]
async fn terminating_a_session_deletes_its_record_and_its_id_stays_dead() {
    let store = Arc::new(MemoryStore::new());
    let manager = kv_manager(&store).await;
    manager.start("s1").await.unwrap();
    manager.cast("s1", KvMsg::put("a", 1)).await.unwrap();
    manager.call("s1", KvMsg::Ping).await.unwrap();
    manager.flush().await.unwrap();
    assert_eq!(stored_state(&*store, "s1").await, Some(json!({"a": 1})));

    manager.terminate("s1").await.unwrap();
    assert_eq!(stored_state(&*store, "s1").await, None);
    assert!(matches!(
        manager.call("s1", KvMsg::GetAll).await,
        Err(SessionError::SessionNotFound { .. })
    ));
    manager.shutdown().await;
}

#[tokio::test]
async fn terminating_a_stored_session_ends_it_and_deletes_its_record() {
    let store = Arc::new(MemoryStore::new());
    let before = kv_manager(&store).await;
    before.start("s1").await.unwrap();
    before.shutdown().await;

    let after = kv_manager(&store).await;
    after.terminate("s1").await.unwrap();
    assert_eq!(stored_state(&*store, "s1").await, None);
    assert!(!after.is_started("s1"));
    after.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_activation_is_fenced_off_once_a_newer_one_claims_the_record() {
    let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let starts = Arc::new(AtomicUsize::new(0));
    let older = manager(store.clone(), DurabilityConfig::default(), &starts).await;
    older
        .start_with("j", Journal::default(), vec![])
        .await
        .unwrap();
    older
        .call("j", |reply| JournalMsg::AppendAck(1, reply))
        .await
        .unwrap();
    older.flush().await.unwrap();
    let older_ended = older.watch("j").await.unwrap();

    // Another manager on the same store (another node, say) revives the session.
    let newer = manager(store.clone(), DurabilityConfig::default(), &starts).await;
    newer
        .call("j", |reply| JournalMsg::AppendAck(2, reply))
        .await
        .unwrap();
    newer.flush().await.unwrap();

    // The older activation's next write is refused, and it stops.
    older
        .call("j", |reply| JournalMsg::AppendAck(99, reply))
        .await
        .unwrap();
    older.flush().await.unwrap();
    assert_eq!(older_ended.await, EndReason::Terminated);
    eventually("the older activation is gone", || async {
        !older.is_started("j")
    })
    .await;
    assert_eq!(stored_state(&*store, "j").await, Some(json!([1, 2])));
    let id = SessionId::parse("j").unwrap();
    assert_eq!(store.load(&id).await.unwrap().unwrap().epoch(), 1);
    older.shutdown().await;
    newer.shutdown().await;
}
