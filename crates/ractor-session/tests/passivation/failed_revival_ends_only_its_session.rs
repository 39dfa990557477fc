use std::time::Duration;

use ractor_session::{EndReason, SessionError};

use crate::support::{TallyMsg, UNRESTORABLE, parks_tallies_after, until_parked};

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
