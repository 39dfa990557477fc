//! A record that cannot be read back is a typed error and a warning naming the session by
//! its redacted ID only; by default the record is kept and nothing starts in its place,
//! with `OnCorrupt::StartFresh` it is deleted and the ID starts afresh. Never a panic.

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ractor_session::durable::{MemoryStore, SessionRecord, SessionStore, UnknownFormat};
use ractor_session::{
    DurabilityConfig, KvMsg, OnCorrupt, SessionConfig, SessionError, SessionId, SessionManager,
};
use ractor_session_test_support::logs::Logs;
use tracing::Level;

/// Raw IDs, distinctive enough that a leak into the logs is found by substring.
const BROKEN: &str = "RAWID-broken-record-4b1e";
const NEWER: &str = "RAWID-newer-format-9c2d";
const STRANGER: &str = "RAWID-stranger-type-e07a";

/// A store holding one record of `id` with this tag, format and state.
async fn store_with(id: &str, tag: &str, format: u32, state: &[u8]) -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    let idle = SystemTime::now() + Duration::from_secs(3600);
    let id = SessionId::parse(id).unwrap();
    let record = SessionRecord::new(id, tag, format, state.to_vec(), idle);
    store.save(vec![record]).await.unwrap();
    store
}

async fn manager(store: &Arc<MemoryStore>, fallback: OnCorrupt) -> SessionManager {
    SessionManager::builder(SessionConfig::default())
        .with_store(store.clone())
        .with_durability(DurabilityConfig::default().with_on_corrupt(fallback))
        .spawn()
        .await
        .unwrap()
}

async fn stored(store: &MemoryStore, id: &str) -> bool {
    let id = SessionId::parse(id).unwrap();
    store.load(&id).await.unwrap().is_some()
}

#[tokio::test(flavor = "current_thread")]
async fn an_unreadable_record_is_refused_with_a_warning_and_kept() {
    let (logs, _capture) = Logs::capture(Level::WARN);
    let store = store_with(BROKEN, "kv", 1, b"{ not json").await;
    let manager = manager(&store, OnCorrupt::Refuse).await;

    let refused = manager.call(BROKEN, KvMsg::GetAll).await;
    let Err(SessionError::UnreadableRecord {
        session_type,
        format,
        ..
    }) = &refused
    else {
        panic!("{refused:?}");
    };
    assert_eq!((session_type.as_str(), *format), ("kv", 1));
    assert!(
        matches!(
            manager.get_or_start(BROKEN).await,
            Err(SessionError::UnreadableRecord { .. })
        ),
        "never a fresh session over it"
    );
    assert!(!manager.is_started(BROKEN));
    assert!(
        stored(&store, BROKEN).await,
        "kept for a fix or a later release"
    );

    let text = logs.text();
    assert!(text.contains("stored session record unreadable"), "{text}");
    let redacted = SessionId::parse(BROKEN).unwrap().redacted().to_string();
    assert!(text.contains(&redacted), "{text}");
    assert!(!text.contains(BROKEN), "{text}");
    manager.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn with_start_fresh_an_unreadable_record_gives_way_to_a_fresh_session() {
    let (logs, _capture) = Logs::capture(Level::WARN);
    let store = store_with(BROKEN, "kv", 1, b"[1, 2, 3]").await;
    let manager = manager(&store, OnCorrupt::StartFresh).await;

    assert!(matches!(
        manager.call(BROKEN, KvMsg::GetAll).await,
        Err(SessionError::SessionNotFound { .. })
    ));
    assert!(!stored(&store, BROKEN).await, "the record is deleted");
    manager.get_or_start(BROKEN).await.unwrap();
    assert!(
        manager
            .call(BROKEN, KvMsg::GetAll)
            .await
            .unwrap()
            .is_empty()
    );
    let text = logs.text();
    assert!(text.contains("fallback=\"start_fresh\""), "{text}");
    assert!(!text.contains(BROKEN), "{text}");
    manager.shutdown().await;
}

#[tokio::test]
async fn a_record_in_a_format_its_type_does_not_read_is_unreadable() {
    let store = store_with(NEWER, "kv", 2, b"{}").await;
    let manager = manager(&store, OnCorrupt::Refuse).await;
    let error = manager.call(NEWER, KvMsg::GetAll).await.unwrap_err();
    let format = error
        .source()
        .and_then(|source| source.downcast_ref::<UnknownFormat>());
    assert_eq!(
        format,
        Some(&UnknownFormat {
            found: 2,
            current: 1
        }),
        "{error:?}"
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn a_record_of_a_type_the_manager_does_not_know_is_refused() {
    let store = store_with(STRANGER, "mystery", 1, b"{}").await;
    let manager = manager(&store, OnCorrupt::StartFresh).await;
    let refused = manager.call(STRANGER, KvMsg::GetAll).await;
    assert!(
        matches!(&refused, Err(SessionError::UnregisteredType { session_type, .. }) if session_type == "mystery"),
        "{refused:?}"
    );
    assert!(
        stored(&store, STRANGER).await,
        "an unknown type is not corrupt: its record is kept even with StartFresh"
    );
    manager.shutdown().await;
}
