//! The live socket's same-origin check compares the scheme as well as host and port. The
//! site's scheme is the one its cookie implies: `https` for a `Secure` cookie (also behind
//! a TLS-terminating proxy, where the app itself hears plain HTTP), `http` in dev mode. A
//! plain-HTTP page of the same host — which a network attacker can write — may not open a
//! socket on an HTTPS site.

use std::net::SocketAddr;
use std::time::Duration;

use ractor_session_axum::SessionLayer;
use ractor_session_test_support::actors::Counter;
use ractor_session_test_support::ws::upgrade_request;
use tokio_tungstenite::tungstenite;

use crate::support::*;

/// Serves the standard routes behind a layer in secure or dev mode, opens a session, and
/// returns the statuses of upgrades from the same host over `http` and over `https`.
async fn upgrades_by_scheme(dev_mode: bool) -> (u16, u16) {
    let manager = manager(Duration::from_secs(60)).await;
    let builder = SessionLayer::builder(manager.clone()).with_auto_start_with(|| (Counter, 0));
    let builder = if dev_mode {
        builder.with_dev_mode()
    } else {
        builder.with_key(key())
    };
    let app = routes()
        .with_state(Default::default())
        .layer(builder.build().unwrap());
    let addr = serve(app).await;
    let response = bare_client()
        .get(format!("http://{addr}/count"))
        .send()
        .await
        .unwrap();
    // The cookie's `name=value`, whatever the mode names it.
    let set = set_cookies(&response).pop().expect("a session cookie");
    let cookie = set.split(';').next().unwrap().to_owned();
    let statuses = (
        upgrade_status(addr, &cookie, &format!("http://{addr}")).await,
        upgrade_status(addr, &cookie, &format!("https://{addr}")).await,
    );
    manager.shutdown().await;
    statuses
}

/// The HTTP status of a websocket upgrade to `addr` with `cookie` from `origin`.
async fn upgrade_status(addr: SocketAddr, cookie: &str, origin: &str) -> u16 {
    let url = format!("ws://{addr}/live");
    let request = upgrade_request(&url, Some(cookie), Some(origin)).unwrap();
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected websocket error: {other}"),
    }
}

#[tokio::test]
async fn a_secure_site_refuses_sockets_from_its_plain_http_origin() {
    let (http, https) = upgrades_by_scheme(false).await;
    assert_eq!((http, https), (403, 101));
}

#[tokio::test]
async fn a_dev_mode_site_refuses_sockets_from_an_https_origin() {
    let (http, https) = upgrades_by_scheme(true).await;
    assert_eq!((http, https), (101, 403));
}
