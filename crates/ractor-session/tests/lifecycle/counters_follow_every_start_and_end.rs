//! The manager's cumulative counters: each start counts once, each end once under its
//! reason, a rotation under `rotated`, a refused or failed start not at all; managers count
//! apart; `stats()` carries the same figures.

use std::time::Duration;

use ractor_session::{Admission, EndCounts, KvSession, SessionManager};
use ractor_session_test_support::actors::{Counter, CounterMsg, Fault, Faulty};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;

fn ended(manager: &SessionManager) -> EndCounts {
    manager.counters().ended
}

#[tokio::test]
async fn starts_terminations_crashes_and_rotations_are_counted() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let other = SessionManager::spawn(config()).await.unwrap();
    assert_eq!(manager.counters(), Default::default());

    for id in ["a", "b", "c", "d"] {
        manager.start_with(id, Counter, 0).await.unwrap();
    }
    assert_eq!(manager.counters().started, 4);
    // Refused and failed starts are not starts.
    assert!(manager.start_with("a", Counter, 0).await.is_err());
    assert!(manager.start("bad id!").await.is_err());
    let refused = manager
        .start_with("f", Faulty, Fault::RefuseStart("no"))
        .await;
    assert!(refused.is_err());
    assert_eq!(manager.counters().started, 4);

    manager.terminate("a").await.unwrap();
    assert_eq!(ended(&manager).terminated, 1);

    // A session that stops itself ended as terminated too.
    manager.cast("b", CounterMsg::Stop).await.unwrap();
    eventually("the self-stopped session is counted", || async {
        ended(&manager).terminated == 2
    })
    .await;

    manager
        .cast("c", CounterMsg::Panic("boom".into()))
        .await
        .unwrap();
    eventually("the crash is counted", || async {
        ended(&manager).crashed == 1
    })
    .await;

    let new_id = manager.rotate("d").await.unwrap();
    let counters = manager.counters();
    assert_eq!(counters.rotated, 1);
    assert_eq!(counters.ended.total(), 3, "a rotation is no end");
    assert!(manager.is_started(&new_id));

    assert_eq!(other.counters(), Default::default(), "managers count apart");
    let stats = manager.stats();
    assert_eq!(stats.counters, manager.counters());
    assert_eq!(stats.parked, None, "no session is ever parked");
    manager.shutdown().await;
    other.shutdown().await;
}

#[tokio::test]
async fn evictions_and_shutdown_are_counted() {
    let manager = SessionManager::spawn(config().with_max_sessions(2))
        .await
        .unwrap();
    let visitor = Admission::default().provisional();
    let make = || (KvSession, Default::default());
    for id in ["v1", "v2", "v3"] {
        manager
            .get_or_start_session_admitted(id, make, visitor)
            .await
            .unwrap();
    }
    eventually("the eviction is counted", || async {
        ended(&manager).evicted == 1
    })
    .await;

    manager.shutdown().await;
    let counters = manager.counters();
    assert_eq!(counters.started, 3);
    assert_eq!(counters.ended.shutdown, 2);
    assert_eq!(counters.ended.total(), 3, "every start ended once");
}

#[tokio::test(start_paused = true)]
async fn expiry_is_counted() {
    let ttl = Duration::from_secs(10);
    let manager = SessionManager::spawn(config().with_idle_timeout(ttl))
        .await
        .unwrap();
    manager.start("idle").await.unwrap();
    let watch = manager.watch("idle").await.unwrap();
    watch.await;
    eventually("the expiry is counted", || async {
        ended(&manager).expired == 1
    })
    .await;
    assert_eq!(ended(&manager).total(), 1);
    manager.shutdown().await;
}
