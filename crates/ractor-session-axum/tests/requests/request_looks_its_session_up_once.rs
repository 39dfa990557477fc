//! A request finds its session in the registry once, when the layer reads its cookie, and
//! every extractor, call, cast and the `Set-Cookie` decision reuse what that lookup found.
//! With a session store, only a correctly signed ID that is not in memory costs a store
//! read, one, and only when the request uses its session.
//!
//! Each test drives the layer with `oneshot` on a current-thread runtime, so the handler
//! and the session actors run on the test's thread and the per-thread lookup counter counts
//! exactly the lookups of the request under test.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode, header};
use ractor_session::test_util::registry_lookups;
use ractor_session::{SessionId, SessionManager};
use ractor_session_axum::{CurrentSessionId, Session, SessionRejection};
use ractor_session_test_support::CountingStore;
use ractor_session_test_support::actors::{Counter, CounterMsg};
use tower::ServiceExt;

use crate::support::*;

/// Three calls and two casts: each used to look the session up again.
async fn busy(session: Session<CounterMsg>) -> Result<String, SessionRejection> {
    session.call(CounterMsg::Incr).await?;
    session.cast(CounterMsg::Add(10))?;
    session.call(CounterMsg::Incr).await?;
    session.cast(CounterMsg::Add(100))?;
    let n = session.call(CounterMsg::Get).await?;
    session.actor()?;
    Ok(n.to_string())
}

async fn whoami(CurrentSessionId(id): CurrentSessionId) -> String {
    id.redacted().to_string()
}

async fn maybe(session: Option<Session<CounterMsg>>) -> Result<String, SessionRejection> {
    Ok(match session {
        Some(session) => session.call(CounterMsg::Get).await?.to_string(),
        None => "none".to_owned(),
    })
}

/// The test app over `manager`, with the auto-starting counter layer.
fn app(manager: &SessionManager) -> Router {
    Router::new()
        .route("/busy", get(busy))
        .route("/whoami", get(whoami))
        .route("/maybe", get(maybe))
        .route("/ping", get(|| async { "pong" }))
        .layer(layer(manager))
}

/// Sends one request with an optional session cookie value; returns the status, the
/// session cookie the response set (removals are `Some("")`), the body and the registry
/// lookups the request made.
async fn request(
    app: &Router,
    path: &str,
    cookie: Option<&str>,
) -> (StatusCode, Option<String>, String, u64) {
    let mut builder = Request::get(path);
    if let Some(value) = cookie {
        builder = builder.header(header::COOKIE, cookie_header(value));
    }
    let before = registry_lookups();
    let response = app
        .clone()
        .oneshot(builder.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let lookups = registry_lookups() - before;
    let status = response.status();
    let set = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .find_map(|v| {
            let parsed = cookie::Cookie::parse(v.to_str().ok()?).ok()?;
            (parsed.name() == COOKIE).then(|| parsed.value().to_owned())
        });
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = String::from_utf8(body.to_vec()).unwrap();
    (status, set, body, lookups)
}

/// A live counter session and its signed cookie value.
async fn live_session(manager: &SessionManager) -> (SessionId, String) {
    let id = SessionId::generate();
    manager.start_with(&id, Counter, 0).await.unwrap();
    let value = sign(id.as_str());
    (id, value)
}

#[tokio::test]
async fn a_valid_cookie_costs_one_lookup_however_often_the_handler_calls() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app(&manager);
    let (_, value) = live_session(&manager).await;

    let (status, set, body, lookups) = request(&app, "/busy", Some(&value)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "112", "every call and cast reached the session");
    assert_eq!(set, None, "the cookie is kept as it is");
    assert_eq!(lookups, 1);
    manager.shutdown().await;
}

#[tokio::test]
async fn current_session_id_and_optional_session_cost_one_lookup() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app(&manager);
    let (id, value) = live_session(&manager).await;

    let (status, set, body, lookups) = request(&app, "/whoami", Some(&value)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, id.redacted().to_string());
    assert_eq!(set, None);
    assert_eq!(lookups, 1, "CurrentSessionId");

    let (status, set, body, lookups) = request(&app, "/maybe", Some(&value)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "0");
    assert_eq!(set, None);
    assert_eq!(lookups, 1, "Option<Session>");
    manager.shutdown().await;
}

#[tokio::test]
async fn auto_start_without_a_cookie_costs_the_get_or_start_lookup_only() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app(&manager);

    let (status, set, body, lookups) = request(&app, "/busy", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "112");
    let fresh = id_of(&set.expect("the new session's cookie is set"));
    assert!(manager.is_started(&fresh));
    // The start looks the fresh ID up once before taking its registry slot; the slot's
    // insert and the registration are writes, not lookups.
    assert_eq!(lookups, 1);
    manager.shutdown().await;
}

#[tokio::test]
async fn an_unknown_cookie_costs_its_one_failed_lookup() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app(&manager);
    // Correctly signed, but its session has ended.
    let (id, value) = live_session(&manager).await;
    manager.terminate(&id).await.unwrap();

    let (status, set, body, lookups) = request(&app, "/maybe", Some(&value)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "none");
    assert_eq!(set.as_deref(), Some(""), "the refused cookie is cleared");
    assert_eq!(lookups, 1);

    // With auto-start: the failed lookup, then the start's.
    let (status, set, body, lookups) = request(&app, "/busy", Some(&value)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "112");
    let fresh = id_of(&set.expect("a fresh session's cookie is set"));
    assert_ne!(fresh, id.as_str());
    assert_eq!(lookups, 2);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_forged_cookie_is_never_looked_up() {
    let manager = manager(Duration::from_secs(60)).await;
    let app = app(&manager);
    let (id, _) = live_session(&manager).await;
    // A live session's ID, signed with another key.
    let forged = sign_as(&cookie::Key::generate(), COOKIE, id.as_str());

    let (status, set, body, lookups) = request(&app, "/maybe", Some(&forged)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "none");
    assert_eq!(set.as_deref(), Some(""));
    assert_eq!(lookups, 0);

    let (status, set, _, lookups) = request(&app, "/busy", Some(&forged)).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(id_of(&set.unwrap()), id.as_str());
    assert_eq!(lookups, 1, "the start's lookup only");
    manager.shutdown().await;
}

/// A manager keeping its counters in a store that counts its reads.
async fn durable() -> (SessionManager, Arc<CountingStore>) {
    let store = Arc::new(CountingStore::in_memory());
    let manager = durable_manager(store.clone(), Duration::from_secs(60)).await;
    (manager, store)
}

#[tokio::test]
async fn with_a_store_a_live_cookie_costs_one_lookup_and_no_store_read() {
    let (manager, store) = durable().await;
    let app = app(&manager);
    let (_, value) = live_session(&manager).await;
    let reads = store.reads();

    let (status, set, body, lookups) = request(&app, "/busy", Some(&value)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "112");
    assert_eq!(set, None);
    assert_eq!(lookups, 1);
    assert_eq!(
        store.reads() - reads,
        0,
        "a live session is never read from the store"
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn with_a_store_an_unknown_cookie_costs_one_store_read() {
    let (manager, store) = durable().await;
    let app = app(&manager);
    // Correctly signed, but its session has ended: its record is gone too.
    let (id, value) = live_session(&manager).await;
    manager.terminate(&id).await.unwrap();

    let reads = store.reads();
    let (status, set, body, _) = request(&app, "/maybe", Some(&value)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "none");
    assert_eq!(set.as_deref(), Some(""), "the refused cookie is cleared");
    assert_eq!(store.reads() - reads, 1);

    // With auto-start: the cookie's one read, then a fresh session, whose start checks the
    // store for its new ID as every start on a manager with a store does.
    let reads = store.reads();
    let (status, set, body, _) = request(&app, "/busy", Some(&value)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "112");
    assert_ne!(id_of(&set.expect("a fresh session's cookie")), id.as_str());
    assert_eq!(store.reads() - reads, 2);

    let reads = store.reads();
    let (status, ..) = request(&app, "/busy", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(store.reads() - reads, 1, "the start's check only");
    manager.shutdown().await;
}

#[tokio::test]
async fn with_a_store_forged_and_malformed_cookies_cost_no_store_read() {
    let (manager, store) = durable().await;
    let app = app(&manager);
    let stranger = SessionId::generate();
    let presented = [
        // A well-formed ID signed with another key.
        sign_as(&cookie::Key::generate(), COOKIE, stranger.as_str()),
        // Unsigned.
        stranger.as_str().to_owned(),
        // Garbage.
        "%%not-a-cookie%%".to_owned(),
    ];
    for value in &presented {
        let reads = store.reads();
        let (status, _, body, lookups) = request(&app, "/maybe", Some(value)).await;
        assert_eq!(status, StatusCode::OK, "{value}");
        assert_eq!(body, "none");
        assert_eq!(lookups, 0);
        assert_eq!(store.reads() - reads, 0, "{value}");
    }
    manager.shutdown().await;
}

#[tokio::test]
async fn with_a_store_a_request_that_never_uses_its_session_costs_no_store_read() {
    let (manager, store) = durable().await;
    let app = app(&manager);
    let value = sign(SessionId::generate().as_str());

    let reads = store.reads();
    let (status, set, body, lookups) = request(&app, "/ping", Some(&value)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "pong");
    assert_eq!(
        set, None,
        "an ID the store was not asked about is left alone"
    );
    assert_eq!(lookups, 1);
    assert_eq!(store.reads() - reads, 0);
    manager.shutdown().await;
}
