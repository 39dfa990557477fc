//! What each write policy promises: write-behind writes a changed session once per
//! `flush_interval` and a hard kill loses only what changed since the last write;
//! write-through returns a call's reply only once its change is stored, so a hard kill
//! loses nothing acknowledged.
//!
//! A hard kill is simulated in the process: the manager is dropped without `shutdown`,
//! which stops its sessions and its flusher with nothing more written (see
//! `docs/durability.md`); the next manager opens the database file afresh.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use ractor_session::durable::{MemoryStore, SessionStore};
use ractor_session::{
    DurabilityConfig, KvMsg, SessionConfig, SessionError, SessionManager, WritePolicy,
};
use ractor_session_test_support::metrics::Recorder;
use ractor_session_test_support::poll::eventually;
use serde_json::json;

use super::support::{JournalMsg, Probe, manager, sqlite, start_journal, stored_state};

const INTERVAL: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn write_behind_writes_a_session_once_per_flush_interval_however_often_it_changes() {
    let recorder = Recorder::default();
    let _recording = recorder.install();
    let store = Arc::new(MemoryStore::new());
    let manager = SessionManager::builder(SessionConfig::default())
        .with_store(store.clone())
        .with_durability(DurabilityConfig::default().with_flush_interval(INTERVAL))
        .spawn()
        .await
        .unwrap();
    manager.start("s1").await.unwrap();
    for n in 0..1_000 {
        manager.cast("s1", KvMsg::put("n", n)).await.unwrap();
    }
    manager.call("s1", KvMsg::Ping).await.unwrap();

    tokio::time::advance(INTERVAL - Duration::from_millis(100)).await;
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        stored_state(&*store, "s1").await,
        None,
        "nothing is written before the interval is up"
    );

    tokio::time::advance(Duration::from_millis(200)).await;
    eventually("the session is written", || async {
        stored_state(&*store, "s1").await == Some(json!({"n": 999}))
    })
    .await;
    let metrics = recorder.snapshot();
    let backend = [("backend", "memory")];
    assert_eq!(
        metrics.counter("ractor_session_store_saves_total", &backend),
        1,
        "a thousand and one changes, one record written"
    );
    let (_, batches) = metrics.histogram("ractor_session_store_batch_size", &backend);
    assert_eq!(batches, [1.0]);
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_kill_with_write_behind_loses_only_what_changed_since_the_last_write() {
    let dir = tempfile::tempdir().unwrap();
    let starts = Arc::new(AtomicUsize::new(0));
    // No timed flush within the test: the explicit one is the last write.
    let durability = DurabilityConfig::default().with_flush_interval(Duration::from_secs(3600));
    let before = manager(sqlite(dir.path()).await, durability.clone(), &starts).await;
    start_journal(&before, "j").await;
    before
        .call("j", |reply| JournalMsg::AppendAck(1, reply))
        .await
        .unwrap();
    before.flush().await.unwrap();
    before
        .call("j", |reply| JournalMsg::AppendAck(2, reply))
        .await
        .unwrap();
    drop(before);

    let after = manager(sqlite(dir.path()).await, durability, &starts).await;
    let entries = after.call("j", JournalMsg::Entries).await.unwrap();
    assert_eq!(
        entries,
        [1],
        "the write before the kill is kept; the change after it is the bound's loss"
    );
    after.shutdown().await;
}

/// Write-through with no timed flush within the test.
fn write_through() -> DurabilityConfig {
    DurabilityConfig::default()
        .with_write_policy(WritePolicy::WriteThrough)
        .with_flush_interval(Duration::from_secs(3600))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_through_replies_only_once_the_change_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let starts = Arc::new(AtomicUsize::new(0));
    let probe = Probe::new(sqlite(dir.path()).await);
    let manager = manager(probe.clone(), write_through(), &starts).await;
    start_journal(&manager, "j").await;

    probe.hold_saves(true);
    let begun = probe.saves_begun();
    let call = tokio::spawn({
        let manager = manager.clone();
        async move {
            manager
                .call("j", |reply| JournalMsg::AppendAck(7, reply))
                .await
        }
    });
    eventually("the change's write has begun", || async {
        probe.saves_begun() > begun
    })
    .await;
    assert!(
        !call.is_finished(),
        "the session has replied, but its change is not stored yet"
    );
    probe.hold_saves(false);
    call.await.unwrap().unwrap();
    assert_eq!(stored_state(&*probe, "j").await, Some(json!([7])));
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_kill_with_write_through_loses_no_acknowledged_change() {
    let dir = tempfile::tempdir().unwrap();
    let starts = Arc::new(AtomicUsize::new(0));
    // A slow database: a write still under way at the kill would be seen as missing by
    // the reads right after it.
    let probe = Probe::new(sqlite(dir.path()).await);
    probe.slow_saves(Duration::from_millis(50));
    let before = manager(probe.clone(), write_through(), &starts).await;
    start_journal(&before, "j").await;
    for n in 0..20 {
        before
            .call("j", |reply| JournalMsg::AppendAck(n, reply))
            .await
            .unwrap();
    }
    drop(before);
    let acknowledged: Vec<u32> = (0..20).collect();
    assert_eq!(
        stored_state(&*sqlite(dir.path()).await, "j").await,
        Some(json!(acknowledged)),
        "every acknowledged change is in the database at the kill"
    );

    let after = manager(sqlite(dir.path()).await, write_through(), &starts).await;
    let entries = after.call("j", JournalMsg::Entries).await.unwrap();
    assert_eq!(entries, acknowledged);
    after.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_through_fails_a_call_whose_change_cannot_be_stored_and_writes_it_later() {
    let probe = Probe::new(Arc::new(MemoryStore::new()));
    let starts = Arc::new(AtomicUsize::new(0));
    let manager = manager(probe.clone(), write_through(), &starts).await;
    start_journal(&manager, "j").await;

    probe.fail_saves(true);
    let refused = manager
        .call("j", |reply| JournalMsg::AppendAck(1, reply))
        .await;
    assert!(
        matches!(refused, Err(SessionError::NotPersisted { .. })),
        "{refused:?}"
    );
    let other: Arc<dyn SessionStore> = probe.clone();
    assert_eq!(stored_state(&*other, "j").await, Some(json!([])));

    probe.fail_saves(false);
    manager.flush().await.unwrap();
    assert_eq!(
        stored_state(&*other, "j").await,
        Some(json!([1])),
        "kept in memory, written now"
    );
    assert_eq!(manager.call("j", JournalMsg::Entries).await.unwrap(), [1]);
    manager.shutdown().await;
}
