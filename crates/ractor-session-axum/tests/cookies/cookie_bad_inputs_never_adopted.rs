//! The middleware's cookie handling, driven with `tower::ServiceExt::oneshot`: garbage,
//! oversized, duplicated and non-UTF-8 cookies never break a request and are never adopted;
//! cookies are set or cleared exactly when the session changes.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response, StatusCode};
use ractor_session::{SessionId, SessionManager};
use ractor_session_axum::{CurrentSessionId, NewSession, SessionLayer, SessionRejection};
use ractor_session_test_support::actors::CounterMsg;
use ractor_session_test_support::config::config;
use tower::ServiceExt;

use crate::support::*;

async fn whoami(id: Option<CurrentSessionId>) -> String {
    id.map(|CurrentSessionId(id)| id.to_string())
        .unwrap_or_default()
}

async fn start_id(CurrentSessionId(id): CurrentSessionId) -> String {
    id.to_string()
}

async fn begin(new: NewSession) -> Result<String, SessionRejection> {
    Ok(new.start().await?.id().to_string())
}

/// A layer whose sessions are the default key-value session, started by a handler or, with
/// `auto_start`, by the first request that needs one.
fn kv_layer(manager: &SessionManager, auto_start: bool) -> SessionLayer {
    let builder = SessionLayer::builder(manager.clone())
        .with_key(key())
        .with_secure(false);
    let builder = if auto_start {
        builder.with_auto_start()
    } else {
        builder
    };
    builder.build().unwrap()
}

async fn app_with(manager: &SessionManager, auto_start: bool) -> Router {
    Router::new()
        .route("/whoami", get(whoami))
        .route("/start", get(start_id))
        .route("/begin", post(begin))
        .layer(kv_layer(manager, auto_start))
}

async fn send(app: &Router, method: &str, path: &str, cookies: &[&[u8]]) -> Response<Body> {
    let mut request = Request::builder().method(method).uri(path);
    for value in cookies {
        request = request.header(COOKIE, HeaderValue::from_bytes(value).unwrap());
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn set_cookie(response: &Response<Body>) -> Option<String> {
    let all: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
    assert!(all.len() <= 1, "one Set-Cookie at most: {all:?}");
    all.first().map(|v| v.to_str().unwrap().to_owned())
}

fn cookie_id(header: &str) -> String {
    let value = header
        .strip_prefix("session_id=")
        .and_then(|rest| rest.split(';').next())
        .unwrap();
    id_of(value)
}

async fn body(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn garbage_cookies_never_break_a_request_and_are_cleared() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app_with(&manager, true).await;
    let garbage: [&[u8]; 6] = [
        b"session_id=",
        b"session_id=;;;;",
        b"session_id=\"quoted\"",
        b"session_id=%00%01",
        b";;; =; ==; session_id==",
        b"session_id=\x80\x81 \tx",
    ];
    for value in garbage {
        let response = send(&app, "GET", "/whoami", &[value]).await;
        assert_eq!(response.status(), StatusCode::OK);
        // Nothing was started, so the refused cookie is only cleared.
        let header = set_cookie(&response).expect("a refused cookie is cleared");
        assert!(header.starts_with("session_id=;"), "{header}");
        assert!(header.contains("Max-Age=0"), "{header}");
        assert_eq!(body(response).await, "");
    }
    // A bare name is no cookie of ours (RFC 6265bis reads it as a nameless value).
    let response = send(&app, "GET", "/whoami", &[b"session_id; session_id ;"]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(set_cookie(&response), None);
    assert_eq!(manager.count(), 0);
    manager.shutdown().await;
}

#[tokio::test]
async fn non_utf8_cookie_headers_are_handled_as_bytes() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app_with(&manager, true).await;
    let started = send(&app, "GET", "/start", &[]).await;
    let id = cookie_id(&set_cookie(&started).unwrap());
    let value = sign(&id);

    // Invalid UTF-8 around the session cookie does not hide it.
    let mixed = [
        b"lang=\xe9t\xe9; ".as_slice(),
        b"session_id=",
        value.as_bytes(),
        b"; x=\xff",
    ]
    .concat();
    let response = send(&app, "GET", "/whoami", &[&mixed]).await;
    assert_eq!(set_cookie(&response), None);
    assert_eq!(body(response).await, id);

    // Invalid UTF-8 inside the session cookie is refused.
    let response = send(&app, "GET", "/start", &[b"session_id=\xff\xfe\xfd\xfc"]).await;
    let fresh = cookie_id(&set_cookie(&response).unwrap());
    assert_ne!(fresh, id);
    manager.shutdown().await;
}

#[tokio::test]
async fn oversized_cookies_are_refused_unread() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app_with(&manager, true).await;
    let id = SessionId::generate();
    manager.start(&id).await.unwrap();
    // A live ID after 64 KB of padding: too long to be ours, never verified or adopted.
    let huge = format!("session_id={}{}", "A".repeat(64 * 1024), sign(id.as_str()));
    let response = send(&app, "GET", "/start", &[huge.as_bytes()]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let fresh = cookie_id(&set_cookie(&response).unwrap());
    assert_ne!(fresh, id.as_str());
    manager.shutdown().await;
}

#[tokio::test]
async fn among_several_session_cookies_only_a_valid_live_one_is_adopted() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app_with(&manager, true).await;
    let live = SessionId::generate();
    manager.start(&live).await.unwrap();
    let unknown = SessionId::generate();
    let forged = format!("{}{}", "B".repeat(TAG_LEN), live);

    let cookies = [
        format!("session_id={forged}"),
        format!("session_id={}", sign(unknown.as_str())),
        format!("session_id={}; session_id=junk", sign(live.as_str())),
    ];
    let bytes: Vec<&[u8]> = cookies.iter().map(|c| c.as_bytes()).collect();
    let response = send(&app, "GET", "/whoami", &bytes).await;
    assert_eq!(set_cookie(&response), None, "the live session was kept");
    assert_eq!(body(response).await, live.as_str());
    assert!(
        !manager.is_started(&unknown),
        "the unknown ID was not adopted"
    );

    // Only refused ones: a fresh session, none of the presented IDs.
    let response = send(&app, "GET", "/start", &bytes[..2]).await;
    let fresh = cookie_id(&set_cookie(&response).unwrap());
    assert!(fresh != live.as_str() && fresh != unknown.as_str());
    manager.shutdown().await;
}

#[tokio::test]
async fn without_auto_start_nothing_is_started_until_a_handler_asks() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app_with(&manager, false).await;

    let response = send(&app, "GET", "/whoami", &[]).await;
    assert_eq!(set_cookie(&response), None, "no session, no cookie");
    let response = send(&app, "GET", "/start", &[]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(manager.count(), 0);

    let response = send(&app, "POST", "/begin", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let id = cookie_id(&set_cookie(&response).expect("a started session sets its cookie"));
    assert_eq!(body(response).await, id);
    assert!(manager.is_started(&id));

    // With a live session, starting another is refused; the cookie stays as it is.
    let value = sign(&id);
    let cookie = format!("session_id={value}");
    let response = send(&app, "POST", "/begin", &[cookie.as_bytes()]).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(set_cookie(&response), None);
    assert!(
        !body(response).await.contains(&id),
        "bodies never show the ID"
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn logout_clears_the_cookie_and_login_after_it_gets_a_new_id() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = Router::new()
        .route(
            "/logout-login",
            post(
                |session: ractor_session_axum::Session, new: NewSession| async move {
                    let old = session.id().clone();
                    session.terminate().await.unwrap();
                    let again = new.start().await.unwrap();
                    assert_ne!(again.id(), &old, "a new session never reuses the old ID");
                    "ok"
                },
            ),
        )
        .route(
            "/logout",
            post(|session: ractor_session_axum::Session| async move {
                session.terminate().await.unwrap();
            }),
        )
        .layer(kv_layer(&manager, true));
    let id = SessionId::generate();
    manager.start(&id).await.unwrap();
    let cookie = format!("session_id={}", sign(id.as_str()));

    let response = send(&app, "POST", "/logout-login", &[cookie.as_bytes()]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let new = cookie_id(&set_cookie(&response).unwrap());
    assert_ne!(new, id.as_str());
    assert!(manager.is_started(&new));

    let cookie = format!("session_id={}", sign(&new));
    let response = send(&app, "POST", "/logout", &[cookie.as_bytes()]).await;
    let header = set_cookie(&response).unwrap();
    assert!(
        header.starts_with("session_id=;") && header.contains("Max-Age=0"),
        "{header}"
    );
    assert_eq!(manager.count(), 0);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_session_of_another_type_is_a_500_naming_both_types() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = Router::new()
        .route(
            "/",
            get(|_: ractor_session_axum::Session<CounterMsg>| async { "unreachable" }),
        )
        .layer(kv_layer(&manager, true));
    let response = send(&app, "GET", "/", &[]).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = body(response).await;
    assert!(
        text.contains("wrong session type") && text.contains("CounterMsg"),
        "{text}"
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn when_the_session_limit_is_reached_extraction_answers_503() {
    let manager = SessionManager::spawn(config().with_max_sessions(1))
        .await
        .unwrap();
    let app = app_with(&manager, true).await;
    let first = send(&app, "GET", "/start", &[]).await;
    assert_eq!(first.status(), StatusCode::OK);
    // Its cookie comes back: a returning visitor is never evicted for a newcomer.
    let header = set_cookie(&first).unwrap();
    let cookie = header.split(';').next().unwrap().to_owned();
    let back = send(&app, "GET", "/whoami", &[cookie.as_bytes()]).await;
    assert_eq!(back.status(), StatusCode::OK);
    let response = send(&app, "GET", "/start", &[]).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(set_cookie(&response), None);
    // Requests that don't need a session still work.
    assert_eq!(
        send(&app, "GET", "/whoami", &[]).await.status(),
        StatusCode::OK
    );
    manager.shutdown().await;
}
