//! Session IDs are bearer secrets: the `Debug` output of every adapter type that holds one
//! — what ends up in logs and panic messages — shows a keyed hash at most, never the ID.
//! The types are taken from a live app: a session with an open live socket.

use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use ractor_session::SessionError;
use ractor_session_axum::{
    CurrentSessionId, LiveMessage, LiveSockets, LiveUpgrade, Session, SessionRejection,
};
use ractor_session_test_support::actors::CounterMsg;
use ractor_session_test_support::poll::{PATIENCE, eventually};
use tokio::sync::mpsc;
use tower_layer::Layer;

use crate::support::*;

type Shown = mpsc::UnboundedSender<String>;

#[derive(Clone)]
struct AppState {
    live: LiveSockets,
    shown: Shown,
}

impl axum::extract::FromRef<AppState> for LiveSockets {
    fn from_ref(state: &AppState) -> Self {
        state.live.clone()
    }
}

/// Sends the `Debug` output of each extractor, then of each message on the socket.
async fn live_socket(
    State(state): State<AppState>,
    session: Session<CounterMsg>,
    id: CurrentSessionId,
    upgrade: LiveUpgrade,
) -> Response {
    let shown = state.shown;
    for text in [
        format!("{session:?}"),
        format!("{id:?}"),
        format!("{upgrade:?}"),
    ] {
        shown.send(text).unwrap();
    }
    upgrade.on_text(move |message: LiveMessage| {
        shown.send(format!("{message:?}")).unwrap();
        async {}
    })
}

fn assert_hidden(what: &str, shown: &str, id: &str) {
    assert!(
        !shown.contains(id),
        "{what} shows the raw session ID: {shown}"
    );
}

#[tokio::test]
async fn no_adapter_type_shows_a_raw_session_id() {
    let manager = manager(Duration::from_secs(60)).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let live = LiveSockets::new();
    let layer = layer(&manager);
    let app = axum::Router::new()
        .route("/live", get(live_socket))
        .route(
            "/count",
            get(|s: Session<CounterMsg>| async move { s.id().redacted().to_string() }),
        )
        .with_state(AppState {
            live: live.clone(),
            shown: tx,
        })
        .layer(layer.clone());
    let server = serve_app(manager.clone(), live.clone(), app).await;

    let value = new_session(&server, &bare_client()).await;
    let id = id_of(&value);
    let mut ws = server.socket(&value).await;
    futures_util::SinkExt::send(&mut ws, "hello".into())
        .await
        .unwrap();
    for what in ["Session", "CurrentSessionId", "LiveUpgrade", "LiveMessage"] {
        let shown = tokio::time::timeout(PATIENCE, rx.recv())
            .await
            .expect("shown in time")
            .unwrap();
        assert!(shown.contains(what), "{shown}");
        assert_hidden(what, &shown, &id);
    }

    let live_id = live.clone();
    eventually("the socket is registered", || {
        let n = live_id.count(&id);
        async move { n == 1 }
    })
    .await;
    assert_hidden("LiveSockets", &format!("{live:?}"), &id);
    assert_hidden("SessionLayer", &format!("{layer:?}"), &id);
    let service = layer.layer(axum::Router::<()>::new());
    assert_hidden("SessionService", &format!("{service:?}"), &id);

    let session_id = ractor_session::SessionId::parse(&id).unwrap();
    for rejection in [
        SessionRejection::from(SessionError::SessionNotFound {
            id: session_id.clone(),
        }),
        SessionRejection::from(SessionError::WrongSessionType {
            id: session_id.clone(),
            expected: "A",
            actual: "B",
        }),
    ] {
        assert_hidden("SessionRejection", &format!("{rejection:?}"), &id);
    }
    manager.shutdown().await;
}
