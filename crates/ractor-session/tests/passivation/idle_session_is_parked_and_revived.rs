use std::time::Duration;

use ractor_session::EndReason;

use crate::support::{TallyMsg, actors, parks_tallies_after, until_parked};

#[tokio::test]
async fn a_session_idle_past_passivate_after_has_no_actor_and_answers_with_its_old_state() {
    let (manager, tally) = parks_tallies_after(Duration::from_millis(200)).await;
    manager.start_with("s1", tally.clone(), 40).await.unwrap();
    manager.cast("s1", TallyMsg::Add(2)).await.unwrap();
    let watch = manager.watch("s1").await.unwrap();

    until_parked(&manager, 1).await;
    assert_eq!(
        actors(&manager),
        0,
        "no actor among the supervisor's children"
    );
    assert_eq!(tally.stops(), 1, "its actor's post_stop ran");
    assert!(manager.is_started("s1"), "the ID stays valid");
    assert_eq!(manager.count(), 1);
    assert_eq!(manager.stats().live, 0);
    assert_eq!(manager.counters().passivated, Some(1));

    let total = manager.call("s1", TallyMsg::Total).await.unwrap();
    assert_eq!(total, 42, "revived with the state it had");
    assert_eq!(tally.starts(), 2, "one new actor");
    assert_eq!(actors(&manager), 1);
    assert_eq!(manager.counters().revived, Some(1));
    assert_eq!(manager.counters().ended.total(), 0, "parking is not an end");

    manager.terminate("s1").await.unwrap();
    assert_eq!(
        watch.await,
        EndReason::Terminated,
        "the watch made before parking holds"
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn a_parked_session_is_terminated_without_being_revived() {
    let (manager, tally) = parks_tallies_after(Duration::from_millis(100)).await;
    manager.start_with("s1", tally.clone(), 1).await.unwrap();
    let watch = manager.watch("s1").await.unwrap();
    until_parked(&manager, 1).await;

    manager.terminate("s1").await.unwrap();
    assert_eq!(watch.await, EndReason::Terminated);
    assert_eq!(tally.starts(), 1, "not revived to be ended");
    assert!(!manager.is_started("s1"));
    assert_eq!(manager.stats().parked, Some(0));
    assert_eq!(manager.counters().ended.terminated, 1);
    manager.shutdown().await;
}
