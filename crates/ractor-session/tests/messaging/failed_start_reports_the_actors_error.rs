//! A session whose `pre_start` fails is reported as the session's start failing, with the
//! actor's own error as the source; a `pre_start` that panics says it panicked. (ractor
//! reports both as "Actor panicked during startup".)

use std::error::Error as _;

use ractor_session::{SessionError, SessionManager};
use ractor_session_test_support::actors::{Fault, Faulty};
use ractor_session_test_support::config::config;

/// The actor's own error type.
#[derive(Debug, thiserror::Error)]
#[error("database unreachable")]
struct DatabaseDown;

#[tokio::test]
async fn a_pre_start_error_is_the_start_failures_source() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let err = manager
        .start_with(
            "abc",
            Faulty,
            Fault::RefuseStartWith(|| DatabaseDown.into()),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SessionError::StartFailed { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "Failed to start session abc: database unreachable"
    );
    let source = err.source().expect("the actor's error is kept");
    assert!(
        source.downcast_ref::<DatabaseDown>().is_some(),
        "the source is the actor's own error, not a wrapper: {source:?}"
    );
    assert!(!manager.is_started("abc"));
    manager.shutdown().await;
}

#[tokio::test]
async fn a_pre_start_panic_is_reported_as_a_panic() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let err = manager
        .start_with("abc", Faulty, Fault::PanicInPreStart("pre_start exploded"))
        .await
        .unwrap_err();
    assert!(matches!(err, SessionError::StartFailed { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "Failed to start session abc: panicked: pre_start exploded"
    );
    let source = err.source().expect("the panic is the source");
    assert_eq!(source.to_string(), "panicked: pre_start exploded");
    assert!(!manager.is_started("abc"));
    // The ID is free again.
    manager.start("abc").await.unwrap();
    manager.shutdown().await;
}
