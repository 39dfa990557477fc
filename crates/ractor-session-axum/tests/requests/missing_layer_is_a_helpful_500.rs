//! Without the layer, every session extractor answers 500 with a message that says how to
//! fix it.

use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ractor_session_axum::{CurrentSessionId, LiveSockets, LiveUpgrade, NewSession, Session};
use ractor_session_test_support::ws::refused_status;

use crate::support::*;

async fn uses_session(_: Session) -> &'static str {
    "unreachable"
}

async fn uses_id(_: CurrentSessionId) -> &'static str {
    "unreachable"
}

async fn uses_optional(_: Option<Session>) -> &'static str {
    "unreachable"
}

async fn uses_new(_: NewSession) -> &'static str {
    "unreachable"
}

async fn uses_live(upgrade: LiveUpgrade) -> Response {
    upgrade.into_response()
}

#[tokio::test]
async fn every_extractor_answers_500_with_the_fix() {
    let manager = manager(Duration::from_secs(60)).await;
    // The layer is added BEFORE the routes, so it covers none of them: a classic mistake.
    let app = Router::new()
        .layer(layer(&manager))
        .route("/session", get(uses_session))
        .route("/id", get(uses_id))
        .route("/optional", get(uses_optional))
        .route("/new", get(uses_new))
        .route("/live", get(uses_live))
        .with_state(LiveSockets::new());
    let addr = serve(app).await;
    for path in ["/session", "/id", "/optional", "/new"] {
        let response = bare_client()
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 500, "{path}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("SessionLayer is not installed"),
            "{path}: {body}"
        );
        assert!(body.contains(".layer("), "{path}: {body}");
        assert!(body.contains("after `.route(...)`"), "{path}: {body}");
    }
    assert_eq!(
        refused_status(
            &format!("ws://{addr}/live"),
            None,
            Some(&format!("http://{addr}"))
        )
        .await,
        500
    );
    assert_eq!(manager.count(), 0);
    manager.shutdown().await;
}
