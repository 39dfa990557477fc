//! A web app whose session store goes down under load keeps answering: sessions serve from
//! memory while PostgreSQL is stopped, every request succeeds, and once the server is
//! back every acknowledged update is in the store. A real PostgreSQL server on loopback,
//! stopped and restarted under a real axum server with concurrent clients; skipped loudly
//! when PostgreSQL is missing (except under `CI`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ractor_session::durable::{PostgresOptions, PostgresStore, SessionStore};
use ractor_session::{DurabilityConfig, SessionId, SessionManager};
use ractor_session_axum::LiveSockets;
use ractor_session_test_support::PostgresServer;
use ractor_session_test_support::actors::Counter;
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;

use crate::support::*;

/// Clients, each with a session of its own, sending increments side by side.
const CLIENTS: usize = 8;

/// Increments `value`'s counter until `stop` is set, then a few more; returns how many
/// were acknowledged (every one must be: a failed request fails the test).
async fn keep_incrementing(server: &Server, value: &str, stop: &AtomicBool) -> u64 {
    let mut acknowledged = 0;
    while !stop.load(Ordering::SeqCst) {
        let response = server.post("/incr", value).send().await.unwrap();
        assert_eq!(
            response.status(),
            200,
            "a request failed during the store's outage"
        );
        acknowledged += 1;
        assert_eq!(response.text().await.unwrap(), acknowledged.to_string());
        tokio::task::yield_now().await;
    }
    acknowledged
}

/// The counter stored for the session of cookie `value`, if any.
async fn stored_count(store: &dyn SessionStore, value: &str) -> Option<u64> {
    let id = SessionId::parse(&id_of(value)).unwrap();
    let record = store.load(&id).await.ok()??;
    serde_json::from_slice(record.state()).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_keep_succeeding_while_postgres_is_down_and_every_update_is_stored_after() {
    let Some(mut postgres) = PostgresServer::start() else {
        return;
    };
    let options = PostgresOptions::default().with_timeout(Duration::from_secs(2));
    let store: Arc<dyn SessionStore> = Arc::new(
        PostgresStore::connect_with(&postgres.create_database(), options)
            .await
            .unwrap(),
    );
    let durability = DurabilityConfig::default()
        .with_flush_interval(Duration::from_millis(20))
        .with_max_retry_backoff(Duration::from_millis(200));
    let manager = SessionManager::builder(config())
        .with_store(store.clone())
        .with_durability(durability)
        .with_durable(|| Counter)
        .spawn()
        .await
        .unwrap();
    let server = Arc::new(serve_routes(manager.clone(), LiveSockets::new(), layer(&manager)).await);
    let mut values = Vec::new();
    for _ in 0..CLIENTS {
        values.push(new_session(&server, &bare_client()).await);
    }

    // Load before, during and after the outage, without a pause.
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = values
        .iter()
        .map(|value| {
            let (server, value, stop) = (server.clone(), value.clone(), stop.clone());
            tokio::spawn(async move { keep_incrementing(&server, &value, &stop).await })
        })
        .collect();
    eventually("the first updates are stored", || async {
        stored_count(&*store, &values[0])
            .await
            .is_some_and(|n| n > 0)
    })
    .await;
    tokio::task::block_in_place(|| postgres.stop());
    assert!(store.health().await.is_err(), "the store is down");
    // Requests go on while the store is down: every session moves on.
    for value in &values {
        let before = manager_count(&server, value).await;
        eventually("requests are served while the store is down", || async {
            manager_count(&server, value).await > before + 5
        })
        .await;
    }
    assert!(
        store.health().await.is_err(),
        "the store was down all along"
    );
    tokio::task::block_in_place(|| postgres.restart());
    stop.store(true, Ordering::SeqCst);
    let mut acknowledged = Vec::new();
    for task in load {
        acknowledged.push(task.await.expect("no request failed"));
    }

    for (value, &count) in values.iter().zip(&acknowledged) {
        assert!(count > 0);
        eventually("every acknowledged update is stored", || async {
            stored_count(&*store, value).await == Some(count)
        })
        .await;
    }
    server.manager.shutdown().await;
}

/// The counter of the session of `value` as its actor has it (a read through the server,
/// which the store's state does not affect).
async fn manager_count(server: &Server, value: &str) -> u64 {
    let response = server.get("/count", value).send().await.unwrap();
    assert_eq!(response.status(), 200);
    json_body(response).await["count"].as_u64().unwrap()
}
