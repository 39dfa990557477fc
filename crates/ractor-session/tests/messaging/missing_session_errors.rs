//! Operations on an ID with no live session fail with `SessionNotFound` naming the ID.

use std::time::Duration;

use ractor_session::{KvMsg, SessionError, SessionManager};
use ractor_session_test_support::actors::CounterMsg;
use ractor_session_test_support::config::config;

fn assert_not_found(result: Result<impl std::fmt::Debug, SessionError>, operation: &str) {
    match result {
        Err(err @ SessionError::SessionNotFound { .. }) => {
            let SessionError::SessionNotFound { id } = &err else {
                unreachable!()
            };
            assert_eq!(id.as_str(), "missing", "{operation}");
            assert_eq!(err.to_string(), "Session not found: missing", "{operation}");
        }
        other => panic!("{operation}: expected SessionNotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn operations_on_a_missing_id_name_it() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start("present").await.unwrap();

    assert_not_found(manager.call("missing", KvMsg::Ping).await, "call");
    assert_not_found(
        manager
            .call_timeout("missing", KvMsg::Ping, Duration::from_secs(1))
            .await,
        "call_timeout",
    );
    assert_not_found(manager.cast("missing", KvMsg::Clear).await, "cast");
    assert_not_found(
        manager.cast("missing", CounterMsg::Add(1)).await,
        "cast of another type",
    );
    assert_not_found(manager.touch("missing").await, "touch");
    assert_not_found(manager.terminate("missing").await, "terminate");
    assert_not_found(manager.lookup::<KvMsg>("missing").await, "lookup");
    assert_not_found(manager.watch("missing").await, "watch");
    assert_not_found(manager.rotate("missing").await, "rotate");
    assert!(!manager.is_started("missing"));
    assert!(
        manager.is_started("present"),
        "the other session is untouched"
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn a_terminated_id_is_missing_again() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start("missing").await.unwrap();
    manager.terminate("missing").await.unwrap();
    assert_not_found(manager.call("missing", KvMsg::Ping).await, "call");
    assert_not_found(manager.cast("missing", KvMsg::Clear).await, "cast");
    assert_not_found(manager.touch("missing").await, "touch");
    assert_not_found(manager.terminate("missing").await, "terminate");
    manager.shutdown().await;
}
