//! Every request through the layer is session activity. With an idle timeout of 300 ms, a
//! request every 100 ms for a second keeps the session; once it is left idle it expires,
//! and the next request gets a new session.
//!
//! The requests here do not even read the session (`/ping` has no session extractor):
//! the layer's own touch is what keeps it alive.
//!
//! No timing threshold is asserted. A run only counts when the machine kept up, i.e. no
//! two consecutive requests were 280 ms or more apart (measured from one request's send
//! to the next one's reply, an upper bound on the gap between the server's touches);
//! otherwise the run is repeated.

use std::time::Duration;

use ractor_session_test_support::poll::eventually;
use tokio::time::Instant;

use crate::support::*;

const IDLE: Duration = Duration::from_millis(300);
const EVERY: Duration = Duration::from_millis(100);
const MAX_GAP: Duration = Duration::from_millis(280);

/// Keeps a session busy for about a second; `None` if the machine fell behind.
async fn keep_busy(server: &Server) -> Option<String> {
    let mut previous_sent = Instant::now();
    let value = new_session(server, &client()).await;
    let id = id_of(&value);
    for _ in 0..10 {
        tokio::time::sleep(EVERY).await;
        let sent = Instant::now();
        let response = server.get("/ping", &value).send().await.unwrap();
        if Instant::now() - previous_sent >= MAX_GAP {
            return None;
        }
        previous_sent = sent;
        assert_eq!(response.status(), 200);
        assert_eq!(
            session_cookie(&response),
            None,
            "the session was kept, no cookie change"
        );
    }
    assert!(
        server.manager.is_started(&id),
        "a second of requests kept the session alive"
    );
    Some(value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_every_100ms_keep_a_300ms_session_then_idle_expires_it() {
    let server = start(IDLE).await;
    let mut kept = None;
    for _ in 0..10 {
        kept = keep_busy(&server).await;
        if kept.is_some() {
            break;
        }
    }
    let value = kept.expect("the machine never kept up with 100 ms requests in 10 runs");
    let old = id_of(&value);

    // Left idle, it expires (no request is sent meanwhile: that would touch it).
    eventually("the idle session expires", || async {
        !server.manager.is_started(&old)
    })
    .await;

    let response = server.get("/count", &value).send().await.unwrap();
    let fresh = id_of(&session_cookie(&response).expect("a new session cookie"));
    assert_ne!(fresh, old);
    assert_eq!(json_body(response).await["count"], 0);
    server.manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_is_gone_for_its_cookie() {
    let server = start(IDLE).await;
    let client = client();
    let old = id_of(&new_session(&server, &client).await);
    eventually("the idle session expires", || async {
        !server.manager.is_started(&old)
    })
    .await;
    // A request that does not use the session only clears the dead cookie.
    let response = client.get(server.url("/ping")).send().await.unwrap();
    assert_eq!(session_cookie(&response).as_deref(), Some(""));
    assert_eq!(server.manager.count(), 0);
    server.manager.shutdown().await;
}
