use std::time::Duration;

use futures_util::future::join_all;

use crate::support::{TallyMsg, actors, folded, parks_tallies_after, until_parked};

const CALLERS: u64 = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_racing_calls_to_a_parked_session_revive_one_actor() {
    let (manager, tally) = parks_tallies_after(Duration::from_millis(100)).await;
    manager.start_with("s1", tally.clone(), 0).await.unwrap();
    until_parked(&manager, 1).await;
    let starts = tally.starts();

    let calls = (0..CALLERS).map(|_| {
        let manager = manager.clone();
        async move {
            manager
                .call("s1", |r| TallyMsg::AddAndGet(1, r))
                .await
                .unwrap()
        }
    });
    let mut replies = join_all(calls).await;
    replies.sort_unstable();

    assert_eq!(
        replies,
        (1..=CALLERS).collect::<Vec<_>>(),
        "64 replies, each a change"
    );
    assert_eq!(tally.starts(), starts + 1, "exactly one actor revived");
    assert_eq!(actors(&manager), 1);
    assert_eq!(manager.call("s1", TallyMsg::Total).await.unwrap(), CALLERS);
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn casts_to_a_parked_session_are_delivered_in_order_and_none_is_lost() {
    let (manager, tally) = parks_tallies_after(Duration::from_millis(100)).await;
    manager.start_with("s1", tally.clone(), 7).await.unwrap();
    let session = manager.session("s1").unwrap();
    until_parked(&manager, 1).await;

    // Sync casts through the handle: queued while there is no actor, then delivered first.
    for n in 0..200 {
        session.cast(TallyMsg::Fold(n)).unwrap();
    }
    let total = manager.call("s1", TallyMsg::Total).await.unwrap();
    assert_eq!(total, folded(7, 0..200));
    manager.shutdown().await;
}
