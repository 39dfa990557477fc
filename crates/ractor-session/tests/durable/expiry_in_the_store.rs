//! Deadlines live in the records: a session that expired while no manager ran is never
//! revived, an expired session's record is deleted, and the sweeper removes expired
//! records in bounded batches.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, SystemTime};

use ractor_session::durable::{MemoryStore, SessionRecord, SessionStore};
use ractor_session::{
    DurabilityConfig, EndReason, KvMsg, SessionConfig, SessionError, SessionId, SessionManager,
};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;
use serde_json::json;

use super::support::{Probe, manager, put, sqlite};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_expired_while_the_process_was_down_is_not_revived() {
    let dir = tempfile::tempdir().unwrap();
    let starts = Arc::new(AtomicUsize::new(0));
    let store = sqlite(dir.path()).await;
    let before = SessionManager::builder(config().with_idle_timeout(Duration::from_millis(500)))
        .with_store(store)
        .spawn()
        .await
        .unwrap();
    before.start("s1").await.unwrap();
    put(&before, "s1", "cart", json!(["apple"])).await;
    before.shutdown().await;
    drop(before);

    let store = sqlite(dir.path()).await;
    let id = SessionId::parse("s1").unwrap();
    let record = store
        .load(&id)
        .await
        .unwrap()
        .expect("stored, live for now");
    let deadline = record.expires_at();
    assert!(
        deadline <= SystemTime::now() + Duration::from_millis(500),
        "the record carries the session's idle deadline"
    );
    eventually("the deadline passes while no manager runs", || async {
        SystemTime::now() > deadline
    })
    .await;

    let after = manager(store, DurabilityConfig::default(), &starts).await;
    assert!(matches!(
        after.call("s1", KvMsg::GetAll).await,
        Err(SessionError::SessionNotFound { .. })
    ));
    after.get_or_start("s1").await.unwrap();
    let fresh = after.call("s1", KvMsg::GetAll).await.unwrap();
    assert!(
        fresh.is_empty(),
        "a fresh session, not the expired one: {fresh:?}"
    );
    after.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_has_its_record_deleted() {
    let probe = Probe::new(Arc::new(MemoryStore::new()));
    let manager = SessionManager::builder(config().with_idle_timeout(Duration::from_millis(300)))
        .with_store(probe.clone())
        .with_durability(DurabilityConfig::default().with_flush_interval(Duration::from_millis(20)))
        .spawn()
        .await
        .unwrap();
    manager.start("s1").await.unwrap();
    put(&manager, "s1", "a", json!(1)).await;
    let watch = manager.watch("s1").await.unwrap();
    manager.flush().await.unwrap();
    assert_eq!(watch.await, EndReason::Expired);
    let id = SessionId::parse("s1").unwrap();
    eventually("the record is deleted", || async {
        probe.deleted().contains(&id)
    })
    .await;
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_removes_expired_records_in_bounded_batches() {
    let inner = Arc::new(MemoryStore::new());
    let past = SystemTime::now() - Duration::from_secs(1);
    let expired: Vec<_> = (0..5)
        .map(|_| SessionRecord::new(SessionId::generate(), "kv", 1, b"{}".to_vec(), past))
        .collect();
    let live = SessionRecord::new(
        SessionId::generate(),
        "kv",
        1,
        b"{}".to_vec(),
        SystemTime::now() + Duration::from_secs(3600),
    );
    inner.save(expired).await.unwrap();
    inner.save(vec![live.clone()]).await.unwrap();
    let probe = Probe::new(inner.clone());
    let durability = DurabilityConfig::default().with_sweep(Duration::from_millis(20), 2);
    let manager = SessionManager::builder(SessionConfig::default())
        .with_store(probe.clone())
        .with_durability(durability)
        .spawn()
        .await
        .unwrap();

    eventually("every expired record is swept", || async {
        probe
            .sweeps()
            .iter()
            .map(|(_, removed)| removed)
            .sum::<usize>()
            == 5
    })
    .await;
    let sweeps = probe.sweeps();
    assert!(
        sweeps
            .iter()
            .all(|(limit, removed)| *limit == 2 && *removed <= 2),
        "{sweeps:?}"
    );
    assert_eq!(
        &sweeps[..3],
        [(2, 2), (2, 2), (2, 1)],
        "one sweep, batch after batch until fewer than a batch are left"
    );
    assert_eq!(
        inner.load(live.id()).await.unwrap(),
        Some(live),
        "live records stay"
    );
    manager.shutdown().await;
}
