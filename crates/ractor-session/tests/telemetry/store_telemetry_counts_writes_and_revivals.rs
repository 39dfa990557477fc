//! A manager with a store reports its writes (records, batch sizes, flush lag), its
//! lookups of stored sessions (revived, missing), its deletions and what is still to
//! write, in metrics labelled by backend; and logs a revival with the redacted ID only.

use std::sync::Arc;

use metrics::Unit;
use ractor_session::durable::MemoryStore;
use ractor_session::{KvMsg, SessionConfig, SessionError, SessionId, SessionManager};
use ractor_session_test_support::logs::Logs;
use ractor_session_test_support::metrics::Recorder;
use tracing::Level;

const STORED: &str = "RAWID-stored-3f9a";
const UNKNOWN: &str = "RAWID-unknown-71cc";

async fn manager(store: &Arc<MemoryStore>) -> SessionManager {
    SessionManager::builder(SessionConfig::default().with_name("durable"))
        .with_store(store.clone())
        .spawn()
        .await
        .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn store_telemetry_counts_writes_and_revivals_without_raw_ids() {
    let (logs, _capture) = Logs::capture(Level::DEBUG);
    let recorder = Recorder::default();
    let _recording = recorder.install();
    let store = Arc::new(MemoryStore::new());

    let before = manager(&store).await;
    before.start(STORED).await.unwrap();
    // A call, not a cast: acknowledged before the shutdown stops the session.
    let request = serde_json::json!({"op": "put", "key": "a", "value": 1});
    let put = before.call(STORED, |reply| KvMsg::Request { request, reply });
    put.await.unwrap().unwrap();
    before.shutdown().await;

    let after = manager(&store).await;
    after.call(STORED, KvMsg::Ping).await.unwrap();
    assert!(matches!(
        after.call(UNKNOWN, KvMsg::Ping).await,
        Err(SessionError::SessionNotFound { .. })
    ));
    after.terminate(STORED).await.unwrap();
    after.shutdown().await;

    let metrics = recorder.snapshot();
    let memory = [("backend", "memory")];
    assert!(metrics.counter("ractor_session_store_saves_total", &memory) >= 1);
    let (unit, batches) = metrics.histogram("ractor_session_store_batch_size", &memory);
    assert_eq!(unit, Some(Unit::Count));
    assert!(!batches.is_empty());
    let (unit, lags) = metrics.histogram("ractor_session_store_flush_lag_seconds", &memory);
    assert_eq!(unit, Some(Unit::Seconds));
    assert!(lags.iter().all(|lag| *lag >= 0.0) && !lags.is_empty());
    let loads = metrics.counters_by_label("ractor_session_store_loads_total", "outcome");
    assert_eq!(loads.get("revived"), Some(&1));
    // The first start of `STORED` looked in the store too (never a fresh session over a
    // stored one), and so did the call to `UNKNOWN`.
    assert_eq!(loads.get("missing"), Some(&2));
    let (unit, revivals) =
        metrics.histogram("ractor_session_store_revive_duration_seconds", &memory);
    assert_eq!((unit, revivals.len()), (Some(Unit::Seconds), 1));
    assert_eq!(
        metrics.counter("ractor_session_store_deletes_total", &memory),
        1
    );
    let pending = metrics.gauge("ractor_session_store_pending", &[("manager", "durable")]);
    assert_eq!(pending, 0.0, "nothing left to write after the shutdown");

    let text = logs.text();
    let redacted = SessionId::parse(STORED).unwrap().redacted().to_string();
    assert!(
        text.lines()
            .any(|line| line.contains("session revived from the store") && line.contains(&redacted)),
        "{text}"
    );
    for raw in [STORED, UNKNOWN] {
        assert!(!text.contains(raw), "a raw ID in the logs: {text}");
    }
    for key in metrics.keys() {
        let shown = format!("{key:?}");
        assert!(!shown.contains("RAWID"), "a raw ID in a metric: {shown}");
    }
}
