//! Operations racing to revive one stored session start exactly one actor, and each
//! caller's messages reach it in the order that caller sent them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ractor_session::{DurabilityConfig, SessionManager};
use tokio::sync::Barrier;

use super::support::{JournalMsg, manager, sqlite, start_journal};

/// A journal stored under `id` in the SQLite file in `dir`, by a manager that shut down.
async fn stored_journal(dir: &std::path::Path, id: &str) {
    let starts = Arc::new(AtomicUsize::new(0));
    let before = manager(sqlite(dir).await, DurabilityConfig::default(), &starts).await;
    start_journal(&before, id).await;
    before.shutdown().await;
}

/// A manager on the SQLite file in `dir`, counting its journal actors in `starts`.
async fn restarted(dir: &std::path::Path, starts: &Arc<AtomicUsize>) -> SessionManager {
    let durability = DurabilityConfig::default().with_flush_interval(Duration::from_millis(20));
    manager(sqlite(dir).await, durability, starts).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_racing_operations_revive_exactly_one_actor() {
    let dir = tempfile::tempdir().unwrap();
    stored_journal(dir.path(), "j").await;
    let starts = Arc::new(AtomicUsize::new(0));
    let manager = restarted(dir.path(), &starts).await;

    let barrier = Arc::new(Barrier::new(64));
    let calls: Vec<_> = (0..64)
        .map(|n| {
            let (manager, barrier) = (manager.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                manager
                    .call("j", |reply| JournalMsg::AppendAck(n, reply))
                    .await
            })
        })
        .collect();
    for call in calls {
        call.await
            .unwrap()
            .expect("every racing call gets its reply");
    }
    assert_eq!(starts.load(Ordering::SeqCst), 1, "one actor was started");
    assert_eq!(manager.supervisor().get_children().len(), 1);
    assert_eq!(manager.count(), 1);
    let mut entries = manager.call("j", JournalMsg::Entries).await.unwrap();
    entries.sort_unstable();
    assert_eq!(entries, (0..64).collect::<Vec<_>>(), "no message was lost");
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_while_a_session_revives_arrive_in_each_senders_order() {
    const SENDERS: u32 = 8;
    const EACH: u32 = 25;
    let dir = tempfile::tempdir().unwrap();
    stored_journal(dir.path(), "j").await;
    let starts = Arc::new(AtomicUsize::new(0));
    let manager = restarted(dir.path(), &starts).await;

    let barrier = Arc::new(Barrier::new(SENDERS as usize));
    let senders: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let (manager, barrier) = (manager.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                for n in 0..EACH {
                    let message = JournalMsg::Append(sender * 1_000 + n);
                    manager.cast("j", message).await.unwrap();
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.unwrap();
    }
    let entries = manager.call("j", JournalMsg::Entries).await.unwrap();
    assert_eq!(entries.len(), (SENDERS * EACH) as usize, "none lost");
    for sender in 0..SENDERS {
        let own: Vec<u32> = entries
            .iter()
            .copied()
            .filter(|n| n / 1_000 == sender)
            .collect();
        let expected: Vec<u32> = (0..EACH).map(|n| sender * 1_000 + n).collect();
        assert_eq!(own, expected, "sender {sender}'s messages in its order");
    }
    assert_eq!(starts.load(Ordering::SeqCst), 1);
    manager.shutdown().await;
}
