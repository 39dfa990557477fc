//! The session and the Origin are checked before upgrading. No valid session → 401, a
//! foreign Origin → 403, both without an upgrade; a valid session from the page's own
//! origin → 101.

use std::time::Duration;

use ractor_session::SessionId;
use ractor_session_axum::LiveSockets;
use ractor_session_test_support::ws::{connect, refused_status, upgrade_request};

use crate::support::*;

#[tokio::test]
async fn no_valid_session_is_401_and_no_upgrade() {
    let server = start(Duration::from_secs(60)).await;
    let url = server.ws_url("/live");
    let origin = server.origin();
    assert_eq!(refused_status(&url, None, Some(&origin)).await, 401);
    let garbage = cookie_header("garbage");
    assert_eq!(
        refused_status(&url, Some(&garbage), Some(&origin)).await,
        401
    );
    let unknown = cookie_header(&sign(SessionId::generate().as_str()));
    assert_eq!(
        refused_status(&url, Some(&unknown), Some(&origin)).await,
        401
    );
    // A live socket never starts a session, even with auto-start on.
    assert_eq!(server.manager.count(), 0);
    assert_eq!(server.live.total(), 0);
    server.manager.shutdown().await;
}

#[tokio::test]
async fn a_foreign_origin_is_403_and_no_upgrade() {
    let server = start(Duration::from_secs(60)).await;
    let cookie = cookie_header(&new_session(&server, &bare_client()).await);
    let url = server.ws_url("/live");
    for origin in ["http://evil.example", "null", "http://127.0.0.1:1"] {
        assert_eq!(
            refused_status(&url, Some(&cookie), Some(origin)).await,
            403,
            "{origin}"
        );
    }
    assert_eq!(server.live.total(), 0);
    server.manager.shutdown().await;
}

#[tokio::test]
async fn a_valid_session_from_its_own_origin_is_upgraded() {
    let server = start(Duration::from_secs(60)).await;
    let cookie = cookie_header(&new_session(&server, &bare_client()).await);
    let url = server.ws_url("/live");
    let request = upgrade_request(&url, Some(&cookie), Some(&server.origin())).unwrap();
    let (_ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status().as_u16(), 101);
    // Clients that send no Origin (not browsers) are accepted by default.
    assert!(connect(&url, Some(&cookie), None).await.is_ok());
    server.manager.shutdown().await;
}

#[tokio::test]
async fn an_explicit_allow_list_admits_only_its_origins() {
    let manager = manager(Duration::from_secs(60)).await;
    let live = LiveSockets::builder()
        .with_allowed_origin("https://shop.example")
        .with_require_origin(true)
        .build()
        .unwrap();
    let layer = layer(&manager);
    let server = serve_routes(manager, live, layer).await;
    let cookie = cookie_header(&new_session(&server, &bare_client()).await);
    let url = server.ws_url("/live");
    assert!(
        connect(&url, Some(&cookie), Some("https://shop.example"))
            .await
            .is_ok()
    );
    assert_eq!(
        refused_status(&url, Some(&cookie), Some(&server.origin())).await,
        403
    );
    assert_eq!(refused_status(&url, Some(&cookie), None).await, 403);
    server.manager.shutdown().await;
}

#[tokio::test]
async fn a_plain_get_with_a_session_is_not_an_upgrade() {
    let server = start(Duration::from_secs(60)).await;
    let value = new_session(&server, &bare_client()).await;
    let response = server.get("/live", &value).send().await.unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    assert_eq!(server.live.total(), 0);
    server.manager.shutdown().await;
}
