//! A rotation (login) must not log the user out through the requests it races. Over a real
//! server with real concurrent requests: requests that carry the old cookie — in flight
//! during the rotation, or sent before the browser has the new cookie — get no cookie
//! change at all (no removal, no fresh session's cookie), so whatever order the responses
//! arrive in, the browser ends up with the new cookie. The old ID still never reaches the
//! session: a request with it gets no session (409 where one is needed).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use ractor_session_axum::{LiveSockets, Session, SessionRejection};
use ractor_session_test_support::actors::CounterMsg;
use ractor_session_test_support::poll::PATIENCE;
use reqwest::cookie::{CookieStore, Jar};
use tokio::sync::{Notify, Semaphore};

use crate::support::*;

/// Holds `/slow` requests, once they have their session, until released.
#[derive(Clone)]
struct Gate {
    entered: Arc<Semaphore>,
    release: Arc<Notify>,
}

async fn slow(
    State(gate): State<Gate>,
    session: Session<CounterMsg>,
) -> Result<&'static str, SessionRejection> {
    let _ = session.id();
    // Waiting from before it says it has entered: the release can't slip in between.
    let released = gate.release.notified();
    gate.entered.add_permits(1);
    released.await;
    Ok("done")
}

/// The standard routes plus `/slow`, behind the standard layer.
async fn start_gated() -> (Server, Gate) {
    let manager = manager(Duration::from_secs(60)).await;
    let gate = Gate {
        entered: Arc::new(Semaphore::new(0)),
        release: Arc::new(Notify::new()),
    };
    let gated = Router::new()
        .route("/slow", get(slow))
        .with_state(gate.clone());
    let live = LiveSockets::new();
    let app = routes()
        .with_state(live.clone())
        .merge(gated)
        .layer(layer(&manager));
    (serve_app(manager, live, app).await, gate)
}

/// Waits until `n` gated requests are inside their handler.
async fn entered(gate: &Gate, n: u32) {
    let permits = tokio::time::timeout(PATIENCE, gate.entered.acquire_many(n))
        .await
        .expect("the requests reached the handler")
        .unwrap();
    permits.forget();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_with_the_old_cookie_leave_the_new_cookie_alone() {
    let (server, gate) = start_gated().await;
    // A browser: one cookie jar shared by all its requests.
    let jar = Arc::new(Jar::default());
    let browser = reqwest::Client::builder()
        .cookie_provider(Arc::clone(&jar))
        .build()
        .unwrap();
    let old = new_session(&server, &browser).await;
    browser.post(server.url("/incr")).send().await.unwrap();

    // Three requests in flight with the old cookie...
    let in_flight: Vec<_> = (0..3)
        .map(|_| tokio::spawn(browser.get(server.url("/slow")).send()))
        .collect();
    entered(&gate, 3).await;
    // ...while the login rotates the session and its response sets the new cookie.
    let login = browser.post(server.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let new = session_cookie(&login).expect("the login sets the new cookie");
    assert_ne!(id_of(&new), id_of(&old));

    // Then the slow responses arrive, after the login's.
    gate.release.notify_waiters();
    for request in in_flight {
        let response = tokio::time::timeout(PATIENCE, request)
            .await
            .expect("released requests answer")
            .unwrap()
            .unwrap();
        assert!(
            set_cookies(&response).is_empty(),
            "a request in flight wrote a cookie over the new one: {:?}",
            set_cookies(&response)
        );
    }

    // The browser still holds the new cookie, and it reaches the same state.
    let held = jar.cookies(&server.url("/").parse().unwrap()).unwrap();
    assert_eq!(held.to_str().unwrap(), cookie_header(&new));
    let count = browser.get(server.url("/count")).send().await.unwrap();
    assert_eq!(
        json_body(count).await["count"],
        1,
        "still signed in, same session"
    );
    server.manager.shutdown().await;
}

#[tokio::test]
async fn a_request_sent_with_the_old_cookie_after_the_rotation_gets_no_session_and_no_cookie() {
    let server = start(Duration::from_secs(60)).await;
    let client = bare_client();
    let old = new_session(&server, &client).await;
    let login = client
        .post(server.url("/login"))
        .header("cookie", cookie_header(&old))
        .send()
        .await
        .unwrap();
    let new = session_cookie(&login).unwrap();
    let live = server.manager.count();

    for path in ["/count", "/incr", "/ping"] {
        let method = if path == "/incr" {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let response = client
            .request(method, server.url(path))
            .header("cookie", cookie_header(&old))
            .send()
            .await
            .unwrap();
        assert!(
            set_cookies(&response).is_empty(),
            "{path}: {:?}",
            set_cookies(&response)
        );
        if path != "/ping" {
            // A session is needed: "retry", never a fresh one, never the rotated one.
            assert_eq!(response.status(), 409, "{path}");
        }
    }
    assert_eq!(server.manager.count(), live, "no session was started");
    let count = server
        .manager
        .call(id_of(&new), CounterMsg::Get)
        .await
        .unwrap();
    assert_eq!(count, 0, "the old cookie never reached the session");
    server.manager.shutdown().await;
}
