//! The cross-site check's opt-outs, with `tower::ServiceExt::oneshot`: an exempt route
//! takes cross-site posts (and may start a session), a trusted origin is let in, and a
//! layer built without the check lets everything through.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::post;
use http::{Request, StatusCode};
use ractor_session_axum::{SessionLayer, SessionLayerBuilder};
use tower::ServiceExt;

use crate::support::*;

fn app(builder: SessionLayerBuilder) -> Router {
    let hello = || async { "ok" };
    Router::new()
        .route("/sso/callback", post(hello))
        .route("/hooks/{name}", post(hello))
        .route("/cart", post(hello))
        .route(
            "/login",
            post(|_: ractor_session_axum::Session| async { "signed in" }),
        )
        .layer(builder.build().unwrap())
}

fn builder(manager: &ractor_session::SessionManager) -> SessionLayerBuilder {
    SessionLayer::builder(manager.clone())
        .with_key(key())
        .with_secure(false)
        .with_auto_start()
}

/// POSTs to `path` from `origin`, as a cross-site browser request; the status and whether
/// a cookie was set.
async fn cross_site_post(app: &Router, path: &str, origin: &str) -> (StatusCode, bool) {
    let request = Request::post(path)
        .header("host", "shop.example")
        .header("origin", origin)
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    (
        response.status(),
        response.headers().contains_key("set-cookie"),
    )
}

#[tokio::test]
async fn exempt_paths_take_cross_site_posts_and_others_do_not() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app(builder(&manager)
        .with_csrf_exempt_path("/sso/callback")
        .with_csrf_exempt_path("/hooks/*")
        .with_csrf_exempt_path("/login"));
    let evil = "https://idp.example";
    assert_eq!(
        cross_site_post(&app, "/sso/callback", evil).await.0,
        StatusCode::OK
    );
    assert_eq!(
        cross_site_post(&app, "/hooks/stripe", evil).await.0,
        StatusCode::OK
    );
    assert_eq!(
        cross_site_post(&app, "/cart", evil).await.0,
        StatusCode::FORBIDDEN
    );
    // An exempt route is an ordinary one: it may start a session.
    assert_eq!(
        cross_site_post(&app, "/login", evil).await,
        (StatusCode::OK, true)
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn trusted_origins_are_let_in() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app(builder(&manager).with_trusted_origin("https://app.example"));
    assert_eq!(
        cross_site_post(&app, "/cart", "https://app.example")
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        cross_site_post(&app, "/cart", "http://app.example").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        cross_site_post(&app, "/cart", "https://evil.example")
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn a_layer_without_the_check_lets_cross_site_posts_through() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app(builder(&manager).with_csrf_protection(false));
    assert_eq!(
        cross_site_post(&app, "/cart", "https://evil.example")
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        cross_site_post(&app, "/login", "https://evil.example").await,
        (StatusCode::OK, true)
    );
    manager.shutdown().await;
}
