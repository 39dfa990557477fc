//! A durable session parked while idle (its actor stopped, its state in the store) is
//! revived by the next request that names it through `Session<M>`: the request succeeds
//! with the state it had, under the same cookie.

use std::sync::Arc;
use std::time::Duration;

use ractor_session::SessionManager;
use ractor_session_axum::LiveSockets;
use ractor_session_test_support::CountingStore;
use ractor_session_test_support::actors::Counter;
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;

use crate::support::*;

#[tokio::test]
async fn a_parked_session_answers_its_next_request_with_its_state() {
    let store = Arc::new(CountingStore::in_memory());
    let manager = SessionManager::builder(
        config()
            .with_idle_timeout(Duration::from_secs(60))
            .with_passivate_after(Some(Duration::from_millis(200))),
    )
    .with_store(store)
    .with_durable(|| Counter)
    .spawn()
    .await
    .expect("manager starts");
    let server = serve_routes(manager.clone(), LiveSockets::new(), layer(&manager)).await;
    let value = new_session(&server, &bare_client()).await;
    for _ in 0..3 {
        let response = server.post("/incr", &value).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    eventually("the session is parked", || async {
        manager.stats().parked == Some(1)
    })
    .await;

    let response = server.post("/incr", &value).send().await.unwrap();
    assert_eq!(response.status(), 200, "the parked session is revived");
    assert_eq!(session_cookie(&response), None, "the cookie is kept");
    assert_eq!(response.text().await.unwrap(), "4");
    assert_eq!(manager.stats().parked, Some(0));
    let response = server.get("/count", &value).send().await.unwrap();
    assert_eq!(json_body(response).await["count"], 4);
    manager.shutdown().await;
}
