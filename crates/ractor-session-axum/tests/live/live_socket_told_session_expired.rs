//! When the session ends, each of its live sockets receives the `session_expired` event and
//! then a close frame with code 4001 (terminate, idle expiry, crash), or `shutdown` and
//! 4003 when the manager shuts down.

use ractor_session_test_support::ws::expect_end;
use std::time::Duration;

use crate::support::*;

#[tokio::test]
async fn after_terminate_the_socket_gets_session_expired_then_4001() {
    let server = start(Duration::from_secs(60)).await;
    let (value, mut ws) = open_socket(&server).await;
    let response = server.post("/logout", &value).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        session_cookie(&response).as_deref(),
        Some(""),
        "logout clears the cookie"
    );
    expect_end(&mut ws, "session_expired", 4001).await;
    server.manager.shutdown().await;
}

#[tokio::test]
async fn after_idle_expiry_the_socket_gets_session_expired_then_4001() {
    let server = start(Duration::from_millis(300)).await;
    let (value, mut ws) = open_socket(&server).await;
    // The open socket itself is not activity: the session expires while it is open.
    expect_end(&mut ws, "session_expired", 4001).await;
    assert!(!server.manager.is_started(id_of(&value)));
    server.manager.shutdown().await;
}

#[tokio::test]
async fn after_a_crash_the_socket_gets_session_expired_then_4001() {
    let server = start(Duration::from_secs(60)).await;
    let (_value, mut ws) = open_socket(&server).await;
    futures_util::SinkExt::send(&mut ws, "crash".into())
        .await
        .unwrap();
    expect_end(&mut ws, "session_expired", 4001).await;
    server.manager.shutdown().await;
}

#[tokio::test]
async fn on_shutdown_the_socket_gets_shutdown_then_4003() {
    let server = start(Duration::from_secs(60)).await;
    let (_value, mut ws) = open_socket(&server).await;
    server.manager.shutdown().await;
    expect_end(&mut ws, "shutdown", 4003).await;
}
