//! With a session store, a correctly signed cookie whose session is not in memory — the
//! process restarted — is adopted: the layer revives the stored session (one actor however
//! many requests race for it) and the request carries on as if it had never left. A
//! record that expired meanwhile is not revived: the cookie gets a fresh ID. A store that
//! fails is a 503, never a fresh session that would later overwrite the stored one. A live
//! socket opened on a stored session revives it first.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt as _;
use ractor_session::SessionId;
use ractor_session::durable::SessionStore;
use ractor_session_axum::LiveSockets;
use ractor_session_test_support::CountingStore;
use ractor_session_test_support::poll::eventually;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

const IDLE: Duration = Duration::from_secs(60);

/// A server over a new manager on `store` (a process, started or restarted).
async fn start_on(store: &Arc<CountingStore>, idle: Duration) -> Server {
    let manager = durable_manager(store.clone(), idle).await;
    let layer = layer(&manager);
    serve_routes(manager, LiveSockets::new(), layer).await
}

/// A session counted up to `n` on `server`; its cookie value.
async fn counted_to(server: &Server, n: u64) -> String {
    let value = new_session(server, &bare_client()).await;
    for _ in 0..n {
        let response = server.post("/incr", &value).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    value
}

#[tokio::test]
async fn a_restarted_server_adopts_the_cookie_of_a_stored_session() {
    let store = Arc::new(CountingStore::in_memory());
    let before = start_on(&store, IDLE).await;
    let value = counted_to(&before, 3).await;
    before.manager.shutdown().await; // writes every change

    let after = start_on(&store, IDLE).await;
    assert_eq!(after.manager.count(), 0, "nothing in memory yet");
    let response = after.get("/count", &value).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        session_cookie(&response),
        None,
        "the cookie is kept as it is"
    );
    assert_eq!(json_body(response).await["count"], 3);
    assert!(after.manager.is_started(id_of(&value)));

    // Adopted for good: the next request finds it in memory.
    let reads = store.reads();
    let response = after.post("/incr", &value).send().await.unwrap();
    assert_eq!(response.text().await.unwrap(), "4");
    assert_eq!(store.reads(), reads);
    after.manager.shutdown().await;
}

#[tokio::test]
async fn racing_requests_revive_one_actor() {
    let store = Arc::new(CountingStore::in_memory());
    let before = start_on(&store, IDLE).await;
    let value = counted_to(&before, 1).await;
    before.manager.shutdown().await;

    let after = start_on(&store, IDLE).await;
    let requests = (0..16).map(|_| {
        let request = after.get("/count", &value);
        async move { json_body(request.send().await.unwrap()).await }
    });
    let bodies = futures_util::future::join_all(requests).await;
    let actors: HashSet<String> = bodies
        .iter()
        .map(|body| {
            assert_eq!(body["count"], 1);
            body["actor"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(actors.len(), 1, "one actor: {actors:?}");
    assert_eq!(after.manager.count(), 1);
    after.manager.shutdown().await;
}

#[tokio::test]
async fn a_store_that_fails_is_a_503_and_never_a_fresh_session() {
    let store = Arc::new(CountingStore::in_memory());
    let before = start_on(&store, IDLE).await;
    let value = counted_to(&before, 2).await;
    before.manager.shutdown().await;

    let after = start_on(&store, IDLE).await;
    store.fail_reads(true);
    let response = after.get("/count", &value).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(session_cookie(&response), None, "the cookie is left alone");
    assert!(response.text().await.unwrap().contains("session store"));
    assert_eq!(
        after.manager.count(),
        0,
        "no session was started in its place"
    );

    // Back: the stored session, untouched.
    store.fail_reads(false);
    let response = after.get("/count", &value).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(json_body(response).await["count"], 2);
    after.manager.shutdown().await;
}

#[tokio::test]
async fn a_session_that_expired_while_the_server_was_down_gets_a_fresh_id() {
    let idle = Duration::from_millis(300);
    let store = Arc::new(CountingStore::in_memory());
    let before = start_on(&store, idle).await;
    let value = counted_to(&before, 2).await;
    before.manager.shutdown().await;
    let id = SessionId::parse(&id_of(&value)).unwrap();
    assert!(
        store.load(&id).await.unwrap().is_some(),
        "stored at shutdown"
    );
    // The server is down; the record's idle deadline passes.
    eventually("the record expires", || async {
        store.load(&id).await.unwrap().is_none()
    })
    .await;

    let after = start_on(&store, idle).await;
    let response = after.get("/count", &value).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let fresh = session_cookie(&response).expect("a fresh session's cookie");
    assert_ne!(id_of(&fresh), id.as_str());
    assert_eq!(json_body(response).await["count"], 0, "an empty session");
    assert!(!after.manager.is_started(id.as_str()));
    after.manager.shutdown().await;
}

#[tokio::test]
async fn a_live_socket_on_a_stored_session_revives_it() {
    let store = Arc::new(CountingStore::in_memory());
    let before = start_on(&store, IDLE).await;
    let value = counted_to(&before, 5).await;
    before.manager.shutdown().await;

    let after = start_on(&store, IDLE).await;
    // No page load first: the socket is the restarted server's first sight of the ID.
    let mut ws = after.socket(&value).await;
    let id = id_of(&value);
    assert!(after.manager.is_started(&id));
    eventually("the socket is registered", || async {
        after.live.count(&id) == 1
    })
    .await;
    ws.send(Message::text("incr")).await.unwrap();
    eventually(
        "the socket's message reaches the revived session",
        || async {
            let response = after.get("/count", &value).send().await.unwrap();
            json_body(response).await["count"] == 6
        },
    )
    .await;
    after.manager.shutdown().await;
}
