//! Every session store backend against a real instance of its database: the conformance
//! suite, then what is particular to each (damaged files, schema versions, a server that
//! stops and comes back).
//!
//! PostgreSQL and Redis run as real servers on loopback, started by the test harness;
//! without their binaries these tests are skipped loudly, except under `CI`.

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ractor_session::SessionId;
use ractor_session::durable::{BackendError, MemoryStore, SessionRecord, SessionStore};
use ractor_session_test_support::{ExpiredRecords, store_conformance};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_passes_the_conformance_suite() {
    store_conformance(Arc::new(MemoryStore::new()), ExpiredRecords::RemovedBySweep).await;
}

/// A record live for an hour.
#[allow(dead_code)]
fn record(state: &[u8]) -> SessionRecord {
    let idle = SystemTime::now() + Duration::from_secs(3600);
    SessionRecord::new(SessionId::generate(), "kv", 1, state.to_vec(), idle)
}

/// Runs `operation` on a store whose server is down: it must fail as unreachable, and
/// soon (the store's own timeout is far below the 30 s allowed here).
#[allow(dead_code)]
async fn assert_unreachable<T: std::fmt::Debug>(
    what: &str,
    operation: impl Future<Output = Result<T, BackendError>>,
) {
    let outcome = tokio::time::timeout(Duration::from_secs(30), operation)
        .await
        .unwrap_or_else(|_| panic!("{what} hung while the server was down"));
    assert!(
        matches!(outcome, Err(BackendError::Unreachable { .. })),
        "{what} while the server was down: {outcome:?}"
    );
}

/// Polls `store` until it loads `expected` again after its server restarted.
#[allow(dead_code)]
async fn assert_recovers(store: &dyn SessionStore, expected: &SessionRecord) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match store.load(expected.id()).await {
            Ok(found) => {
                assert_eq!(
                    found.as_ref(),
                    Some(expected),
                    "the record survived the restart"
                );
                break;
            }
            Err(error) => assert!(
                Instant::now() < deadline,
                "the store did not recover after the restart: {error:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let another = record(b"after the restart");
    store
        .save(vec![another.clone()])
        .await
        .expect("a save after the restart failed");
    assert_eq!(
        store.load(another.id()).await.unwrap().as_ref(),
        Some(&another)
    );
}

/// Asserts that opening a store failed on the schema version 2 a test wrote.
#[allow(dead_code)]
fn assert_newer_schema_refused<T: std::fmt::Debug>(opened: Result<T, BackendError>) {
    let error = opened.expect_err("a store of a newer schema was opened");
    assert!(
        matches!(
            error,
            BackendError::SchemaMismatch {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{error:?}"
    );
}
