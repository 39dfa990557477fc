//! `count()` and `list()` describe the same sessions: live ones. A session whose actor is
//! still starting is neither counted nor listed; `stats()` reports it as `starting`.

use std::sync::Arc;

use ractor::{Actor, ActorProcessingErr, ActorRef};
use ractor_session::SessionManager;
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;
use tokio::sync::Semaphore;

/// A session whose `pre_start` waits until the test lets it finish.
struct HeldAtStart;

impl Actor for HeldAtStart {
    type Msg = ();
    type State = ();
    type Arguments = Arc<Semaphore>;

    async fn pre_start(
        &self,
        _: ActorRef<()>,
        gate: Arc<Semaphore>,
    ) -> Result<(), ActorProcessingErr> {
        let _permit = gate.acquire().await?;
        Ok(())
    }
}

#[tokio::test]
async fn a_session_still_starting_is_neither_counted_nor_listed() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start("live").await.unwrap();

    let gate = Arc::new(Semaphore::new(0));
    let starting = {
        let manager = manager.clone();
        let gate = Arc::clone(&gate);
        tokio::spawn(async move { manager.start_with("held", HeldAtStart, gate).await })
    };
    eventually("the held start is under way", || async {
        manager.stats().starting == 1
    })
    .await;

    let stats = manager.stats();
    assert_eq!(stats.live, 1);
    assert_eq!(manager.list().len(), 1);
    assert_eq!(manager.count(), 1, "count() agrees with list()");
    assert!(!manager.is_started("held"));

    gate.add_permits(1);
    starting.await.unwrap().unwrap();
    assert_eq!(manager.stats().starting, 0);
    assert_eq!(manager.count(), 2);
    assert_eq!(manager.list().len(), 2);
    manager.shutdown().await;
}
