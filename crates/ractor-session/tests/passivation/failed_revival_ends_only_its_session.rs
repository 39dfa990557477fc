use std::time::Duration;

use ractor_session::{EndReason, SessionError};

use std::sync::atomic::Ordering;

use crate::support::{
    Tally, TallyMsg, UNRESTORABLE, parking, parks_after, parks_tallies_after, until_parked,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_that_fails_while_reviving_ends_only_that_session() {
    let (manager, tally) = parks_tallies_after(Duration::from_millis(100)).await;
    manager
        .start_with("broken", tally.clone(), UNRESTORABLE)
        .await
        .unwrap();
    manager.start_with("fine", tally.clone(), 1).await.unwrap();
    let broken = manager.watch("broken").await.unwrap();
    until_parked(&manager, 2).await;

    let error = manager.call("broken", TallyMsg::Total).await.unwrap_err();
    assert!(
        matches!(&error, SessionError::UnreadableRecord { session_type, .. } if session_type == "tally"),
        "{error:?}"
    );
    assert!(matches!(broken.await, EndReason::Crashed(_)));
    assert!(!manager.is_started("broken"));
    assert!(matches!(
        manager.call("broken", TallyMsg::Total).await,
        Err(SessionError::SessionNotFound { .. })
    ));

    assert_eq!(manager.call("fine", TallyMsg::Total).await.unwrap(), 1);
    assert_eq!(manager.count(), 1);
    assert_eq!(manager.counters().ended.crashed, 1);
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revived_actor_whose_pre_start_fails_ends_its_session_as_crashed() {
    let (manager, tally) = parks_tallies_after(Duration::from_millis(100)).await;
    manager.start_with("s1", tally.clone(), 1).await.unwrap();
    let watch = manager.watch("s1").await.unwrap();
    until_parked(&manager, 1).await;

    tally.refuse_starts.store(true, Ordering::SeqCst);
    let error = manager.call("s1", TallyMsg::Total).await.unwrap_err();
    assert!(
        matches!(error, SessionError::StartFailed { .. }),
        "{error:?}"
    );
    assert!(matches!(watch.await, EndReason::Crashed(_)));
    assert!(!manager.is_started("s1"));
    assert_eq!(manager.stats().parked, Some(0));
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_revival_given_up_by_its_caller_leaves_the_session_parked() {
    let tally = Tally {
        start_delay: Duration::from_secs(1),
        ..Tally::default()
    };
    let manager = parking(parks_after(Duration::from_secs(5)), &tally)
        .spawn()
        .await
        .unwrap();
    manager.start_with("s1", tally.clone(), 9).await.unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(manager.stats().parked, Some(1));

    // The caller gives up while the revived actor is still in its `pre_start`.
    let call = manager.call("s1", TallyMsg::Total);
    assert!(
        tokio::time::timeout(Duration::from_millis(100), call)
            .await
            .is_err()
    );
    assert_eq!(manager.stats().parked, Some(1), "parked again, as it was");
    assert!(manager.is_started("s1"));

    // Revived by the next call (not left half-revived, which would make it wait forever).
    let next = manager.call("s1", TallyMsg::Total);
    let total = tokio::time::timeout(Duration::from_secs(60), next).await;
    assert_eq!(total.expect("revived by the next call").unwrap(), 9);
    assert_eq!(tally.starts(), 2, "the given-up actor never started");
    manager.shutdown().await;
}
