//! With passivation, a session with an open live socket is never parked: the socket pins
//! it. Once the socket closes, the session parks like any other.

use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ractor_session::{KvMsg, KvSession};
use ractor_session_axum::{LiveSockets, LiveUpgrade, Session, SessionLayer, SessionRejection};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;

use crate::support::*;

async fn hello(session: Session<KvMsg>) -> Result<&'static str, SessionRejection> {
    session.call(KvMsg::Ping).await?;
    Ok("hello")
}

async fn live(upgrade: LiveUpgrade) -> Response {
    upgrade.into_response()
}

fn is_parked(server: &Server, value: &str) -> bool {
    let id = id_of(value);
    server
        .manager
        .list()
        .iter()
        .any(|info| info.id.as_str() == id && info.parked)
}

#[tokio::test]
async fn a_session_with_an_open_live_socket_is_not_parked() {
    let config = config().with_passivate_after(Some(Duration::from_millis(200)));
    let manager = ractor_session::SessionManager::spawn(config).await.unwrap();
    let layer = SessionLayer::builder(manager.clone())
        .with_key(key())
        .with_secure(false)
        .with_auto_start_with(|| (KvSession, Default::default()))
        .build()
        .unwrap();
    let live_sockets = LiveSockets::new();
    let app = Router::new()
        .route("/count", get(hello))
        .route("/live", get(live))
        .with_state(live_sockets.clone())
        .layer(layer);
    let server = serve_app(manager, live_sockets, app).await;

    let with_socket = new_session(&server, &bare_client()).await;
    let ws = server.socket(&with_socket).await;
    eventually("the socket is registered", || async {
        server.live.count(id_of(&with_socket)) == 1
    })
    .await;
    // A session started after it, without a socket, idle for less time.
    let without = new_session(&server, &bare_client()).await;
    eventually("the session without a socket is parked", || async {
        is_parked(&server, &without)
    })
    .await;
    assert!(!is_parked(&server, &with_socket), "pinned by its socket");

    drop(ws);
    eventually("its socket gone, the session is parked", || async {
        is_parked(&server, &with_socket)
    })
    .await;
    server.manager.shutdown().await;
}
