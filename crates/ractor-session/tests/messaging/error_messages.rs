//! Each error's message is one fixed sentence naming what went wrong (the session ID, the
//! limit, the timeout), and errors keep their sources. Each text is produced by the
//! operation that really fails where that is cheap.

use std::error::Error as _;
use std::time::Duration;

use ractor_session::{SessionError, SessionId, SessionManager};
use ractor_session_test_support::actors::{Counter, CounterMsg, Fault, Faulty};
use ractor_session_test_support::config::config;

#[test]
fn invalid_session_id() {
    let err = SessionError::from(SessionId::parse("invalid@session").unwrap_err());
    assert_eq!(
        err.to_string(),
        r#"Invalid session ID format: "invalid@session""#
    );
}

#[test]
fn session_limit_reached() {
    let err = SessionError::SessionLimitReached { max: 10_000 };
    assert_eq!(
        err.to_string(),
        "Maximum concurrent sessions limit (10000) reached"
    );
}

#[test]
fn rate_limit_exceeded() {
    let err = SessionError::RateLimitExceeded { limit: 100 };
    assert_eq!(
        err.to_string(),
        "Rate limit exceeded: maximum 100 sessions per minute"
    );
}

#[tokio::test]
async fn session_not_found() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let err = manager.touch("abc").await.unwrap_err();
    assert_eq!(err.to_string(), "Session not found: abc");
    manager.shutdown().await;
}

#[test]
fn process_not_found() {
    let err = SessionError::ProcessNotFound {
        id: SessionId::parse("abc").unwrap(),
    };
    assert_eq!(err.to_string(), "Process not found for session: abc");
}

#[test]
fn timeout() {
    assert_eq!(
        SessionError::Timeout(Duration::from_millis(50)).to_string(),
        "Operation timed out after 50ms"
    );
}

#[tokio::test]
async fn call_failed_keeps_its_source() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start_with("c", Counter, 0).await.unwrap();
    // Queued behind a message that makes the actor fail: its reply port is dropped.
    let actor = manager.lookup::<CounterMsg>("c").await.unwrap();
    actor.cast(CounterMsg::Fail("gone".into())).unwrap();
    let err = actor_call_failure(&manager).await;
    assert_eq!(
        err.to_string(),
        "Call failed for session Counter: the session stopped before replying"
    );
    assert_eq!(
        err.source().unwrap().to_string(),
        "the session stopped before replying"
    );
    manager.shutdown().await;
}

async fn actor_call_failure(manager: &SessionManager) -> SessionError {
    match manager.call("c", CounterMsg::Get).await {
        Err(err @ SessionError::CallFailed { .. }) => err,
        other => panic!("expected CallFailed, got {other:?}"),
    }
}

#[test]
fn cast_failed_keeps_its_source() {
    let source = ractor::MessagingErr::SendErr(());
    let err = SessionError::CastFailed {
        session_type: "KvSession",
        source: Box::new(source),
    };
    assert!(
        err.to_string()
            .starts_with("Cast failed for session KvSession: Messaging failed"),
        "{err}"
    );
    assert!(err.source().is_some());
}

#[tokio::test]
async fn already_started() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start("abc").await.unwrap();
    let err = manager.start("abc").await.unwrap_err();
    assert_eq!(err.to_string(), "Session already started: abc");
    manager.shutdown().await;
}

#[tokio::test]
async fn wrong_session_type() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start("abc").await.unwrap();
    let err = manager.lookup::<CounterMsg>("abc").await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("Wrong session type for abc: asked for messages of type `"),
        "{text}"
    );
    assert!(text.contains("CounterMsg"), "{text}");
    assert!(text.ends_with("but the session is a `KvSession`"), "{text}");
    manager.shutdown().await;
}

#[tokio::test]
async fn start_failed_keeps_the_actors_error_as_its_source() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let err = manager
        .start_with("abc", Faulty, Fault::RefuseStart("database unreachable"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("Failed to start session abc: "),
        "{err}"
    );
    let source = err.source().expect("the spawn error is kept");
    let mut chain = source.to_string();
    let mut next = source.source();
    while let Some(e) = next {
        chain.push_str(&e.to_string());
        next = e.source();
    }
    assert!(chain.contains("database unreachable"), "{chain}");
    manager.shutdown().await;
}

#[tokio::test]
async fn invalid_config() {
    let err = SessionManager::spawn(config().with_idle_timeout(Duration::ZERO))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid session configuration: `idle_timeout` must be greater than zero"
    );
}

#[tokio::test]
async fn manager_shutdown() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.shutdown().await;
    let err = manager.start("abc").await.unwrap_err();
    assert_eq!(err.to_string(), "The session manager has shut down");
}
