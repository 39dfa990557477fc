//! Acceptance 6, first part: the session and the Origin are checked before upgrading.
//! No valid session → 401, a foreign Origin → 403, both without an upgrade; a valid
//! session from the page's own origin → 101.

mod common;

use std::time::Duration;

use common::*;
use ractor_session::SessionId;

#[tokio::test]
async fn no_valid_session_is_401_and_no_upgrade() {
    let server = start(Duration::from_secs(60)).await;
    let url = server.ws_url("/live");
    let origin = server.origin();
    assert_eq!(refused_status(&url, None, Some(&origin)).await, 401);
    assert_eq!(
        refused_status(&url, Some("garbage"), Some(&origin)).await,
        401
    );
    let unknown = sign(SessionId::generate().as_str());
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
    let value = new_session(&server, &bare_client()).await;
    let url = server.ws_url("/live");
    for origin in ["http://evil.example", "null", "http://127.0.0.1:1"] {
        assert_eq!(
            refused_status(&url, Some(&value), Some(origin)).await,
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
    let value = new_session(&server, &bare_client()).await;
    let url = server.ws_url("/live");
    let (_ws, response) = {
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                url.as_str(),
            )
            .unwrap();
        request
            .headers_mut()
            .insert("cookie", cookie_header(&value).parse().unwrap());
        request
            .headers_mut()
            .insert("origin", server.origin().parse().unwrap());
        tokio_tungstenite::connect_async(request).await.unwrap()
    };
    assert_eq!(response.status().as_u16(), 101);
    // Clients that send no Origin (not browsers) are accepted by default.
    assert!(connect(&url, Some(&value), None).await.is_ok());
    server.manager.shutdown().await;
}

#[tokio::test]
async fn an_explicit_allow_list_admits_only_its_origins() {
    let manager = manager(Duration::from_secs(60)).await;
    let live = ractor_session_axum::LiveSockets::builder()
        .with_allowed_origin("https://shop.example")
        .with_require_origin(true)
        .build()
        .unwrap();
    let addr = serve(routes().with_state(live).layer(layer(&manager))).await;
    let server = Server {
        addr,
        manager: manager.clone(),
        live: Default::default(),
    };
    let value = new_session(&server, &bare_client()).await;
    let url = server.ws_url("/live");
    assert!(
        connect(&url, Some(&value), Some("https://shop.example"))
            .await
            .is_ok()
    );
    assert_eq!(
        refused_status(&url, Some(&value), Some(&server.origin())).await,
        403
    );
    assert_eq!(refused_status(&url, Some(&value), None).await, 403);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_plain_get_with_a_session_is_not_an_upgrade() {
    let server = start(Duration::from_secs(60)).await;
    let value = new_session(&server, &bare_client()).await;
    let response = bare_client()
        .get(server.url("/live"))
        .header("cookie", cookie_header(&value))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    assert_eq!(server.live.total(), 0);
    server.manager.shutdown().await;
}
