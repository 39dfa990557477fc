//! The layer decides what it refuses before it starts a session: an unsafe cross-site
//! request (403), the cookies of two live sessions (400) and an ID rotated moments ago
//! (409) are answered before the client's creation budget is consulted, so none of them
//! spends it. A client allowed one new session a minute still gets it after any number of
//! such refusals, and only its next start is refused (429). With
//! `tower::ServiceExt::oneshot`, the client's address given as axum's `ConnectInfo`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Method, Request, StatusCode};
use ractor_session::SessionId;
use ractor_session_axum::{CreationLimits, LiveSockets, SessionLayer};
use ractor_session_test_support::actors::Counter;
use tower::ServiceExt;

use crate::support::*;

/// Sends `method path` from the one client of this test with the `Cookie` header
/// `cookies` and the extra `headers`; the status, and whether a session cookie was set.
async fn send(
    app: &Router,
    method: Method,
    path: &str,
    cookies: Option<String>,
    headers: &[(&str, &str)],
) -> (StatusCode, bool) {
    let client: SocketAddr = "192.0.2.7:40000".parse().unwrap();
    let mut request = Request::builder().method(method).uri(path);
    if let Some(cookies) = cookies {
        request = request.header("cookie", cookies);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Body::empty()).unwrap();
    request.extensions_mut().insert(ConnectInfo(client));
    let response = app.clone().oneshot(request).await.unwrap();
    let set = response.headers().contains_key("set-cookie");
    (response.status(), set)
}

#[tokio::test]
async fn refusals_before_a_start_leave_the_creation_budget_alone() {
    let manager = manager(Duration::from_secs(60)).await;
    let layer = SessionLayer::builder(manager.clone())
        .with_key(key())
        .with_secure(false)
        .with_auto_start_with(|| (Counter, 0))
        .with_creation_limits(CreationLimits::new().with_per_client(1, 1))
        .build()
        .unwrap();
    let app = routes().with_state(LiveSockets::new()).layer(layer);

    // Two live sessions started elsewhere (a sibling subdomain's, say), and a third that
    // this client signs in with, rotating its ID: none of them costs a creation.
    let ids: Vec<SessionId> = (0..3).map(|_| SessionId::generate()).collect();
    for id in &ids {
        manager.start_with(id, Counter, 0).await.unwrap();
    }
    let planted = format!(
        "{}; {}",
        cookie_header(&sign(ids[0].as_str())),
        cookie_header(&sign(ids[1].as_str()))
    );
    let before_login = cookie_header(&sign(ids[2].as_str()));
    let login = send(
        &app,
        Method::POST,
        "/login",
        Some(before_login.clone()),
        &[],
    )
    .await;
    assert_eq!(
        login,
        (StatusCode::OK, true),
        "rotated, with the new cookie"
    );

    let cross_site = [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ];
    for _ in 0..5 {
        let refused = send(&app, Method::POST, "/incr", None, &cross_site).await;
        assert_eq!(refused, (StatusCode::FORBIDDEN, false), "a cross-site post");
        let refused = send(&app, Method::GET, "/count", Some(planted.clone()), &[]).await;
        assert_eq!(
            refused,
            (StatusCode::BAD_REQUEST, false),
            "two live sessions"
        );
        let refused = send(&app, Method::GET, "/count", Some(before_login.clone()), &[]).await;
        assert_eq!(refused, (StatusCode::CONFLICT, false), "a just-rotated ID");
    }

    // The budget is whole: this client's first new session is admitted...
    let started = send(&app, Method::GET, "/count", None, &[]).await;
    assert_eq!(started, (StatusCode::OK, true), "the budget was left alone");
    // ...and it was a budget of one.
    let refused = send(&app, Method::GET, "/count", None, &[]).await;
    assert_eq!(refused, (StatusCode::TOO_MANY_REQUESTS, false));
    manager.shutdown().await;
}
