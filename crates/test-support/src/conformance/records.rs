//! Single records: round trips of every field, odd bytes, large states, deletes.

use std::time::{Duration, SystemTime};

use ractor_session::SessionId;
use ractor_session::durable::{BackendError, DeleteOutcome, SaveOutcome, SessionRecord};

use super::{Store, assert_absent, hours_from_now, live, loaded};

pub(super) async fn health(store: Store<'_>) {
    store.health().await.expect("a working store is healthy");
}

pub(super) async fn save_and_load(store: Store<'_>) {
    assert_absent(
        store,
        &SessionId::generate(),
        "nothing was saved under a fresh ID",
    )
    .await;

    let updated = SystemTime::UNIX_EPOCH + Duration::from_millis(1_800_000_000_123);
    let record = SessionRecord::new(
        SessionId::generate(),
        "cart",
        7,
        br#"{"items":[1,2]}"#.to_vec(),
        hours_from_now(1),
    )
    .with_absolute_deadline(hours_from_now(24))
    .with_updated_at(updated)
    .with_epoch(3);
    let saved = store.save(vec![record.clone()]).await.expect("save failed");
    assert_eq!(saved, [SaveOutcome::Saved]);
    assert_eq!(
        loaded(store, record.id()).await,
        record,
        "every field round-trips"
    );

    // Saving again with the same epoch replaces the record.
    let changed = record.clone().with_state(b"changed".to_vec());
    let saved = store
        .save(vec![changed.clone()])
        .await
        .expect("save failed");
    assert_eq!(saved, [SaveOutcome::Saved]);
    assert_eq!(loaded(store, record.id()).await, changed);

    // An empty batch is no error.
    assert_eq!(store.save(Vec::new()).await.expect("empty save failed"), []);
}

pub(super) async fn unicode_and_binary(store: Store<'_>) {
    let mut state: Vec<u8> = (0..=255).collect();
    state.extend_from_slice("ünïcødé ✓ 🛒 \u{0} «»".as_bytes());
    state.extend_from_slice(&[0xff, 0xfe, 0x00, 0xc3, 0x28]); // not UTF-8
    let record = live(&state, 0);
    let record = SessionRecord::new(
        record.id().clone(),
        "корзина-🛒",
        u32::MAX,
        state,
        record.idle_deadline(),
    );
    store.save(vec![record.clone()]).await.expect("save failed");
    let found = loaded(store, record.id()).await;
    assert_eq!(found.session_type(), "корзина-🛒");
    assert_eq!(found.format_version(), u32::MAX);
    assert_eq!(found, record, "unicode tags and arbitrary bytes round-trip");

    let empty = live(b"", 0);
    store.save(vec![empty.clone()]).await.expect("save failed");
    assert_eq!(
        loaded(store, empty.id()).await,
        empty,
        "an empty state round-trips"
    );
}

pub(super) async fn large_states(store: Store<'_>) {
    // 4 MiB of every byte value, in a pattern that catches truncation and reordering.
    let state: Vec<u8> = (0..4 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let record = live(&state, 0);
    let saved = store.save(vec![record.clone()]).await.expect("save failed");
    assert_eq!(saved, [SaveOutcome::Saved]);
    let found = loaded(store, record.id()).await;
    assert_eq!(
        found.state().len(),
        state.len(),
        "the whole state is stored"
    );
    assert!(
        found.state() == state.as_slice(),
        "the state comes back byte for byte"
    );
}

pub(super) async fn delete(store: Store<'_>) {
    let record = live(b"to delete", 2);
    let id = record.id().clone();
    store.save(vec![record]).await.expect("save failed");

    let stale = store.delete(&id, 1).await;
    assert!(
        matches!(
            stale,
            Err(BackendError::Fenced {
                current_epoch: 2,
                ..
            })
        ),
        "a delete with an older epoch is fenced, got {stale:?}"
    );
    assert_eq!(
        loaded(store, &id).await.state(),
        b"to delete",
        "a fenced delete changes nothing"
    );

    let deleted = store.delete(&id, 2).await.expect("delete failed");
    assert_eq!(deleted, DeleteOutcome::Deleted);
    assert_absent(store, &id, "the record was deleted").await;

    let again = store
        .delete(&id, 2)
        .await
        .expect("delete of a deleted ID failed");
    assert_eq!(again, DeleteOutcome::Missing);
    let never = store
        .delete(&SessionId::generate(), 0)
        .await
        .expect("delete failed");
    assert_eq!(
        never,
        DeleteOutcome::Missing,
        "deleting an unknown ID finds nothing"
    );

    // A newer epoch than the stored one may delete too (the writer claimed meanwhile).
    let record = live(b"newer", 1);
    store.save(vec![record.clone()]).await.expect("save failed");
    let deleted = store.delete(record.id(), 5).await.expect("delete failed");
    assert_eq!(deleted, DeleteOutcome::Deleted);
    assert_absent(store, record.id(), "the record was deleted").await;
}
