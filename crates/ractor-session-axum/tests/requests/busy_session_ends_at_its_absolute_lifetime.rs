//! The layer gives the sessions it starts an absolute lifetime (12 hours by default, ASVS
//! V7.3.2): a session kept busy by requests — which all count as activity — still ends
//! then, as expired, without waiting for a request. On tokio's paused clock, through
//! `tower::ServiceExt::oneshot`.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::Request;
use http::header;
use ractor_session::{EndReason, SessionConfig, SessionManager};
use ractor_session_axum::LiveSockets;
use tokio::time::{Instant, advance};
use tower::ServiceExt;

use crate::support::*;

const HOUR: Duration = Duration::from_secs(3600);

/// GETs `path` with the session cookie `value`; returns the session cookie set, if any.
async fn get(app: &Router, path: &str, value: Option<&str>) -> Option<String> {
    let mut request = Request::get(path);
    if let Some(value) = value {
        request = request.header(header::COOKIE, cookie_header(value));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let set = response
        .headers()
        .get(header::SET_COOKIE)?
        .to_str()
        .unwrap();
    let value = set.strip_prefix(&format!("{COOKIE}="))?.split(';').next()?;
    Some(value.to_owned())
}

#[tokio::test(start_paused = true)]
async fn a_session_kept_busy_still_ends_after_twelve_hours() {
    // The manager's own settings: a one-hour idle timeout and no absolute lifetime.
    let manager = SessionManager::spawn(SessionConfig::default().with_rate_limit(None))
        .await
        .unwrap();
    assert_eq!(manager.config().max_lifetime, None);
    let app = routes()
        .with_state(LiveSockets::new())
        .layer(layer(&manager));

    let began = Instant::now();
    let value = get(&app, "/count", None).await.expect("a new session");
    let ended = manager.watch(id_of(&value)).await.unwrap();
    // A request every 50 minutes: the idle timeout alone would keep it forever.
    for _ in 0..14 {
        advance(50 * 60 * Duration::from_secs(1)).await;
        assert_eq!(
            get(&app, "/ping", Some(&value)).await,
            None,
            "kept, no cookie change"
        );
    }
    assert_eq!(ended.await, EndReason::Expired);
    let lived = began.elapsed();
    assert!(lived >= 12 * HOUR, "ended early, after {lived:?}");
    assert!(
        lived <= 12 * HOUR + Duration::from_secs(60),
        "ended late, after {lived:?}"
    );

    // The old cookie now gets a fresh session.
    let fresh = get(&app, "/count", Some(&value))
        .await
        .expect("a fresh session");
    assert_ne!(id_of(&fresh), id_of(&value));
    manager.shutdown().await;
}
