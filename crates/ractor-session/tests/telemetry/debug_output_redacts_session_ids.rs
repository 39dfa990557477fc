//! `{:?}` never shows a raw session ID: not of a `SessionId`, nor of any type that holds
//! one (`SessionInfo`, `SessionError`, `SessionHandle`, `InvalidSessionId`). Debug output
//! ends up in logs (`tracing::debug!(?error)`, `unwrap()` panics), and an ID is a bearer
//! secret. `Display` and `as_str` still give the ID: cookies need them.

use ractor_session::{KvMsg, SessionError, SessionId, SessionManager};
use ractor_session_test_support::actors::{Fault, Faulty};
use ractor_session_test_support::config::config;

const RAW: &str = "RAWID-debug-4f2a9c";

fn assert_redacted(what: &str, debug: &str) {
    assert!(!debug.contains(RAW), "{what} shows the raw ID: {debug}");
    assert!(
        !debug.contains("RAWID"),
        "{what} shows part of the ID: {debug}"
    );
}

#[test]
fn a_session_id_debugs_as_its_redacted_hash() {
    let id = SessionId::parse(RAW).unwrap();
    let debug = format!("{id:?}");
    assert_redacted("SessionId", &debug);
    assert!(
        debug.contains(&id.redacted().to_string()),
        "the redacted hash lets lines be correlated: {debug}"
    );
    assert_redacted("SessionId (alternate)", &format!("{id:#?}"));
    assert_eq!(id.to_string(), RAW, "Display keeps the ID");
    assert_eq!(id.as_str(), RAW);
    assert_redacted("Option<SessionId>", &format!("{:?}", Some(&id)));
}

#[test]
fn errors_that_name_a_session_debug_without_its_id() {
    let id = SessionId::parse(RAW).unwrap();
    let errors = [
        SessionError::SessionNotFound { id: id.clone() },
        SessionError::ProcessNotFound { id: id.clone() },
        SessionError::WrongSessionType {
            id,
            expected: "A",
            actual: "B",
        },
    ];
    for err in errors {
        assert_redacted("SessionError", &format!("{err:?}"));
        assert!(err.to_string().contains(RAW), "Display names the session");
    }
}

#[test]
fn an_invalid_id_debugs_without_its_value() {
    // Each is a real ID but for one byte: its Debug would all but give the ID away.
    for near_miss in [
        format!("{RAW}\n"),
        format!("{RAW}{}", "x".repeat(64)),
        format!("{RAW}@"),
    ] {
        let err = SessionId::parse(&near_miss).unwrap_err();
        assert_redacted("InvalidSessionId", &format!("{err:?}"));
        assert_redacted(
            "SessionError",
            &format!("{:?}", SessionError::from(err.clone())),
        );
        assert!(
            err.to_string().contains(RAW),
            "the message quotes the value"
        );
    }
}

#[tokio::test]
async fn live_session_types_debug_without_the_id() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start(RAW).await.unwrap();

    let info = &manager.list()[0];
    assert_eq!(info.id.as_str(), RAW);
    assert_redacted("SessionInfo", &format!("{info:?}"));

    let handle = manager.session(RAW).unwrap();
    assert_redacted("SessionHandle", &format!("{handle:?}"));

    let already = manager.start(RAW).await.unwrap_err();
    assert!(matches!(already, SessionError::AlreadyStarted { .. }));
    assert_redacted("SessionError::AlreadyStarted", &format!("{already:?}"));

    let wrong = manager.lookup::<String>(RAW).await.unwrap_err();
    assert_redacted("SessionError::WrongSessionType", &format!("{wrong:?}"));

    let failed = manager
        .start_with(
            "RAWID-refused",
            Faulty,
            Fault::RefuseStart("database unreachable"),
        )
        .await
        .unwrap_err();
    assert!(matches!(failed, SessionError::StartFailed { .. }));
    assert_redacted("SessionError::StartFailed", &format!("{failed:?}"));

    assert_redacted("SessionManager", &format!("{manager:?}"));
    assert_eq!(
        manager.call(RAW, KvMsg::Ping).await.map(drop).ok(),
        Some(())
    );
    manager.shutdown().await;
}
