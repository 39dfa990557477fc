//! After rotation the new cookie reaches the same state and, once the rotation's grace is
//! over, the old cookie gets a fresh session; the old ID's live sockets are told `rotated`
//! (4002).

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, header};
use ractor_session::{SessionError, SessionId};
use ractor_session_axum::{LiveSockets, Session, SessionLayer};
use ractor_session_test_support::actors::{Counter, CounterMsg};
use ractor_session_test_support::poll::eventually;
use ractor_session_test_support::ws::{connect, expect_end, refused_status};
use tokio::sync::Barrier;
use tower::ServiceExt;

use crate::support::*;

#[tokio::test]
async fn the_new_cookie_keeps_the_state_and_the_old_one_gets_a_fresh_session_after_the_grace() {
    let manager = manager(Duration::from_secs(60)).await;
    let layer = SessionLayer::builder(manager.clone())
        .with_key(key())
        .with_secure(false)
        .with_auto_start_with(|| (Counter, 0))
        .with_rotation_grace(Duration::from_millis(200))
        .build()
        .unwrap();
    let server = serve_routes(manager.clone(), LiveSockets::new(), layer).await;
    let old_value = new_session(&server, &bare_client()).await;
    let old = id_of(&old_value);
    for _ in 0..3 {
        server.post("/incr", &old_value).send().await.unwrap();
    }

    let rotated = server.post("/login", &old_value).send().await.unwrap();
    assert_eq!(rotated.status(), 200);
    let new_value = session_cookie(&rotated).expect("rotation sets the new cookie");
    let new = id_of(&new_value);
    assert_ne!(new, old);
    assert!(
        !manager.is_started(&old),
        "the old ID stopped working at once"
    );

    let with_new = server.get("/count", &new_value).send().await.unwrap();
    assert_eq!(session_cookie(&with_new), None);
    assert_eq!(
        json_body(with_new).await["count"],
        3,
        "same state under the new ID"
    );

    // Within the grace the old cookie gets 409 and no cookie; once it is over, the old
    // cookie is an unknown ID like any other.
    let fresh = RefCell::new(None);
    eventually("the old cookie gets a fresh session", || async {
        let response = server.get("/count", &old_value).send().await.unwrap();
        let Some(value) = session_cookie(&response) else {
            assert_eq!(response.status(), 409, "within the grace: retry, no cookie");
            return false;
        };
        *fresh.borrow_mut() = Some(id_of(&value));
        true
    })
    .await;
    let fresh = fresh.take().expect("a fresh session");
    assert!(fresh != old && fresh != new, "a fresh ID");
    assert_eq!(
        manager.call(&fresh, CounterMsg::Get).await.unwrap(),
        0,
        "a fresh, empty session"
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn live_sockets_of_the_old_id_are_told_rotated_with_4002() {
    let server = start(Duration::from_secs(60)).await;
    let (value, mut ws) = open_socket(&server).await;

    let rotated = server.post("/login", &value).send().await.unwrap();
    let new_value = session_cookie(&rotated).unwrap();
    expect_end(&mut ws, "rotated", 4002).await;

    // The browser reconnects with the new cookie, and is accepted.
    let url = server.ws_url("/live");
    let origin = server.origin();
    let again = connect(&url, Some(&cookie_header(&new_value)), Some(&origin)).await;
    assert!(again.is_ok());
    // The old cookie can no longer open a socket.
    assert_eq!(
        refused_status(&url, Some(&cookie_header(&value)), Some(&origin)).await,
        401
    );
    server.manager.shutdown().await;
}

#[tokio::test]
async fn a_request_in_flight_during_a_rotation_neither_uses_nor_learns_the_new_id() {
    let manager = manager(Duration::from_secs(60)).await;
    // The handler waits at the barrier twice: once extracted, and until the rotation.
    let barrier = Arc::new(Barrier::new(2));
    let waits = Arc::clone(&barrier);
    let app = Router::new()
        .route(
            "/slow",
            get(move |session: Session<CounterMsg>| async move {
                waits.wait().await;
                waits.wait().await;
                match session.call(CounterMsg::Get).await {
                    Err(SessionError::SessionNotFound { .. }) => "not found".to_owned(),
                    other => format!("{:?}", other.map_err(|e| e.to_string())),
                }
            }),
        )
        .layer(layer(&manager));
    let id = SessionId::generate();
    manager.start_with(&id, Counter, 0).await.unwrap();
    let request = Request::get("/slow")
        .header(header::COOKIE, cookie_header(&sign(id.as_str())))
        .body(Body::empty())
        .unwrap();
    let in_flight = tokio::spawn(app.oneshot(request));

    barrier.wait().await;
    let new = manager.rotate(&id).await.unwrap();
    barrier.wait().await;
    let response = in_flight.await.unwrap().unwrap();

    let set: Vec<String> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        set.iter().all(|header| !header.contains(new.as_str())),
        "the new ID leaked to a request that came with the old one: {set:?}"
    );
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(body, "not found", "the call reached the rotated session");
    assert!(manager.is_started(&new), "the rotated session lives on");
    manager.shutdown().await;
}
