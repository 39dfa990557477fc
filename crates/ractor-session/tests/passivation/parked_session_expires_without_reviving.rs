use std::time::Duration;

use ractor_session::{EndReason, SessionError};

use crate::support::{Tally, TallyMsg, actors, parking};
use ractor_session_test_support::config::config;

#[tokio::test(start_paused = true)]
async fn a_parked_session_expires_on_time_and_its_watchers_see_expired() {
    let tally = Tally::default();
    let config = config()
        .with_idle_timeout(Duration::from_secs(10))
        .with_passivate_after(Some(Duration::from_secs(1)));
    let manager = parking(config, &tally).spawn().await.unwrap();
    manager.start_with("s1", tally.clone(), 5).await.unwrap();
    let watch = manager.watch("s1").await.unwrap();
    let started = tokio::time::Instant::now();

    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        manager.stats().parked,
        Some(1),
        "parked after a second idle"
    );
    assert_eq!(actors(&manager), 0);

    // Just before its idle deadline it is still there, parked.
    tokio::time::sleep_until(started + Duration::from_millis(9_900)).await;
    assert!(manager.is_started("s1"));
    assert_eq!(manager.stats().parked, Some(1));

    assert_eq!(watch.await, EndReason::Expired);
    assert!(
        started.elapsed() >= Duration::from_secs(10),
        "not before its deadline"
    );
    assert!(
        started.elapsed() <= Duration::from_millis(10_100),
        "within a tick or so"
    );
    assert_eq!(tally.starts(), 1, "never revived to be ended");
    assert!(!manager.is_started("s1"));
    assert_eq!(manager.stats().parked, Some(0), "its bytes are freed");
    assert_eq!(manager.counters().ended.expired, 1);
    assert!(matches!(
        manager.call("s1", TallyMsg::Total).await,
        Err(SessionError::SessionNotFound { .. })
    ));
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_parked_session_ends_at_its_absolute_lifetime() {
    let tally = Tally::default();
    let config = config()
        .with_idle_timeout(Duration::from_secs(60))
        .with_max_lifetime(Some(Duration::from_secs(5)))
        .with_passivate_after(Some(Duration::from_secs(1)));
    let manager = parking(config, &tally).spawn().await.unwrap();
    manager.start_with("s1", tally.clone(), 5).await.unwrap();
    let watch = manager.watch("s1").await.unwrap();
    assert_eq!(watch.await, EndReason::Expired);
    assert_eq!(tally.starts(), 1, "never revived to be ended");
    assert_eq!(manager.counters().passivated, Some(1));
    manager.shutdown().await;
}
