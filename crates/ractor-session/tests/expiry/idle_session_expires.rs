//! Idle and absolute expiry, on tokio's paused clock.
//!
//! With `start_paused`, tokio moves the clock straight to the next timer whenever every
//! task is idle, so these tests wait minutes of session time in no real time, and the
//! instant a session ends is exact.

use std::time::Duration;

use ractor_session::{EndReason, KvMsg, SessionConfig, SessionManager};
use ractor_session_test_support::actors::{Counter, CounterMsg};
use ractor_session_test_support::config::config;
use tokio::time::{Instant, advance, sleep};

const TTL: Duration = Duration::from_secs(10);

/// The slack `docs/runtime-semantics.md` promises past a deadline: max(1 s, 2 % of the TTL).
fn slack(ttl: Duration) -> Duration {
    (ttl / 50).max(Duration::from_secs(1))
}

fn ttl_config() -> SessionConfig {
    config().with_idle_timeout(TTL)
}

/// Lets every ready task run (the paused clock does not move while tasks are busy).
async fn settle() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn an_idle_session_expires_at_its_deadline_with_reason_expired() {
    let manager = SessionManager::spawn(ttl_config()).await.unwrap();
    let began = Instant::now();
    manager.start("idle").await.unwrap();
    manager
        .start_with("idle-counter", Counter, 0)
        .await
        .unwrap();
    let watch = manager.watch("idle").await.unwrap();
    let counter_watch = manager.watch("idle-counter").await.unwrap();

    assert_eq!(watch.await, EndReason::Expired);
    let lived = began.elapsed();
    assert!(lived >= TTL, "expired early, after {lived:?}");
    assert!(lived <= TTL + slack(TTL), "expired late, after {lived:?}");
    assert_eq!(
        counter_watch.await,
        EndReason::Expired,
        "every session type expires"
    );
    assert!(!manager.is_started("idle"));
    assert_eq!(manager.count(), 0);
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_session_is_alive_just_before_its_deadline_and_gone_just_after() {
    let manager = SessionManager::spawn(ttl_config()).await.unwrap();
    manager.start("s").await.unwrap();
    advance(TTL - Duration::from_millis(1)).await;
    settle().await;
    assert!(manager.is_started("s"), "expired before its deadline");
    advance(Duration::from_millis(2)).await;
    settle().await;
    assert!(!manager.is_started("s"), "still live past its deadline");
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn activity_within_a_millisecond_is_not_rounded_into_an_early_expiry() {
    let manager = SessionManager::spawn(ttl_config()).await.unwrap();
    // Start (and later touch) the session between two millisecond ticks of the clock.
    advance(Duration::from_micros(700)).await;
    manager.start("s").await.unwrap();
    let started = Instant::now();
    advance(TTL - Duration::from_micros(200)).await;
    settle().await;
    assert!(started.elapsed() < TTL);
    assert!(
        manager.is_started("s"),
        "expired {:?} before its deadline",
        TTL - started.elapsed()
    );

    manager.touch("s").await.unwrap();
    let touched = Instant::now();
    advance(TTL - Duration::from_micros(300)).await;
    settle().await;
    assert!(touched.elapsed() < TTL);
    assert!(
        manager.is_started("s"),
        "expired before the deadline of its last touch"
    );
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn calls_casts_and_touches_keep_a_session_alive_across_several_ttls() {
    let manager = SessionManager::spawn(ttl_config()).await.unwrap();
    manager.start("busy").await.unwrap();
    let began = Instant::now();
    let mut last_activity = Instant::now();
    let mut step = 0;
    while began.elapsed() < TTL * 5 {
        sleep(TTL * 6 / 10).await;
        assert!(
            manager.is_started("busy"),
            "expired at {:?} despite activity",
            began.elapsed()
        );
        match step % 3 {
            0 => {
                manager.call("busy", KvMsg::Ping).await.unwrap();
            }
            1 => manager
                .cast("busy", KvMsg::put("step", step))
                .await
                .unwrap(),
            _ => manager.touch("busy").await.unwrap(),
        }
        last_activity = Instant::now();
        step += 1;
    }
    assert!(step >= 9);

    // Left alone, it expires one TTL after its last activity.
    let watch = manager.watch("busy").await.unwrap();
    assert_eq!(watch.await, EndReason::Expired);
    let idle = last_activity.elapsed();
    assert!(
        idle >= TTL && idle <= TTL + slack(TTL),
        "expired after {idle:?} idle"
    );
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_restarted_id_is_not_hit_by_the_earlier_sessions_timer() {
    let manager = SessionManager::spawn(ttl_config()).await.unwrap();
    let first = manager.start("s").await.unwrap();
    sleep(TTL * 6 / 10).await;
    manager.terminate("s").await.unwrap();
    let second = manager.start("s").await.unwrap();
    let restarted = Instant::now();
    let watch = manager.watch("s").await.unwrap();

    // Past the first session's deadline the second one is still there.
    sleep(TTL / 2).await;
    settle().await;
    assert!(manager.is_started("s"));
    assert_eq!(
        manager.lookup::<KvMsg>("s").await.unwrap().get_id(),
        second.get_id()
    );

    assert_eq!(watch.await, EndReason::Expired);
    let lived = restarted.elapsed();
    assert!(
        lived >= TTL && lived <= TTL + slack(TTL),
        "second session lived {lived:?}"
    );
    assert_ne!(first.get_id(), second.get_id());
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_rotated_session_keeps_its_deadline_under_its_new_id() {
    let manager = SessionManager::spawn(ttl_config()).await.unwrap();
    manager.start("before").await.unwrap();
    let began = Instant::now();
    let old_watch = manager.watch("before").await.unwrap();
    let new_id = manager.rotate("before").await.unwrap();
    assert_eq!(old_watch.await, EndReason::Rotated);
    let watch = manager.watch(&new_id).await.unwrap();
    assert_eq!(watch.await, EndReason::Expired);
    let lived = began.elapsed();
    assert!(lived >= TTL && lived <= TTL + slack(TTL), "lived {lived:?}");
    assert_eq!(manager.count(), 0);
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_absolute_lifetime_stops_a_busy_session() {
    let max_age = Duration::from_secs(25);
    let manager = SessionManager::spawn(ttl_config().with_max_lifetime(Some(max_age)))
        .await
        .unwrap();
    manager.start_with("busy", Counter, 0).await.unwrap();
    let began = Instant::now();
    let watch = manager.watch("busy").await.unwrap();
    // Activity every 2 s, far inside the idle timeout, right up to the lifetime.
    while began.elapsed() + Duration::from_secs(2) < max_age {
        sleep(Duration::from_secs(2)).await;
        manager.cast("busy", CounterMsg::Add(1)).await.unwrap();
        manager.touch("busy").await.unwrap();
    }
    assert_eq!(watch.await, EndReason::Expired);
    let lived = began.elapsed();
    assert!(lived >= max_age, "stopped early, after {lived:?}");
    assert!(
        lived <= max_age + slack(max_age),
        "stopped late, after {lived:?}"
    );
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_hour_long_default_ttl_expires_within_its_slack() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let ttl = manager.config().idle_timeout;
    assert_eq!(ttl, Duration::from_secs(3600));
    manager.start("s").await.unwrap();
    let began = Instant::now();
    assert_eq!(manager.watch("s").await.unwrap().await, EndReason::Expired);
    let lived = began.elapsed();
    assert!(lived >= ttl && lived <= ttl + slack(ttl), "lived {lived:?}");
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn many_sessions_expire_each_at_its_own_deadline() {
    let manager = SessionManager::spawn(ttl_config()).await.unwrap();
    let began = Instant::now();
    let mut watches = Vec::new();
    for i in 0..100u64 {
        manager.start(format!("s{i}")).await.unwrap();
        watches.push((i, manager.watch(format!("s{i}")).await.unwrap()));
        sleep(Duration::from_millis(100)).await;
    }
    for (i, watch) in watches {
        assert_eq!(watch.await, EndReason::Expired);
        let deadline = Duration::from_millis(100 * i) + TTL;
        let at = began.elapsed();
        assert!(
            at >= deadline,
            "s{i} expired at {at:?}, before {deadline:?}"
        );
    }
    assert_eq!(manager.count(), 0);
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_works_on_the_real_clock() {
    let ttl = Duration::from_millis(50);
    let manager = SessionManager::spawn(config().with_idle_timeout(ttl))
        .await
        .unwrap();
    let began = std::time::Instant::now();
    manager.start("s").await.unwrap();
    assert_eq!(manager.watch("s").await.unwrap().await, EndReason::Expired);
    assert!(began.elapsed() >= ttl);
    assert!(!manager.is_started("s"));
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn timeouts_of_years_still_expire() {
    // Beyond the ~2.2 years a timer wheel slot can hold: the deadline must still be met.
    let year = Duration::from_secs(365 * 24 * 3600);
    let manager = SessionManager::spawn(config().with_idle_timeout(year * 3))
        .await
        .unwrap();
    manager.start("patient").await.unwrap();
    let began = Instant::now();
    let watch = manager.watch("patient").await.unwrap();
    manager.start("other").await.unwrap();
    let reason = tokio::time::timeout(year * 4, watch).await;
    assert_eq!(reason, Ok(EndReason::Expired));
    let lived = began.elapsed();
    assert!(
        lived >= year * 3 && lived <= year * 3 + slack(year * 3),
        "lived {lived:?}"
    );

    let lifetime = SessionManager::spawn(
        config()
            .with_idle_timeout(year * 50)
            .with_max_lifetime(Some(year * 10)),
    )
    .await
    .unwrap();
    lifetime.start("old").await.unwrap();
    let began = Instant::now();
    let watch = lifetime.watch("old").await.unwrap();
    assert_eq!(
        tokio::time::timeout(year * 11, watch).await,
        Ok(EndReason::Expired)
    );
    assert!(began.elapsed() >= year * 10);
    manager.shutdown().await;
    lifetime.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn expiry_keeps_working_after_years_without_sessions() {
    let manager = SessionManager::spawn(ttl_config()).await.unwrap();
    manager.start("first").await.unwrap();
    assert_eq!(
        manager.watch("first").await.unwrap().await,
        EndReason::Expired
    );
    // Nothing to expire for three years, then a session again.
    advance(Duration::from_secs(3 * 365 * 24 * 3600)).await;
    manager.start("later").await.unwrap();
    let began = Instant::now();
    let watch = manager.watch("later").await.unwrap();
    assert_eq!(
        tokio::time::timeout(TTL * 2, watch).await,
        Ok(EndReason::Expired)
    );
    assert!(began.elapsed() >= TTL);
    manager.shutdown().await;
}
