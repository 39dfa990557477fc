//! The Redis store against a real server: conformance, expiry by TTL, outages, schema
//! versions.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ractor_session::durable::{RedisOptions, RedisStore, SessionStore};
use ractor_session_test_support::{ExpiredRecords, RedisServer, store_conformance};
use redis::AsyncCommands as _;

use super::{assert_newer_schema_refused, assert_recovers, assert_unreachable, record};

/// Options with a key prefix of its own, so tests sharing the server do not meet.
fn options() -> RedisOptions {
    let prefix = format!("test-{}:", ractor_session::SessionId::generate().as_str());
    RedisOptions::default()
        .with_key_prefix(prefix)
        .with_timeout(Duration::from_secs(5))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_passes_the_conformance_suite() {
    let Some(server) = RedisServer::shared() else {
        return;
    };
    let store = RedisStore::connect_with(&server.url(), options())
        .await
        .unwrap();
    store_conformance(Arc::new(store), ExpiredRecords::RemovedByServer).await;
}

#[tokio::test]
async fn redis_records_expire_through_the_servers_own_ttl() {
    let Some(server) = RedisServer::shared() else {
        return;
    };
    let options = options().with_key_prefix("ttl-test:");
    let store = RedisStore::connect_with(&server.url(), options)
        .await
        .unwrap();
    let now = SystemTime::now();
    let idle = record(b"idle").with_idle_deadline(now + Duration::from_secs(3600));
    let absolute = record(b"absolute")
        .with_idle_deadline(now + Duration::from_secs(3600))
        .with_absolute_deadline(now + Duration::from_secs(600));
    let expired = record(b"expired").with_idle_deadline(now - Duration::from_secs(1));
    store
        .save(vec![idle.clone(), absolute.clone(), expired.clone()])
        .await
        .unwrap();

    let redis = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let ttl = async |id: &ractor_session::SessionId| -> i64 {
        redis
            .clone()
            .pttl(format!("ttl-test:s:{}", id.as_str()))
            .await
            .unwrap()
    };
    let idle_ttl = ttl(idle.id()).await;
    assert!(
        (3_000_000..=3_600_000).contains(&idle_ttl),
        "idle deadline as TTL: {idle_ttl}"
    );
    let absolute_ttl = ttl(absolute.id()).await;
    assert!(
        (1..=600_000).contains(&absolute_ttl),
        "the earlier deadline as TTL: {absolute_ttl}"
    );
    assert_eq!(
        ttl(expired.id()).await,
        -2,
        "an expired record is not kept at all"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_fails_fast_while_the_server_is_down_and_recovers_after_a_restart() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::connect_with(&server.url(), options())
        .await
        .unwrap();
    let saved = record(b"before the outage");
    store.save(vec![saved.clone()]).await.unwrap();

    server.stop();
    assert_unreachable("a load", store.load(saved.id())).await;
    assert_unreachable("a save", store.save(vec![record(b"during")])).await;
    assert_unreachable(
        "connecting",
        RedisStore::connect_with(&server.url(), options()),
    )
    .await;

    server.restart();
    assert_recovers(&store, &saved).await;
}

#[tokio::test]
async fn redis_store_refuses_a_schema_from_a_newer_release() {
    let Some(server) = RedisServer::shared() else {
        return;
    };
    let options = options().with_key_prefix("schema-test:");
    let mut redis = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let () = redis.set("schema-test:schema", 3).await.unwrap();

    assert_newer_schema_refused(RedisStore::connect_with(&server.url(), options).await);
}

#[tokio::test]
async fn redis_store_raises_a_store_of_layout_version_1() {
    let Some(server) = RedisServer::shared() else {
        return;
    };
    let options = options().with_key_prefix("layout-1-test:");
    let mut redis = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let () = redis.set("layout-1-test:schema", 1).await.unwrap();

    let store = RedisStore::connect_with(&server.url(), options)
        .await
        .unwrap();
    store.health().await.unwrap();
    let version: i64 = redis.get("layout-1-test:schema").await.unwrap();
    assert_eq!(version, 2);
}
