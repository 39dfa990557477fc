//! A start refused because its ID is malformed is recorded like any other refused start:
//! `ractor_session_start_errors_total{error="invalid_id", reason}` and a "session start
//! refused" event, from every way of starting a session. The offending value itself never
//! appears: a flood of tampered IDs must leave a trace, but not the values.

use ractor_session::{KvSession, SessionError, SessionManager};
use ractor_session_test_support::actors::Counter;
use ractor_session_test_support::config::config;

use crate::support::capture;

const START_ERRORS: &str = "ractor_session_start_errors_total";

/// Each value is distinctive, so any leak is found by substring.
const BAD_BYTE: &str = "RAWID@start";
const BAD_BYTE_WITH: &str = "RAWID@start-with";
const BAD_BYTE_GET: &str = "RAWID@get-or-start";
const BAD_BYTE_GET_WITH: &str = "RAWID@get-or-start-with";
const BAD_BYTE_SESSION: &str = "RAWID@get-or-start-session-with";

fn too_long() -> String {
    format!("RAWID{}", "x".repeat(70))
}

async fn refuse_every_kind() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let refused = [
        manager.start(BAD_BYTE).await.map(drop),
        manager.start("").await.map(drop),
        manager.start(too_long()).await.map(drop),
        manager
            .start_with(BAD_BYTE_WITH, Counter, 0)
            .await
            .map(drop),
        manager.get_or_start(BAD_BYTE_GET).await.map(drop),
        manager
            .get_or_start_with(BAD_BYTE_GET_WITH, || (Counter, 0))
            .await
            .map(drop),
        manager
            .get_or_start_session_with(BAD_BYTE_SESSION, || (KvSession, Default::default()))
            .await
            .map(drop),
    ];
    for result in refused {
        assert!(matches!(result, Err(SessionError::InvalidSessionId(_))));
    }
    assert_eq!(manager.count(), 0);
    manager.shutdown().await;
}

#[test]
fn a_start_refused_for_a_malformed_id_is_counted_and_logged_without_the_value() {
    let ((), captured) = capture(refuse_every_kind);

    let invalid = |session_type, reason| {
        captured.metrics.counter(
            START_ERRORS,
            &[
                ("session_type", session_type),
                ("error", "invalid_id"),
                ("reason", reason),
            ],
        )
    };
    assert_eq!(
        invalid("KvSession", "bad_byte"),
        3,
        "start, get_or_start and get_or_start_session_with"
    );
    assert_eq!(invalid("KvSession", "empty"), 1);
    assert_eq!(invalid("KvSession", "too_long"), 1);
    assert_eq!(
        invalid("Counter", "bad_byte"),
        2,
        "start_with and get_or_start_with"
    );

    let refusals = captured.lines_with(&["session start refused", "error=\"invalid_id\""]);
    assert_eq!(refusals.len(), 7, "{}", captured.logs);
    for reason in ["bad_byte", "empty", "too_long"] {
        assert!(
            refusals.iter().any(|line| line.contains(reason)),
            "no refusal logged as {reason}:\n{}",
            captured.logs
        );
    }

    captured.assert_absent("RAWID");
    captured.assert_absent(&too_long()[..40]);
}
