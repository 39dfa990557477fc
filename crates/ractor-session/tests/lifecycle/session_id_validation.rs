//! Session IDs are validated strictly, everywhere an ID enters the manager; generated IDs
//! are distinct, valid and URL-safe.

use std::collections::HashSet;
use std::time::Duration;

use ractor_session::{KvMsg, MAX_SESSION_ID_LEN, SessionError, SessionId, SessionManager};
use ractor_session_test_support::actors::Counter;
use ractor_session_test_support::config::config;

fn bad_ids() -> Vec<String> {
    vec![
        String::new(),
        "invalid@session".to_owned(),
        "a b".to_owned(),
        "a.b".to_owned(),
        "a/b".to_owned(),
        "a".repeat(65),
        "abc\n".to_owned(),
        "\nabc".to_owned(),
        "é".to_owned(),
        "abc\0".to_owned(),
    ]
}

fn assert_invalid(result: Result<impl std::fmt::Debug, SessionError>, bad: &str, operation: &str) {
    match result {
        Err(SessionError::InvalidSessionId(err)) => {
            let quoted = format!("{bad:?}");
            assert_eq!(err.quoted(), quoted, "{operation}");
            assert_eq!(
                SessionError::InvalidSessionId(err).to_string(),
                format!("Invalid session ID format: {quoted}"),
                "{operation}"
            );
        }
        other => panic!("{operation}({bad:?}): expected InvalidSessionId, got {other:?}"),
    }
}

#[test]
fn malformed_ids_are_rejected_with_the_value_quoted() {
    for bad in bad_ids() {
        let err = SessionId::parse(&bad).expect_err(&bad);
        assert_eq!(
            err.to_string(),
            format!("Invalid session ID format: {bad:?}")
        );
        assert!(bad.parse::<SessionId>().is_err());
        assert!(SessionId::try_from(bad.clone()).is_err());
        let json = serde_json::to_string(&bad).unwrap();
        assert!(
            serde_json::from_str::<SessionId>(&json).is_err(),
            "serde takes {bad:?}"
        );
    }
}

#[test]
fn boundary_values_are_valid() {
    let longest = "a".repeat(MAX_SESSION_ID_LEN);
    assert_eq!(MAX_SESSION_ID_LEN, 64);
    for good in [longest.as_str(), "test-session_id", "A", "0", "-", "_"] {
        let id = SessionId::parse(good).expect(good);
        assert_eq!(id.as_str(), good);
        assert_eq!(id.to_string(), good);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<SessionId>(&json).unwrap(), id);
    }
}

#[test]
fn long_values_are_quoted_truncated() {
    let err = SessionId::parse(&"x".repeat(100_000)).unwrap_err();
    let text = err.to_string();
    assert!(text.len() < 200, "{text}");
    assert!(
        text.starts_with("Invalid session ID format: \"xxx"),
        "{text}"
    );
}

#[test]
fn ten_thousand_generated_ids_are_distinct_valid_and_url_safe() {
    let ids: HashSet<String> = (0..10_000)
        .map(|_| SessionId::generate().to_string())
        .collect();
    assert_eq!(ids.len(), 10_000);
    for id in &ids {
        assert!(id.len() >= 22, "at least 128 bits in base64: {id}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "not URL-safe: {id}"
        );
        assert!(SessionId::parse(id).is_ok());
    }
}

#[tokio::test]
async fn every_manager_operation_rejects_a_malformed_id() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let ms = Duration::from_millis(100);
    for bad in bad_ids() {
        let bad = bad.as_str();
        assert_invalid(manager.start(bad).await, bad, "start");
        assert_invalid(manager.start_with(bad, Counter, 1).await, bad, "start_with");
        assert_invalid(manager.get_or_start(bad).await, bad, "get_or_start");
        assert_invalid(
            manager.get_or_start_with(bad, || (Counter, 1)).await,
            bad,
            "get_or_start_with",
        );
        assert_invalid(manager.lookup::<KvMsg>(bad).await, bad, "lookup");
        assert_invalid(manager.call(bad, KvMsg::Ping).await, bad, "call");
        assert_invalid(
            manager.call_timeout(bad, KvMsg::Ping, ms).await,
            bad,
            "call_timeout",
        );
        assert_invalid(manager.cast(bad, KvMsg::Clear).await, bad, "cast");
        assert_invalid(manager.touch(bad).await, bad, "touch");
        assert_invalid(manager.terminate(bad).await, bad, "terminate");
        assert_invalid(manager.watch(bad).await, bad, "watch");
        assert_invalid(manager.rotate(bad).await, bad, "rotate");
        assert!(!manager.is_started(bad));
    }
    assert_eq!(manager.count(), 0, "no malformed ID was started");
    assert!(manager.supervisor().get_children().is_empty());
    manager.shutdown().await;
}
