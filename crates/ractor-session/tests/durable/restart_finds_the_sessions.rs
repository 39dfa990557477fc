//! A manager started on the store of one that shut down finds its sessions: by any
//! operation on their IDs, never by starting fresh ones over them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ractor_session::durable::{MemoryStore, SessionStore};
use ractor_session::store::{Store, StoreSession, StoreSessions};
use ractor_session::{
    DurabilityConfig, KvMsg, KvSession, SessionConfig, SessionError, SessionManager,
};
use serde_json::json;

use super::support::{Journal, JournalMsg, manager, put, sqlite};

/// Written only by `shutdown`: no flush falls within a test.
fn at_shutdown_only() -> DurabilityConfig {
    DurabilityConfig::default().with_flush_interval(Duration::from_secs(3600))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_manager_on_the_same_store_finds_every_session_after_a_graceful_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let starts = Arc::new(AtomicUsize::new(0));
    let before = manager(sqlite(dir.path()).await, at_shutdown_only(), &starts).await;
    before.start("kv-user").await.unwrap();
    put(&before, "kv-user", "theme", json!("dark")).await;
    before
        .start_with("journal-user", Journal::default(), vec![1])
        .await
        .unwrap();
    before
        .call("journal-user", |reply| JournalMsg::AppendAck(2, reply))
        .await
        .unwrap();
    before.shutdown().await;
    drop(before);

    let after = manager(sqlite(dir.path()).await, at_shutdown_only(), &starts).await;
    assert_eq!(after.count(), 0, "nothing is started before it is used");
    assert!(!after.is_started("kv-user"));
    let theme = after
        .call("kv-user", |reply| KvMsg::Get {
            key: "theme".into(),
            reply,
        })
        .await
        .unwrap();
    assert_eq!(theme, Some(json!("dark")));
    let entries = after
        .call("journal-user", JournalMsg::Entries)
        .await
        .unwrap();
    assert_eq!(entries, [1, 2]);
    assert_eq!(after.count(), 2);
    assert_eq!(
        starts.load(Ordering::SeqCst),
        1,
        "the journal's actor was started once by this manager (its own factory counts)"
    );
    after.shutdown().await;
}

/// Two managers in turn on one in-memory store: what a restart does, in one process.
async fn stored(ids: &[&str]) -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    let before = SessionManager::builder(SessionConfig::default().with_rate_limit(None))
        .with_store(store.clone())
        .spawn()
        .await
        .unwrap();
    for id in ids {
        before.start(id).await.unwrap();
        put(&before, id, "id", json!(id)).await;
    }
    before.shutdown().await;
    store
}

async fn restarted(store: Arc<MemoryStore>) -> SessionManager {
    SessionManager::builder(SessionConfig::default().with_rate_limit(None))
        .with_store(store)
        .with_durable(Journal::default)
        .spawn()
        .await
        .unwrap()
}

async fn value(manager: &SessionManager, id: &str) -> Option<serde_json::Value> {
    manager
        .call(id, |reply| KvMsg::Get {
            key: "id".into(),
            reply,
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn every_operation_by_id_revives_a_stored_session() {
    let ids = ["cast", "touch", "watch", "lookup", "resume", "rotate"];
    let manager = restarted(stored(&ids).await).await;

    manager.cast("cast", KvMsg::put("more", 1)).await.unwrap();
    manager.touch("touch").await.unwrap();
    let _watch = manager.watch("watch").await.unwrap();
    manager.lookup::<KvMsg>("lookup").await.unwrap();
    manager.resume("resume").await.unwrap();
    for id in &ids[..5] {
        assert!(manager.is_started(id), "{id} was revived");
        assert_eq!(value(&manager, id).await, Some(json!(id)));
    }
    let rotated = manager.rotate("rotate").await.unwrap();
    assert_eq!(
        value(&manager, rotated.as_str()).await,
        Some(json!("rotate"))
    );
    assert!(matches!(
        manager.session("missing"),
        Err(SessionError::SessionNotFound { .. })
    ));
    assert!(matches!(
        manager.resume("missing").await,
        Err(SessionError::SessionNotFound { .. })
    ));
    manager.shutdown().await;
}

#[tokio::test]
async fn revivals_are_counted_apart_from_starts() {
    let manager = restarted(stored(&["back", "again"]).await).await;
    assert_eq!(manager.counters().revived, Some(0));

    manager.touch("back").await.unwrap();
    manager.resume("again").await.unwrap();
    manager.resume("again").await.unwrap(); // live by now: no second revival
    manager.start("fresh").await.unwrap();
    let counters = manager.counters();
    assert_eq!((counters.revived, counters.started), (Some(2), 1));
    assert_eq!(manager.stats().counters, counters);
    manager.shutdown().await;
}

#[tokio::test]
async fn starting_a_stored_id_revives_it_instead_of_starting_fresh() {
    let store = stored(&["refused", "returned", "other-type"]).await;
    let manager = restarted(Arc::clone(&store)).await;

    let error = manager.start("refused").await.unwrap_err();
    let actor = error
        .existing_actor::<KvMsg>()
        .expect("already started, by its revival");
    assert_eq!(
        manager.lookup::<KvMsg>("refused").await.unwrap().get_id(),
        actor.get_id()
    );
    assert_eq!(value(&manager, "refused").await, Some(json!("refused")));

    manager.get_or_start("returned").await.unwrap();
    assert_eq!(value(&manager, "returned").await, Some(json!("returned")));

    // A stored session of one type is not replaced by a fresh one of another.
    let journal = manager
        .get_or_start_with("other-type", || (Journal::default(), vec![]))
        .await;
    assert!(matches!(
        journal,
        Err(SessionError::WrongSessionType { .. })
    ));
    assert_eq!(
        value(&manager, "other-type").await,
        Some(json!("other-type"))
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn a_store_session_comes_back_with_its_state_and_action_number() {
    let counter = || Store::new(0_i64, |n: &i64, add: &i64| n + add);
    let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let spawn = || {
        SessionManager::builder(SessionConfig::default())
            .with_store(Arc::clone(&store))
            .with_durable(move || StoreSession::restoring(counter))
            .spawn()
    };

    let before = spawn().await.unwrap();
    let counters = StoreSessions::new(before.clone());
    let visitor = counters.start("visitor", counter()).await.unwrap();
    visitor.dispatch(2).await.unwrap();
    visitor.dispatch(3).await.unwrap();
    before.shutdown().await;

    let after = spawn().await.unwrap();
    let visitor = StoreSessions::<i64, i64>::new(after.clone())
        .get("visitor")
        .await
        .unwrap();
    let (state, seq) = visitor
        .run(|store| (*store.state(), store.seq()))
        .await
        .unwrap();
    assert_eq!((state, seq), (5, 2));
    assert_eq!(*visitor.dispatch(1).await.unwrap(), 6);
    after.shutdown().await;
}

#[tokio::test]
async fn the_key_value_session_is_durable_without_being_registered() {
    let store = Arc::new(MemoryStore::new());
    let before = SessionManager::builder(SessionConfig::default())
        .with_store(store.clone())
        .spawn()
        .await
        .unwrap();
    before
        .get_or_start_with("s1", || (KvSession, Default::default()))
        .await
        .unwrap();
    put(&before, "s1", "id", json!("s1")).await;
    before.shutdown().await;

    let after = restarted(store).await;
    assert_eq!(value(&after, "s1").await, Some(json!("s1")));
    after.shutdown().await;
}
