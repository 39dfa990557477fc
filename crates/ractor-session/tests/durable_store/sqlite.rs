//! The SQLite store: conformance, reopening, damaged files, schema versions.

use std::sync::Arc;

use ractor_session::durable::{BackendError, SessionStore, SqliteStore};
use ractor_session_test_support::{ExpiredRecords, store_conformance};

use super::{assert_newer_schema_refused, record};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("sessions.db"))
        .await
        .unwrap();
    store_conformance(Arc::new(store), ExpiredRecords::RemovedBySweep).await;
}

#[tokio::test]
async fn sqlite_store_keeps_its_records_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    let saved = record(b"kept");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        store.save(vec![saved.clone()]).await.unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.load(saved.id()).await.unwrap(), Some(saved));
}

#[tokio::test]
async fn sqlite_store_refuses_a_file_that_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    let garbage: Vec<u8> = (0..64 * 1024u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&path, garbage).unwrap();

    let error = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(error, BackendError::Corrupt { .. }), "{error:?}");
    assert!(error.to_string().contains("corrupt"), "{error}");
}

#[tokio::test]
async fn sqlite_store_refuses_a_torn_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        let batch = (0..2000)
            .map(|i| record(format!("{i:0>300}").as_bytes()))
            .collect();
        store.save(batch).await.unwrap();
    }
    // Fold the write-ahead log into the file, then tear pages in its middle, as a crash
    // of a disk without atomic writes could.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
        .unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 200_000, "the file has many pages");
    let middle = bytes.len() / 2;
    bytes[middle..middle + 20_000].fill(0xA5);
    std::fs::write(&path, bytes).unwrap();

    let error = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(error, BackendError::Corrupt { .. }), "{error:?}");
}

#[tokio::test]
async fn sqlite_store_refuses_a_schema_from_a_newer_release() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    drop(SqliteStore::open(&path).await.unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 2)
        .unwrap();

    assert_newer_schema_refused(SqliteStore::open(&path).await);
}

#[tokio::test]
async fn sqlite_store_in_a_missing_directory_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no such directory").join("sessions.db");
    let error = SqliteStore::open(&path).await.unwrap_err();
    assert!(
        matches!(error, BackendError::Unreachable { .. }),
        "{error:?}"
    );
}
