//! A manager with a store is spawned only with valid durability settings and type
//! registrations; anything else is a typed error naming what is wrong.

use std::sync::Arc;
use std::time::Duration;

use ractor_session::durable::{MemoryStore, SessionStore};
use ractor_session::{DurabilityConfig, KvSession, SessionError, SessionId, SessionManagerBuilder};
use ractor_session_test_support::config::config;

use super::support::{Journal, stored_state};

fn builder() -> SessionManagerBuilder {
    ractor_session::SessionManager::builder(config()).with_store(Arc::new(MemoryStore::new()))
}

/// The field and reason of the configuration error `builder` fails to spawn with.
async fn refusal(builder: SessionManagerBuilder) -> (&'static str, String) {
    match builder.spawn().await {
        Err(SessionError::InvalidConfig { field, reason }) => (field, reason),
        other => panic!("spawned, or failed otherwise: {other:?}"),
    }
}

#[tokio::test]
async fn bad_durability_settings_and_registrations_are_refused_by_name() {
    let zero = DurabilityConfig::default().with_flush_interval(Duration::ZERO);
    let (field, _) = refusal(builder().with_durability(zero)).await;
    assert_eq!(field, "durability.flush_interval");

    let (field, reason) =
        refusal(builder().with_durable_as("a tag with spaces", Journal::default)).await;
    assert_eq!(field, "durable session types");
    assert!(reason.contains("a tag with spaces"), "{reason}");

    let (_, reason) = refusal(
        builder()
            .with_durable_as("kv", Journal::default)
            .with_durable(|| KvSession),
    )
    .await;
    assert!(reason.contains("`kv` is registered twice"), "{reason}");

    let (_, reason) = refusal(
        builder()
            .with_durable(Journal::default)
            .with_durable_as("journal-again", Journal::default),
    )
    .await;
    assert!(reason.contains("registered twice"), "{reason}");

    // Without a store, the settings are not used, but registrations are still checked.
    let storeless = ractor_session::SessionManager::builder(config())
        .with_durable_as("", Journal::default)
        .spawn()
        .await;
    assert!(matches!(storeless, Err(SessionError::InvalidConfig { .. })));
}

#[tokio::test]
async fn a_tag_taken_by_another_type_leaves_the_key_value_session_unregistered() {
    let store = Arc::new(MemoryStore::new());
    // `kv` names the journal here: the key-value session is then not durable.
    let manager = ractor_session::SessionManager::builder(config())
        .with_store(store.clone())
        .with_durable_as("kv", Journal::default)
        .spawn()
        .await
        .unwrap();
    manager.start("plain").await.unwrap();
    manager
        .start_with("journal", Journal::default(), vec![1])
        .await
        .unwrap();
    manager.shutdown().await;

    assert_eq!(stored_state(&*store, "plain").await, None, "not written");
    let journal = SessionId::parse("journal").unwrap();
    let record = store.load(&journal).await.unwrap().expect("written");
    assert_eq!(record.session_type(), "kv");
}
