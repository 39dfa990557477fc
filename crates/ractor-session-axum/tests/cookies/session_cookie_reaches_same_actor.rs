//! The first response sets a hardened cookie; the cookie keeps the same ID and reaches the
//! same actor; 100 sequential increments end at 100.

use std::time::Duration;

use ractor_session::SessionManager;
use ractor_session_axum::{LiveSockets, SessionLayer, SessionLayerBuilder};
use ractor_session_test_support::actors::Counter;

use crate::support::*;

/// Serves the test app behind a layer from `builder`, auto-starting a counter; returns the
/// server and its response to a first request, which carries no cookie.
async fn first_visit(
    manager: SessionManager,
    builder: SessionLayerBuilder,
) -> (Server, reqwest::Response) {
    let layer = builder
        .with_auto_start_with(|| (Counter, 0))
        .build()
        .unwrap();
    let server = serve_routes(manager, LiveSockets::new(), layer).await;
    let response = bare_client()
        .get(server.url("/count"))
        .send()
        .await
        .unwrap();
    (server, response)
}

#[tokio::test]
async fn first_response_sets_an_httponly_lax_secure_cookie_on_path_root() {
    let manager = manager(Duration::from_secs(60)).await;
    let builder = SessionLayer::builder(manager.clone()).with_key(key());
    let (server, response) = first_visit(manager, builder).await;
    assert_eq!(response.status(), 200);
    let headers = set_cookies(&response);
    assert_eq!(headers.len(), 1, "{headers:?}");
    let header = &headers[0];
    // Secure by default, so the `__Host-` prefix: no sibling subdomain can set or shadow it.
    assert!(header.starts_with("__Host-session_id="), "{header}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        assert!(
            header.split("; ").any(|a| a == attribute),
            "{header} lacks {attribute}"
        );
    }
    assert!(!header.contains("Domain="), "{header}");
    server.manager.shutdown().await;
}

#[tokio::test]
async fn dev_mode_cookie_is_not_secure_but_still_signed() {
    let manager = manager(Duration::from_secs(60)).await;
    let builder = SessionLayer::builder(manager.clone()).with_dev_mode();
    let (server, response) = first_visit(manager, builder).await;
    let header = set_cookies(&response).pop().expect("a cookie");
    assert!(!header.contains("Secure"), "{header}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(header.contains(attribute), "{header} lacks {attribute}");
    }
    let value = session_cookie(&response).unwrap();
    let id = id_of(&value);
    assert!(server.manager.is_started(&id));
    // The tag in front is a signature: the bare ID is refused.
    let bare = server.get("/count", &id).send().await.unwrap();
    assert_ne!(session_cookie(&bare).map(|v| id_of(&v)), Some(id));
    server.manager.shutdown().await;
}

#[tokio::test]
async fn next_request_keeps_the_id_and_reaches_the_same_actor() {
    let server = start(Duration::from_secs(60)).await;
    let client = client();

    let first = client.get(server.url("/count")).send().await.unwrap();
    let value = session_cookie(&first).expect("first response sets the cookie");
    let first = json_body(first).await;

    let second = client.get(server.url("/count")).send().await.unwrap();
    assert_eq!(
        session_cookie(&second),
        None,
        "a kept session sets no new cookie"
    );
    let second = json_body(second).await;
    assert_eq!(first["actor"], second["actor"]);
    assert!(server.manager.is_started(id_of(&value)));
    assert_eq!(server.manager.count(), 1);
    server.manager.shutdown().await;
}

#[tokio::test]
async fn hundred_sequential_increments_end_at_100() {
    let server = start(Duration::from_secs(60)).await;
    let client = client();
    let mut last = String::new();
    for _ in 0..100 {
        last = client
            .post(server.url("/incr"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    }
    assert_eq!(last, "100");
    assert_eq!(
        server.manager.count(),
        1,
        "one session served all 100 requests"
    );
    server.manager.shutdown().await;
}

#[tokio::test]
async fn requests_that_do_not_use_the_session_start_none() {
    let server = start(Duration::from_secs(60)).await;
    let response = client().get(server.url("/ping")).send().await.unwrap();
    assert_eq!(response.text().await.unwrap(), "pong");
    assert_eq!(server.manager.count(), 0);
    server.manager.shutdown().await;
}
