//! Racing starts of one ID spawn exactly one actor.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef};
use ractor_session::{SessionError, SessionManager};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;
use tokio::sync::Barrier;

/// Counts how many actors were really spawned (its `pre_start` ran).
struct Spawned(Arc<AtomicUsize>);

impl Actor for Spawned {
    type Msg = ();
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<()>, (): ()) -> Result<(), ActorProcessingErr> {
        self.0.fetch_add(1, Ordering::SeqCst);
        // Widen the window in which other starters find the ID being started.
        tokio::time::sleep(Duration::from_millis(5)).await;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_racing_starts_spawn_one_actor() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let spawned = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(64));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (manager, barrier, spawned) =
                (manager.clone(), Arc::clone(&barrier), Arc::clone(&spawned));
            tokio::spawn(async move {
                barrier.wait().await;
                manager.start_with("contested", Spawned(spawned), ()).await
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(actor) => winners.push(actor.get_id()),
            Err(SessionError::AlreadyStarted { actor, .. }) => losers.push(actor.get_id()),
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(losers.len(), 63);
    assert!(
        losers.iter().all(|id| *id == winners[0]),
        "all saw the one live actor"
    );
    assert_eq!(
        spawned.load(Ordering::SeqCst),
        1,
        "exactly one actor was spawned"
    );
    assert_eq!(manager.count(), 1);
    assert_eq!(manager.supervisor().get_children().len(), 1);
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_racing_get_or_starts_share_one_actor() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let spawned = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(64));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (manager, barrier) = (manager.clone(), Arc::clone(&barrier));
            let (spawned, made) = (Arc::clone(&spawned), Arc::clone(&made));
            tokio::spawn(async move {
                barrier.wait().await;
                manager
                    .get_or_start_with("contested", move || {
                        made.fetch_add(1, Ordering::SeqCst);
                        (Spawned(spawned), ())
                    })
                    .await
                    .map(|actor| actor.get_id())
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap());
    }
    assert!(ids.iter().all(|id| *id == ids[0]));
    assert_eq!(spawned.load(Ordering::SeqCst), 1);
    assert_eq!(made.load(Ordering::SeqCst), 1, "the factory ran once");
    assert_eq!(manager.count(), 1);
    manager.shutdown().await;
}

/// Fails its start when told to, so the test controls how long the start is under way.
struct SlowFailure;

impl Actor for SlowFailure {
    type Msg = ();
    type State = ();
    type Arguments = tokio::sync::oneshot::Receiver<()>;

    async fn pre_start(
        &self,
        _: ActorRef<()>,
        fail: Self::Arguments,
    ) -> Result<(), ActorProcessingErr> {
        let _ = fail.await;
        Err("refused".into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starters_waiting_on_a_failed_start_try_again() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let (fail, failing) = tokio::sync::oneshot::channel();
    let first = {
        let manager = manager.clone();
        tokio::spawn(async move { manager.start_with("s", SlowFailure, failing).await })
    };
    // Let the failing start take the ID first.
    eventually("the first start is under way", || async {
        manager.stats().starting == 1
    })
    .await;
    let second = {
        let manager = manager.clone();
        tokio::spawn(async move { manager.get_or_start("s").await })
    };
    // Give the second start time to find the first under way and wait for it.
    tokio::time::sleep(Duration::from_millis(20)).await;
    fail.send(()).unwrap();
    let second = second.await.unwrap();
    assert!(matches!(
        first.await.unwrap(),
        Err(SessionError::StartFailed { .. })
    ));
    assert!(second.is_ok(), "{second:?}");
    assert!(manager.is_started("s"));
    assert_eq!(manager.count(), 1);
    manager.shutdown().await;
}
