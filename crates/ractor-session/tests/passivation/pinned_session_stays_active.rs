use std::time::Duration;

use crate::support::{TallyMsg, actors, parks_tallies_after};

#[tokio::test(start_paused = true)]
async fn a_pinned_session_is_not_parked_until_its_pin_goes() {
    let (manager, tally) = parks_tallies_after(Duration::from_secs(1)).await;
    manager.start_with("s1", tally.clone(), 3).await.unwrap();
    let pin = manager.session("s1").unwrap().pin();

    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(manager.stats().parked, Some(0), "pinned: kept active");
    assert_eq!(actors(&manager), 1);

    drop(pin);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        manager.stats().parked,
        Some(1),
        "parked once unpinned and idle"
    );
    assert_eq!(manager.call("s1", TallyMsg::Total).await.unwrap(), 3);
    manager.shutdown().await;
}

/// An actor type no one registers as durable.
struct Plain;

impl ractor::Actor for Plain {
    type Msg = ();
    type State = ();
    type Arguments = ();

    async fn pre_start(
        &self,
        _: ractor::ActorRef<()>,
        _: (),
    ) -> Result<(), ractor::ActorProcessingErr> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn sessions_of_types_that_are_not_durable_are_never_parked() {
    let (manager, tally) = parks_tallies_after(Duration::from_secs(1)).await;
    manager.start_with("plain", Plain, ()).await.unwrap();
    manager.start_with("tally", tally.clone(), 0).await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(manager.stats().parked, Some(1), "the durable one parked");
    assert_eq!(actors(&manager), 1, "the other kept its actor");
    assert!(
        manager
            .list()
            .iter()
            .any(|info| !info.parked && info.actor_id.is_some())
    );
    manager.shutdown().await;
}
