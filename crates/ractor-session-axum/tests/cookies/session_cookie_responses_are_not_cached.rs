//! Every response that sets or clears the session cookie carries `Cache-Control: no-store`,
//! whatever the handler said: a shared cache must never keep one and replay its
//! `Set-Cookie` (someone's session) to others. Responses that leave the cookie alone keep
//! the handler's caching.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use http::header::{CACHE_CONTROL, COOKIE, SET_COOKIE};
use http::{Request, Response};
use ractor_session_axum::Session;
use ractor_session_test_support::actors::CounterMsg;
use tower::ServiceExt;

use crate::support::*;

const PUBLIC: &str = "public, max-age=3600";

fn app(manager: &ractor_session::SessionManager) -> Router {
    Router::new()
        // A handler that marks its page cacheable and, by using the session, starts one.
        .route(
            "/page",
            get(|_: Session<CounterMsg>| async { ([(CACHE_CONTROL, PUBLIC)], "page") }),
        )
        .route(
            "/static",
            get(|| async { ([(CACHE_CONTROL, PUBLIC)], "static") }),
        )
        .route(
            "/logout",
            post(|session: Session<CounterMsg>| async move {
                session.terminate().await.unwrap();
                ([(CACHE_CONTROL, PUBLIC)], "bye")
            }),
        )
        .layer(layer(manager))
}

async fn send(app: &Router, method: &str, path: &str, cookie: Option<&str>) -> Response<Body> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(value) = cookie {
        request = request.header(COOKIE, cookie_header(value));
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn cache_control(response: &Response<Body>) -> Vec<&str> {
    response
        .headers()
        .get_all(CACHE_CONTROL)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

fn session_value(response: &Response<Body>) -> String {
    let set = response
        .headers()
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    let pair = set.split(';').next().unwrap();
    pair.split_once('=').unwrap().1.to_owned()
}

#[tokio::test]
async fn setting_or_clearing_the_cookie_makes_the_response_no_store() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app(&manager);

    // A new session's cookie.
    let started = send(&app, "GET", "/page", None).await;
    assert!(started.headers().contains_key(SET_COOKIE));
    assert_eq!(cache_control(&started), ["no-store"]);
    let value = session_value(&started);

    // The cookie is kept as it is: the handler's caching stands.
    let kept = send(&app, "GET", "/page", Some(&value)).await;
    assert!(!kept.headers().contains_key(SET_COOKIE));
    assert_eq!(cache_control(&kept), [PUBLIC]);

    // A refused cookie is cleared.
    let refused = send(&app, "GET", "/static", Some("forged")).await;
    assert!(refused.headers().contains_key(SET_COOKIE));
    assert_eq!(cache_control(&refused), ["no-store"]);

    // Logout clears it.
    let logout = send(&app, "POST", "/logout", Some(&value)).await;
    let removal = logout.headers().get(SET_COOKIE).unwrap().to_str().unwrap();
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(cache_control(&logout), ["no-store"]);
    manager.shutdown().await;
}
