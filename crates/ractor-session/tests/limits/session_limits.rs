//! `max_sessions` and `rate_limit` are exact under concurrency, free a slot at once when a
//! session ends, and charge only for sessions really started.

use std::sync::Arc;
use std::time::Duration;

use ractor_session::{EndReason, SessionError, SessionManager};
use ractor_session_test_support::actors::{Counter, CounterMsg, Fault, Faulty};
use ractor_session_test_support::config::config;

#[tokio::test]
async fn the_fifth_start_is_refused_and_terminate_frees_a_slot_at_once() {
    let manager = SessionManager::spawn(config().with_max_sessions(4))
        .await
        .unwrap();
    for i in 0..4 {
        manager.start(format!("s{i}")).await.unwrap();
    }
    match manager.start("s4").await {
        Err(err @ SessionError::SessionLimitReached { max: 4 }) => {
            assert_eq!(
                err.to_string(),
                "Maximum concurrent sessions limit (4) reached"
            );
        }
        other => panic!("expected SessionLimitReached, got {other:?}"),
    }
    assert!(!manager.is_started("s4"));
    assert!(matches!(
        manager.get_or_start("s4").await,
        Err(SessionError::SessionLimitReached { max: 4 })
    ));
    // Looking up a live one still works at the limit.
    assert!(manager.get_or_start("s0").await.is_ok());

    manager.terminate("s0").await.unwrap();
    manager.start("s4").await.unwrap();
    assert_eq!(manager.count(), 4);
    assert!(matches!(
        manager.start("s5").await,
        Err(SessionError::SessionLimitReached { max: 4 })
    ));
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_starts_against_ten_slots_admit_exactly_ten() {
    let manager = SessionManager::spawn(config().with_max_sessions(10))
        .await
        .unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(100));
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let manager = manager.clone();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                manager.start(format!("s{i}")).await
            })
        })
        .collect();
    let mut ok = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(SessionError::SessionLimitReached { max: 10 }) => refused += 1,
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!((ok, refused), (10, 90));
    assert_eq!(manager.count(), 10);
    assert_eq!(manager.list().len(), 10);
    assert_eq!(manager.supervisor().get_children().len(), 10);
    manager.shutdown().await;
}

#[tokio::test]
async fn expiry_and_crashes_free_their_slots() {
    let manager = SessionManager::spawn(
        config()
            .with_max_sessions(1)
            .with_idle_timeout(Duration::from_millis(20)),
    )
    .await
    .unwrap();
    manager.start("short").await.unwrap();
    assert_eq!(
        manager.watch("short").await.unwrap().await,
        EndReason::Expired
    );
    assert_eq!(manager.count(), 0);

    manager.start_with("crashy", Counter, 0).await.unwrap();
    let watch = manager.watch("crashy").await.unwrap();
    manager
        .cast("crashy", CounterMsg::Fail("gave up".into()))
        .await
        .unwrap();
    assert!(matches!(watch.await, EndReason::Crashed(_)));
    assert_eq!(manager.count(), 0);
    manager.start("next").await.unwrap();
    manager.shutdown().await;
}

#[tokio::test]
async fn a_failed_start_gives_its_slot_back() {
    let manager = SessionManager::spawn(config().with_max_sessions(1))
        .await
        .unwrap();
    for _ in 0..3 {
        assert!(matches!(
            manager
                .start_with("s", Faulty, Fault::RefuseStart("no"))
                .await,
            Err(SessionError::StartFailed { .. })
        ));
    }
    assert_eq!(manager.count(), 0);
    manager.start("s").await.unwrap();
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_sixth_start_in_a_minute_is_rate_limited() {
    let manager = SessionManager::spawn(config().with_rate_limit(Some(5)))
        .await
        .unwrap();
    for i in 0..5 {
        manager.start(format!("s{i}")).await.unwrap();
    }
    match manager.start("s5").await {
        Err(err @ SessionError::RateLimitExceeded { limit: 5 }) => {
            assert_eq!(
                err.to_string(),
                "Rate limit exceeded: maximum 5 sessions per minute"
            );
        }
        other => panic!("expected RateLimitExceeded, got {other:?}"),
    }
    assert!(!manager.is_started("s5"));
    // Terminating frees a slot but not a token.
    manager.terminate("s0").await.unwrap();
    assert!(matches!(
        manager.start("s0").await,
        Err(SessionError::RateLimitExceeded { limit: 5 })
    ));
    // Tokens come back over the minute: one every 12 s.
    tokio::time::sleep(Duration::from_secs(12)).await;
    manager.start("s5").await.unwrap();
    assert!(matches!(
        manager.start("s6").await,
        Err(SessionError::RateLimitExceeded { limit: 5 })
    ));
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn refused_and_already_started_attempts_take_no_token() {
    let manager = SessionManager::spawn(config().with_rate_limit(Some(5)).with_max_sessions(4))
        .await
        .unwrap();
    for i in 0..4 {
        manager.start(format!("s{i}")).await.unwrap();
    }
    for _ in 0..10 {
        assert!(matches!(
            manager.start("s1").await,
            Err(SessionError::AlreadyStarted { .. })
        ));
        manager.get_or_start("s2").await.unwrap();
        assert!(matches!(
            manager.start("over").await,
            Err(SessionError::SessionLimitReached { .. })
        ));
        assert!(matches!(
            manager
                .start_with("s9", Faulty, Fault::RefuseStart("no"))
                .await,
            Err(SessionError::SessionLimitReached { .. })
        ));
    }
    manager.terminate("s0").await.unwrap();
    for _ in 0..5 {
        assert!(matches!(
            manager
                .start_with("fails", Faulty, Fault::RefuseStart("no"))
                .await,
            Err(SessionError::StartFailed { .. })
        ));
    }
    // Only four tokens were spent, on the four real starts.
    manager.start("s4").await.unwrap();
    manager.terminate("s4").await.unwrap();
    assert!(matches!(
        manager.start("s5").await,
        Err(SessionError::RateLimitExceeded { limit: 5 })
    ));
    manager.shutdown().await;
}

#[tokio::test]
async fn a_zero_or_absent_rate_limit_disables_it() {
    for rate in [None, Some(0)] {
        let manager = SessionManager::spawn(config().with_rate_limit(rate))
            .await
            .unwrap();
        for i in 0..300 {
            manager.start(format!("s{i}")).await.unwrap();
        }
        assert_eq!(manager.count(), 300);
        manager.shutdown().await;
    }
}

#[tokio::test]
async fn invalid_limits_are_refused_at_spawn() {
    match SessionManager::spawn(config().with_max_sessions(0)).await {
        Err(
            err @ SessionError::InvalidConfig {
                field: "max_sessions",
                ..
            },
        ) => {
            assert!(err.to_string().contains("max_sessions"), "{err}");
        }
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}
