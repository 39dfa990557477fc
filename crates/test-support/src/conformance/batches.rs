//! Batched saves: many records in one call, outcomes in order, writers at the same time.

use std::sync::Arc;

use ractor_session::durable::{SaveOutcome, SessionStore};
use tokio::task::JoinSet;

use super::{Store, live, live_as, loaded};

pub(super) async fn large_batches(store: Store<'_>) {
    let batch: Vec<_> = (0..500u32)
        .map(|i| live(format!("{i:0>200}").as_bytes(), u64::from(i % 3)))
        .collect();
    let outcomes = store
        .save(batch.clone())
        .await
        .expect("a batch of 500 failed");
    assert_eq!(outcomes, vec![SaveOutcome::Saved; 500]);
    for record in &batch {
        assert_eq!(
            &loaded(store, record.id()).await,
            record,
            "each record of the batch is stored"
        );
    }

    // The same batch again, with newer states: every record is replaced.
    let newer: Vec<_> = batch
        .iter()
        .map(|record| record.clone().with_state(b"second".to_vec()))
        .collect();
    let outcomes = store.save(newer).await.expect("the second batch failed");
    assert_eq!(outcomes, vec![SaveOutcome::Saved; 500]);
    for record in batch.iter().step_by(50) {
        assert_eq!(loaded(store, record.id()).await.state(), b"second");
    }
}

pub(super) async fn batch_order(store: Store<'_>) {
    // Outcomes come back in the batch's order, fenced ones among saved ones.
    let claimed = live(b"stored at epoch 4", 4);
    store
        .save(vec![claimed.clone()])
        .await
        .expect("save failed");
    let first = live(b"first", 0);
    let last = live(b"last", 0);
    let outcomes = store
        .save(vec![
            first.clone(),
            claimed.clone().with_epoch(3),
            last.clone(),
        ])
        .await
        .expect("save failed");
    assert_eq!(
        outcomes,
        [
            SaveOutcome::Saved,
            SaveOutcome::Fenced { current_epoch: 4 },
            SaveOutcome::Saved
        ]
    );
    assert_eq!(
        loaded(store, claimed.id()).await,
        claimed,
        "the fenced record is unchanged"
    );
    assert_eq!(loaded(store, first.id()).await, first);
    assert_eq!(loaded(store, last.id()).await, last);

    // One ID twice in a batch: applied in order, the second write fenced by the first.
    let twice = live(b"epoch 2", 2);
    let outcomes = store
        .save(vec![
            twice.clone(),
            twice.clone().with_state(b"epoch 1".to_vec()).with_epoch(1),
        ])
        .await
        .expect("save failed");
    assert_eq!(
        outcomes,
        [SaveOutcome::Saved, SaveOutcome::Fenced { current_epoch: 2 }]
    );
    assert_eq!(loaded(store, twice.id()).await.state(), b"epoch 2");

    // ... or the later write wins when its epoch is not older.
    let id = twice.id().clone();
    let outcomes = store
        .save(vec![
            live_as(id.clone(), b"a", 3),
            live_as(id.clone(), b"b", 3),
        ])
        .await
        .expect("save failed");
    assert_eq!(outcomes, [SaveOutcome::Saved, SaveOutcome::Saved]);
    assert_eq!(loaded(store, &id).await.state(), b"b");
}

pub(super) async fn concurrent_writers(store: Store<'_>) {
    const WRITERS: usize = 16;
    const BATCHES: usize = 5;
    const PER_BATCH: usize = 20;
    let mut writers = JoinSet::new();
    for writer in 0..WRITERS {
        let store: Arc<dyn SessionStore> = Arc::clone(store);
        writers.spawn(async move {
            let mut written = Vec::new();
            for batch in 0..BATCHES {
                let records: Vec<_> = (0..PER_BATCH)
                    .map(|i| {
                        live(
                            format!("writer {writer} batch {batch} record {i}").as_bytes(),
                            0,
                        )
                    })
                    .collect();
                let outcomes = store
                    .save(records.clone())
                    .await
                    .expect("a concurrent save failed");
                assert_eq!(outcomes, vec![SaveOutcome::Saved; PER_BATCH]);
                // Read back one of them while the others write.
                let first = store
                    .load(records[0].id())
                    .await
                    .expect("a concurrent load failed");
                assert_eq!(first.as_ref(), Some(&records[0]));
                written.extend(records);
            }
            written
        });
    }
    let mut all = Vec::new();
    while let Some(written) = writers.join_next().await {
        all.extend(written.expect("a writer panicked"));
    }
    assert_eq!(all.len(), WRITERS * BATCHES * PER_BATCH);
    for record in &all {
        assert_eq!(
            &loaded(store, record.id()).await,
            record,
            "no concurrent write was lost"
        );
    }
}
