//! The live socket's same-origin check compares the scheme as well as host and port. The
//! site's scheme is the one its cookie implies: `https` for a `Secure` cookie (also behind
//! a TLS-terminating proxy, where the app itself hears plain HTTP), `http` in dev mode. A
//! plain-HTTP page of the same host — which a network attacker can write — may not open a
//! socket on an HTTPS site.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use ractor_session_axum::SessionLayer;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

/// Serves the standard routes behind `layer`; returns the address and the `Cookie` header
/// value of a new session (whatever the cookie's name).
async fn serve_with(layer: SessionLayer) -> (SocketAddr, String) {
    let addr = serve(routes().with_state(Default::default()).layer(layer)).await;
    let response = bare_client()
        .get(format!("http://{addr}/count"))
        .send()
        .await
        .unwrap();
    let set = set_cookies(&response).pop().expect("a session cookie");
    let pair = set.split(';').next().unwrap().to_owned();
    (addr, pair)
}

/// The HTTP status of a websocket upgrade to `addr` with `cookie` from `origin`.
async fn upgrade_status(addr: SocketAddr, cookie: &str, origin: &str) -> u16 {
    let mut request = format!("ws://{addr}/live").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected websocket error: {other}"),
    }
}

#[tokio::test]
async fn a_secure_site_refuses_sockets_from_its_plain_http_origin() {
    let manager = manager(Duration::from_secs(60)).await;
    let layer = SessionLayer::builder(manager.clone())
        .with_key(key())
        .with_auto_start_with(|| (Counter, 0))
        .build()
        .unwrap();
    let (addr, cookie) = serve_with(layer).await;
    assert_eq!(
        upgrade_status(addr, &cookie, &format!("http://{addr}")).await,
        403
    );
    assert_eq!(
        upgrade_status(addr, &cookie, &format!("https://{addr}")).await,
        101
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn a_dev_mode_site_refuses_sockets_from_an_https_origin() {
    let manager = manager(Duration::from_secs(60)).await;
    let layer = SessionLayer::builder(manager.clone())
        .with_dev_mode()
        .with_auto_start_with(|| (Counter, 0))
        .build()
        .unwrap();
    let (addr, cookie) = serve_with(layer).await;
    assert_eq!(
        upgrade_status(addr, &cookie, &format!("https://{addr}")).await,
        403
    );
    assert_eq!(
        upgrade_status(addr, &cookie, &format!("http://{addr}")).await,
        101
    );
    manager.shutdown().await;
}
