//! A store that fails: down while serving (sessions keep serving from memory, writes are
//! retried with a warning and a metric, and every acknowledged change is in the store once
//! it is back), down at startup (a clear error), down when a session must be loaded (an
//! error, never a fresh session in its place).
//!
//! Real PostgreSQL and Redis servers on loopback, stopped and restarted under the
//! manager; skipped loudly when their binaries are missing (except under `CI`).

use std::sync::Arc;
use std::time::Duration;

use ractor_session::durable::{
    PostgresOptions, PostgresStore, RedisOptions, RedisStore, SessionStore,
};
use ractor_session::{DurabilityConfig, KvMsg, SessionError, SessionManager};
use ractor_session_test_support::config::config;
use ractor_session_test_support::logs::Logs;
use ractor_session_test_support::metrics::Recorder;
use ractor_session_test_support::poll::eventually;
use ractor_session_test_support::{PostgresServer, RedisServer};
use serde_json::{Value, json};
use tracing::Level;

use super::support::stored_state;

/// The sessions the load goes to.
const IDS: [&str; 4] = ["outage-a", "outage-b", "outage-c", "outage-d"];

/// Puts `k{n} = n` into one of the sessions by a call; returns where, once acknowledged.
async fn put(manager: &SessionManager, n: usize) -> (&'static str, String) {
    let id = IDS[n % IDS.len()];
    let key = format!("k{n}");
    let request = json!({"op": "put", "key": key, "value": n});
    manager
        .call(id, |reply| KvMsg::Request { request, reply })
        .await
        .expect("the session serves")
        .expect("the put is accepted");
    (id, key)
}

/// Whether `store` holds every acknowledged put.
async fn all_stored(store: &dyn SessionStore, acknowledged: &[(&str, String)]) -> bool {
    for id in IDS {
        let Ok(Some(record)) = store
            .load(&ractor_session::SessionId::parse(id).unwrap())
            .await
        else {
            return false;
        };
        let state: Value = serde_json::from_slice(record.state()).unwrap();
        let missing = acknowledged
            .iter()
            .any(|(of, key)| *of == id && state.get(key).is_none());
        if missing {
            return false;
        }
    }
    true
}

/// A database server a test can stop and start again.
trait Outage {
    fn stop(&mut self);
    fn restart(&mut self);
}

impl Outage for PostgresServer {
    fn stop(&mut self) {
        PostgresServer::stop(self);
    }

    fn restart(&mut self) {
        PostgresServer::restart(self);
    }
}

impl Outage for RedisServer {
    fn stop(&mut self) {
        RedisServer::stop(self);
    }

    fn restart(&mut self) {
        RedisServer::restart(self);
    }
}

/// Serves puts before, during and after an outage of `server`, the store's, checking that
/// every put is acknowledged, that the failure is reported, and that every acknowledged
/// put is in the store afterwards.
async fn serve_through_an_outage(store: Arc<dyn SessionStore>, server: &mut impl Outage) {
    let (logs, _capture) = Logs::capture(Level::INFO);
    let recorder = Recorder::default();
    let _recording = recorder.install();
    let durability = DurabilityConfig::default()
        .with_flush_interval(Duration::from_millis(20))
        .with_max_retry_backoff(Duration::from_millis(200));
    let manager = SessionManager::builder(config())
        .with_store(store.clone())
        .with_durability(durability)
        .spawn()
        .await
        .unwrap();
    for id in IDS {
        manager.start(id).await.unwrap();
    }
    let mut acknowledged = Vec::new();
    for n in 0..40 {
        acknowledged.push(put(&manager, n).await);
    }
    eventually("the first puts are stored", || {
        all_stored(&*store, &acknowledged)
    })
    .await;

    server.stop();
    for n in 40..80 {
        acknowledged.push(put(&manager, n).await);
    }
    let backend = store.backend();
    eventually("a write has failed", || async {
        let failed = recorder
            .snapshot()
            .counters_by_label("ractor_session_store_errors_total", "operation");
        failed.get("save").is_some_and(|count| *count > 0)
    })
    .await;
    for n in 80..120 {
        acknowledged.push(put(&manager, n).await);
    }

    server.restart();
    for n in 120..160 {
        acknowledged.push(put(&manager, n).await);
    }
    eventually("every acknowledged put is stored", || {
        all_stored(&*store, &acknowledged)
    })
    .await;
    let text = logs.text();
    assert!(text.contains("session store unavailable"), "{text}");
    assert!(text.contains(&format!("backend=\"{backend}\"")), "{text}");
    assert!(text.contains("session store available again"), "{text}");
    for id in IDS {
        assert!(!text.contains(id), "a raw session ID in the logs: {text}");
    }
    assert_eq!(stored_state(&*store, IDS[0]).await.unwrap()["k0"], json!(0));
    manager.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn sessions_keep_serving_while_postgres_is_down_and_every_acknowledged_change_is_stored() {
    let Some(mut server) = PostgresServer::start() else {
        return;
    };
    let options = PostgresOptions::default().with_timeout(Duration::from_secs(2));
    let store = PostgresStore::connect_with(&server.create_database(), options)
        .await
        .unwrap();
    serve_through_an_outage(Arc::new(store), &mut server).await;
}

fn redis_options() -> RedisOptions {
    RedisOptions::default().with_timeout(Duration::from_secs(2))
}

#[tokio::test(flavor = "current_thread")]
async fn sessions_keep_serving_while_redis_is_down_and_every_acknowledged_change_is_stored() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::connect_with(&server.url(), redis_options())
        .await
        .unwrap();
    serve_through_an_outage(Arc::new(store), &mut server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_down_at_startup_is_a_clear_error() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::connect_with(&server.url(), redis_options())
        .await
        .unwrap();
    tokio::task::block_in_place(|| server.stop());
    let spawned = SessionManager::builder(config())
        .with_store(Arc::new(store))
        .spawn()
        .await;
    let Err(error) = spawned else {
        panic!("a manager spawned on a store that is down");
    };
    assert!(
        matches!(&error, SessionError::StoreFailed { operation: "check", source } if source.is_unavailable()),
        "{error:?}"
    );
    assert!(error.to_string().contains("unreachable"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_that_fails_is_an_error_never_a_fresh_session() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let connect = || RedisStore::connect_with(&url, redis_options());
    let before = SessionManager::builder(config())
        .with_store(Arc::new(connect().await.unwrap()))
        .spawn()
        .await
        .unwrap();
    before.start("kept").await.unwrap();
    super::support::put(&before, "kept", "a", json!(1)).await;
    before.shutdown().await;
    let after = SessionManager::builder(config())
        .with_store(Arc::new(connect().await.unwrap()))
        .spawn()
        .await
        .unwrap();

    tokio::task::block_in_place(|| server.stop());
    for attempt in [
        after.get_or_start("kept").await.map(|_| ()),
        after.call("kept", KvMsg::GetAll).await.map(|_| ()),
    ] {
        assert!(
            matches!(
                attempt,
                Err(SessionError::StoreFailed {
                    operation: "load",
                    ..
                })
            ),
            "{attempt:?}"
        );
    }
    assert!(!after.is_started("kept"), "nothing started in its place");

    tokio::task::block_in_place(|| server.restart());
    eventually(
        "the stored session is revived once the store is back",
        || async {
            let value = after
                .call("kept", |reply| KvMsg::Get {
                    key: "a".into(),
                    reply,
                })
                .await;
            match value {
                Ok(value) => {
                    assert_eq!(value, Some(json!(1)), "the stored state, not a fresh one");
                    true
                }
                Err(_) => false,
            }
        },
    )
    .await;
    after.shutdown().await;
}
