//! Key rollover: one key signs, older keys still verify. A cookie signed with the previous
//! key is adopted by a layer that lists it as previous, and the response re-issues the
//! same session's cookie signed with the current key; once the previous key is dropped,
//! the old signature is refused.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::Request;
use http::header::SET_COOKIE;
use ractor_session_axum::{Key, LiveSockets, SessionLayer, SessionLayerBuilder};
use ractor_session_test_support::actors::Counter;
use tower::ServiceExt;

use crate::support::*;

fn app(builder: SessionLayerBuilder) -> Router {
    routes()
        .with_state(LiveSockets::new())
        .layer(builder.build().unwrap())
}

/// GETs `/count` with the session cookie `value`: the body's count and the cookie set.
async fn count(app: &Router, value: &str) -> (u64, Option<String>) {
    let request = Request::get("/count")
        .header(http::header::COOKIE, cookie_header(value))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let set = response.headers().get(SET_COOKIE).map(|v| {
        let pair = v.to_str().unwrap().split(';').next().unwrap();
        pair.split_once('=').unwrap().1.to_owned()
    });
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    (json["count"].as_u64().unwrap(), set)
}

#[tokio::test]
async fn a_cookie_signed_with_the_previous_key_is_adopted_and_signed_anew() {
    let manager = manager(Duration::from_secs(60)).await;
    let (old, new) = (key(), Key::generate());
    let builder = || {
        SessionLayer::builder(manager.clone())
            .with_secure(false)
            .with_auto_start_with(|| (Counter, 0))
    };
    let id = ractor_session::SessionId::generate();
    manager.start_with(&id, Counter, 5).await.unwrap();
    let under_old = sign_as(&old, COOKIE, id.as_str());

    let rolled = app(builder()
        .with_key(new.clone())
        .with_previous_key(old.clone()));
    let (n, resigned) = count(&rolled, &under_old).await;
    assert_eq!(n, 5, "the session was adopted");
    let resigned = resigned.expect("the cookie is re-issued under the current key");
    assert_eq!(resigned, sign_as(&new, COOKIE, id.as_str()));
    // Signed with the current key, it needs no re-issue.
    assert_eq!(count(&rolled, &resigned).await, (5, None));

    // Without the previous key, the old signature is refused: a fresh session.
    let dropped = app(builder().with_key(new));
    let (n, fresh) = count(&dropped, &under_old).await;
    assert_eq!(n, 0);
    assert_ne!(id_of(&fresh.unwrap()), id.as_str());
    manager.shutdown().await;
}
