//! The PostgreSQL store against a real server: conformance, outages, schema versions.

use std::sync::Arc;
use std::time::Duration;

use ractor_session::durable::{BackendError, PostgresOptions, PostgresStore, SessionStore};
use ractor_session_test_support::{ExpiredRecords, PostgresServer, store_conformance};

use super::{assert_newer_schema_refused, assert_recovers, assert_unreachable, record};

fn options() -> PostgresOptions {
    PostgresOptions::default().with_timeout(Duration::from_secs(5))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_passes_the_conformance_suite() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let store = PostgresStore::connect_with(&server.create_database(), options())
        .await
        .unwrap();
    store_conformance(Arc::new(store), ExpiredRecords::RemovedBySweep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_fails_fast_while_the_server_is_down_and_recovers_after_a_restart() {
    let Some(mut server) = PostgresServer::start() else {
        return;
    };
    let url = server.create_database();
    let store = PostgresStore::connect_with(&url, options()).await.unwrap();
    let saved = record(b"before the outage");
    store.save(vec![saved.clone()]).await.unwrap();

    server.stop();
    assert_unreachable("a load", store.load(saved.id())).await;
    assert_unreachable("a save", store.save(vec![record(b"during")])).await;
    assert_unreachable("connecting", PostgresStore::connect_with(&url, options())).await;

    server.restart();
    assert_recovers(&store, &saved).await;
}

#[tokio::test]
async fn postgres_store_refuses_a_schema_from_a_newer_release() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    drop(PostgresStore::connect(&url).await.unwrap());
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .execute("UPDATE ractor_session_schema SET version = 2", &[])
        .await
        .unwrap();

    assert_newer_schema_refused(PostgresStore::connect(&url).await);
}

#[tokio::test]
async fn postgres_store_rejects_a_malformed_url() {
    let error = PostgresStore::connect("postgres://host:notaport/db")
        .await
        .unwrap_err();
    assert!(
        matches!(error, BackendError::InvalidConfig { .. }),
        "{error:?}"
    );
}
