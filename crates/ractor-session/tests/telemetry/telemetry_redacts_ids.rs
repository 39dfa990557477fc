//! Start, stop, call, cast, expiry and start errors emit `tracing` events and `metrics`
//! series labelled with the session type and durations in real units; no raw session ID
//! appears in any of them.
//!
//! The code runs on the current-thread runtime with a paused clock that `capture` builds,
//! so that the per-thread captures see every task (the sessions', the expiry task).

use std::sync::Mutex;
use std::time::Duration;

use metrics::Unit;
use ractor::{Actor, ActorProcessingErr, ActorRef, ActorStatus, RpcReplyPort};
use ractor_session::{EndReason, KvMsg, SessionError, SessionId, SessionManager};
use ractor_session_test_support::actors::{Counter, CounterMsg, Fault, Faulty};
use ractor_session_test_support::config::config;

use crate::support::capture;

const TTL: Duration = Duration::from_secs(10);

/// Raw IDs used below; each is distinctive enough that any leak is found by substring.
const ALPHA: &str = "RAWID-alpha-7c1f";
const BETA: &str = "RAWID-beta-19ad";
const GAMMA: &str = "RAWID-gamma-b3e0";
const CRASHER: &str = "RAWID-crasher-5e2b";
const LINGERER: &str = "RAWID-lingerer-0d4c";
const REFUSED: &str = "RAWID-refused-88aa";
const ROTATED: &str = "RAWID-rotated-64f1";
const RATED: &str = "RAWID-rated-2a9c";
const RATE_LIMITED: &str = "RAWID-rate-limited-f00d";

/// A session whose calls take a known time, whose start takes 2 ms, and whose `post_stop`
/// lingers for an hour, so that it can be caught while stopping.
struct Timed;

enum TimedMsg {
    Slow(RpcReplyPort<()>),
}

#[cfg(feature = "cluster")]
impl ractor::Message for TimedMsg {}

impl Actor for Timed {
    type Msg = TimedMsg;
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<TimedMsg>, (): ()) -> Result<(), ActorProcessingErr> {
        tokio::time::sleep(Duration::from_millis(2)).await;
        Ok(())
    }

    async fn handle(
        &self,
        _: ActorRef<TimedMsg>,
        TimedMsg::Slow(reply): TimedMsg,
        (): &mut (),
    ) -> Result<(), ActorProcessingErr> {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let _ = reply.send(());
        Ok(())
    }

    async fn post_stop(
        &self,
        _: ActorRef<TimedMsg>,
        (): &mut (),
    ) -> Result<(), ActorProcessingErr> {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    }
}

/// A counter's name and labels, its expected value, and what it counted.
type ExpectedCounter = (
    &'static str,
    &'static [(&'static str, &'static str)],
    u64,
    &'static str,
);

/// Drives every telemetry-emitting path once (or more) on a paused clock.
async fn exercise(rotated_to: &Mutex<Option<SessionId>>) {
    let manager = SessionManager::spawn(
        config()
            .with_max_sessions(4)
            .with_idle_timeout(TTL)
            .with_stop_timeout(Duration::from_secs(1)),
    )
    .await
    .unwrap();

    // start (KvSession, Counter, Timed), call, cast
    manager.start(ALPHA).await.unwrap();
    manager.start_with(BETA, Counter, 0).await.unwrap();
    manager.start_with(GAMMA, Timed, ()).await.unwrap();
    manager.cast(BETA, CounterMsg::Add(1)).await.unwrap();
    manager.cast(ALPHA, KvMsg::put("k", 1)).await.unwrap();
    assert_eq!(manager.call(BETA, CounterMsg::Get).await.unwrap(), 1);
    manager.call(GAMMA, TimedMsg::Slow).await.unwrap();
    // a call that times out
    assert!(matches!(
        manager
            .call_timeout(GAMMA, TimedMsg::Slow, Duration::from_millis(50))
            .await,
        Err(SessionError::Timeout(_))
    ));

    // start errors: already started (no start_error), limit, failed pre_start
    assert!(manager.start(ALPHA).await.is_err());
    manager.start(ROTATED).await.unwrap();
    assert!(matches!(
        manager.start("RAWID-over-the-limit").await,
        Err(SessionError::SessionLimitReached { .. })
    ));
    manager.terminate(ROTATED).await.unwrap();
    assert!(matches!(
        manager
            .start_with(REFUSED, Faulty, Fault::RefuseStart("refused on purpose"))
            .await,
        Err(SessionError::StartFailed { .. })
    ));

    // rotation: neither the old nor the new ID may be logged
    manager.start(ROTATED).await.unwrap();
    let new_id = manager.rotate(ROTATED).await.unwrap();
    *rotated_to.lock().unwrap() = Some(new_id.clone());
    manager.terminate(&new_id).await.unwrap();

    // stop by terminate
    manager.terminate(BETA).await.unwrap();

    // crash
    manager.start_with(CRASHER, Counter, 0).await.unwrap();
    let crashed = manager.watch(CRASHER).await.unwrap();
    manager
        .cast(CRASHER, CounterMsg::Panic("kaboom".into()))
        .await
        .unwrap();
    assert!(matches!(crashed.await, EndReason::Crashed(_)));

    // a call to a session whose actor is stopping: the failure is logged without the ID
    manager.start_with(LINGERER, Timed, ()).await.unwrap();
    let lingerer = manager.lookup::<TimedMsg>(LINGERER).await.unwrap();
    lingerer.stop(None);
    while lingerer.get_status() != ActorStatus::Stopping {
        tokio::task::yield_now().await;
    }
    assert!(matches!(
        manager.call(LINGERER, TimedMsg::Slow).await,
        Err(SessionError::ProcessNotFound { .. })
    ));
    assert!(
        manager
            .cast(LINGERER, TimedMsg::Slow(drop_port()))
            .await
            .is_err()
    );
    manager.terminate(LINGERER).await.unwrap();

    // expiry: ALPHA and GAMMA have been idle; wait for both to expire
    let alpha = manager.watch(ALPHA).await.unwrap();
    let gamma = manager.watch(GAMMA).await.unwrap();
    assert_eq!(alpha.await, EndReason::Expired);
    assert_eq!(gamma.await, EndReason::Expired);
    manager.shutdown().await;

    // the rate limit
    let limited = SessionManager::spawn(config().with_rate_limit(Some(1)))
        .await
        .unwrap();
    limited.start(RATED).await.unwrap();
    assert!(matches!(
        limited.start(RATE_LIMITED).await,
        Err(SessionError::RateLimitExceeded { .. })
    ));
    limited.shutdown().await;
}

fn drop_port() -> RpcReplyPort<()> {
    let (tx, _rx) = tokio::sync::oneshot::channel();
    tx.into()
}

#[test]
fn telemetry_reports_every_lifecycle_event_and_never_a_raw_id() {
    let rotated_to = Mutex::new(None);
    let ((), captured) = capture(|| exercise(&rotated_to));
    let rotated_to = rotated_to.lock().unwrap().clone().unwrap();
    let (logs, metrics) = (&captured.logs, &captured.metrics);

    // No raw ID anywhere: not in log lines, not in metric names or labels. Every ID used
    // above starts with "RAWID", except the one the rotation generated.
    captured.assert_absent("RAWID");
    captured.assert_absent(rotated_to.as_str());
    // The redacted form is there instead, so sessions can still be correlated.
    let alpha_hash = SessionId::parse(ALPHA).unwrap().redacted().to_string();
    assert!(
        logs.contains(&alpha_hash),
        "redacted ID missing from the logs:\n{logs}"
    );

    // tracing events
    let events = [
        &[
            "session started",
            "session_type=\"KvSession\"",
            "duration_us=",
        ][..],
        &[
            "session started",
            "session_type=\"Timed\"",
            "duration_us=2000",
        ],
        &[
            "session stopped",
            "session_type=\"Counter\"",
            "reason=\"terminated\"",
            "lifetime_s=",
        ],
        &["session stopped", "reason=\"expired\"", "lifetime_s=10"],
        &["session expired", "session_type=\"KvSession\"", "idle_s=10"],
        &["session crashed", "session_type=\"Counter\"", "kaboom"],
        &["session start refused", "error=\"session_limit\""],
        &[
            "session start refused",
            "session_type=\"Faulty\"",
            "error=\"start_failed\"",
        ],
        &["session call", "session_type=\"Timed\"", "duration_s=1.5"],
        &["session cast", "session_type=\"Counter\""],
        &["session communication failed", "operation=\"call\""],
        &["session cleanup failed", "session_type=\"Timed\""],
        &["session creation rate limit reached", "limit=1"],
        &["session start refused", "error=\"rate_limit\""],
        &["session stopped", "reason=\"shutdown\""],
    ];
    for parts in events {
        assert!(
            !captured.lines_with(parts).is_empty(),
            "no log line with {parts:?}:\n{logs}"
        );
    }

    // metrics: each counter, and what it counted
    let counters: &[ExpectedCounter] = &[
        (
            "ractor_session_started_total",
            &[("session_type", "KvSession")],
            4,
            "ALPHA, ROTATED twice and RATED",
        ),
        (
            "ractor_session_started_total",
            &[("session_type", "Counter")],
            2,
            "BETA and CRASHER",
        ),
        (
            "ractor_session_started_total",
            &[("session_type", "Timed")],
            2,
            "GAMMA and LINGERER",
        ),
        (
            "ractor_session_stopped_total",
            &[("session_type", "Counter"), ("reason", "terminated")],
            1,
            "BETA",
        ),
        (
            "ractor_session_stopped_total",
            &[("session_type", "Counter"), ("reason", "crashed")],
            1,
            "CRASHER",
        ),
        (
            "ractor_session_stopped_total",
            &[("session_type", "KvSession"), ("reason", "expired")],
            1,
            "ALPHA",
        ),
        (
            "ractor_session_expired_total",
            &[("session_type", "KvSession")],
            1,
            "ALPHA",
        ),
        (
            "ractor_session_expired_total",
            &[("session_type", "Timed")],
            1,
            "GAMMA",
        ),
        (
            "ractor_session_casts_total",
            &[("session_type", "Counter")],
            2,
            "BETA's add and CRASHER's panic",
        ),
        (
            "ractor_session_casts_total",
            &[("session_type", "KvSession")],
            1,
            "ALPHA's put",
        ),
        (
            "ractor_session_start_errors_total",
            &[("session_type", "KvSession"), ("error", "session_limit")],
            1,
            "the start over the limit",
        ),
        (
            "ractor_session_start_errors_total",
            &[("session_type", "Faulty"), ("error", "start_failed")],
            1,
            "REFUSED",
        ),
        (
            "ractor_session_cleanup_errors_total",
            &[("session_type", "Timed")],
            1,
            "the lingering session was killed",
        ),
        ("ractor_session_rate_limited_total", &[], 1, "RATE_LIMITED"),
        (
            "ractor_session_start_errors_total",
            &[("session_type", "KvSession"), ("error", "rate_limit")],
            1,
            "RATE_LIMITED",
        ),
    ];
    for &(name, labels, expected, what) in counters {
        assert_eq!(
            metrics.counter(name, labels),
            expected,
            "{name} {labels:?}: {what}"
        );
    }
    assert!(
        metrics.counter(
            "ractor_session_communication_errors_total",
            &[("session_type", "Timed"), ("operation", "call")]
        ) >= 2,
        "the timeout and the call to a stopping actor"
    );

    // Durations are in seconds, and say so.
    let (unit, calls) = metrics.histogram(
        "ractor_session_call_duration_seconds",
        &[("session_type", "Timed")],
    );
    assert_eq!(unit, Some(Unit::Seconds));
    assert_eq!(calls, [1.5], "a 1.5 s call is recorded as 1.5 seconds");
    let (_, counter_calls) = metrics.histogram(
        "ractor_session_call_duration_seconds",
        &[("session_type", "Counter")],
    );
    assert_eq!(counter_calls.len(), 1);
    let (unit, lifetimes) = metrics.histogram(
        "ractor_session_lifetime_seconds",
        &[("session_type", "KvSession")],
    );
    assert_eq!(unit, Some(Unit::Seconds));
    assert!(
        lifetimes.iter().any(|&s| (10.0..10.1).contains(&s)),
        "ALPHA, last active 2 ms after its start, lived 10.002 s: {lifetimes:?}"
    );

    assert_eq!(metrics.gauge("ractor_session_live", &[]), 0.0);
}
