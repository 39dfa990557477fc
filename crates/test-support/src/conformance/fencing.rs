//! Fencing: writes with an older epoch than the stored one are refused; claims raise the
//! epoch atomically.

use std::collections::BTreeSet;
use std::sync::Arc;

use ractor_session::SessionId;
use ractor_session::durable::{BackendError, SaveOutcome, SessionStore};
use tokio::task::JoinSet;

use super::{Store, assert_absent, live, live_as, loaded};

pub(super) async fn stale_epochs_are_refused(store: Store<'_>) {
    let record = live(b"epoch 5", 5);
    let id = record.id().clone();
    assert_eq!(
        store.save(vec![record.clone()]).await.unwrap(),
        [SaveOutcome::Saved]
    );

    let stale = live_as(id.clone(), b"epoch 4", 4);
    let outcome = store.save(vec![stale]).await.expect("save failed");
    assert_eq!(outcome, [SaveOutcome::Fenced { current_epoch: 5 }]);
    assert_eq!(
        loaded(store, &id).await,
        record,
        "a fenced save changes nothing"
    );

    for (epoch, state) in [(5, &b"same epoch"[..]), (6, &b"newer epoch"[..])] {
        let outcome = store
            .save(vec![live_as(id.clone(), state, epoch)])
            .await
            .unwrap();
        assert_eq!(
            outcome,
            [SaveOutcome::Saved],
            "epoch {epoch} >= the stored 5 is saved"
        );
        assert_eq!(loaded(store, &id).await.epoch(), epoch);
    }
    let outcome = store
        .save(vec![live_as(id.clone(), b"x", 5)])
        .await
        .unwrap();
    assert_eq!(
        outcome,
        [SaveOutcome::Fenced { current_epoch: 6 }],
        "5 is stale now"
    );
}

pub(super) async fn claims_raise_the_epoch(store: Store<'_>) {
    let record = live(b"claimed", 6);
    let id = record.id().clone();
    store.save(vec![record.clone()]).await.expect("save failed");

    let claimed = store
        .claim(&id)
        .await
        .expect("claim failed")
        .expect("a live record is claimed");
    assert_eq!(claimed.epoch(), 7, "a claim raises the epoch by one");
    assert_eq!(
        claimed,
        record.clone().with_epoch(7),
        "a claim returns the stored record"
    );
    assert_eq!(
        loaded(store, &id).await.epoch(),
        7,
        "the raised epoch is stored"
    );

    // The activation that held epoch 6 is fenced off from every write now.
    let outcome = store.save(vec![record.clone()]).await.expect("save failed");
    assert_eq!(outcome, [SaveOutcome::Fenced { current_epoch: 7 }]);
    let new = SessionId::generate();
    let rotated = store.rotate(&id, &new, 6).await;
    assert!(
        matches!(
            rotated,
            Err(BackendError::Fenced {
                current_epoch: 7,
                ..
            })
        ),
        "a rotation with the old epoch is fenced, got {rotated:?}"
    );
    let deleted = store.delete(&id, 6).await;
    assert!(
        matches!(
            deleted,
            Err(BackendError::Fenced {
                current_epoch: 7,
                ..
            })
        ),
        "a delete with the old epoch is fenced, got {deleted:?}"
    );
    assert_eq!(loaded(store, &id).await.state(), b"claimed");

    let next = store.claim(&id).await.unwrap().unwrap();
    assert_eq!(next.epoch(), 8, "each claim raises the epoch again");
    let none = store
        .claim(&SessionId::generate())
        .await
        .expect("claim failed");
    assert!(
        none.is_none(),
        "there is nothing to claim under an unknown ID"
    );
    assert_absent(store, &new, "no fenced rotation happened").await;
}

pub(super) async fn concurrent_claims(store: Store<'_>) {
    const CLAIMS: u64 = 32;
    let record = live(b"contended", 10);
    store.save(vec![record.clone()]).await.expect("save failed");
    let mut claims = JoinSet::new();
    for _ in 0..CLAIMS {
        let store: Arc<dyn SessionStore> = Arc::clone(store);
        let id = record.id().clone();
        claims.spawn(async move {
            let claimed = store.claim(&id).await.expect("a concurrent claim failed");
            claimed.expect("the record is live").epoch()
        });
    }
    let mut epochs = BTreeSet::new();
    while let Some(epoch) = claims.join_next().await {
        let epoch = epoch.expect("a claim panicked");
        assert!(epochs.insert(epoch), "two claims got epoch {epoch}");
    }
    let expected: BTreeSet<u64> = (11..=10 + CLAIMS).collect();
    assert_eq!(
        epochs, expected,
        "each claim got its own epoch, none was lost"
    );
    assert_eq!(loaded(store, record.id()).await.epoch(), 10 + CLAIMS);
}

pub(super) async fn racing_epochs(store: Store<'_>) {
    // Writers of one session with epochs 0..32 race; whatever the order, the newest epoch
    // ends up stored, and its writer is never fenced.
    const WRITERS: u64 = 32;
    let id = SessionId::generate();
    let mut writers = JoinSet::new();
    for epoch in 0..WRITERS {
        let store: Arc<dyn SessionStore> = Arc::clone(store);
        let record = live_as(id.clone(), format!("epoch {epoch}").as_bytes(), epoch);
        writers.spawn(async move {
            let outcomes = store
                .save(vec![record])
                .await
                .expect("a racing save failed");
            (epoch, outcomes[0])
        });
    }
    while let Some(result) = writers.join_next().await {
        let (epoch, outcome) = result.expect("a writer panicked");
        if let SaveOutcome::Fenced { current_epoch } = outcome {
            assert!(
                current_epoch > epoch,
                "epoch {epoch} was fenced by {current_epoch}"
            );
        }
        if epoch == WRITERS - 1 {
            assert_eq!(
                outcome,
                SaveOutcome::Saved,
                "the newest epoch is never fenced"
            );
        }
    }
    let stored = loaded(store, &id).await;
    assert_eq!(stored.epoch(), WRITERS - 1);
    assert_eq!(stored.state(), format!("epoch {}", WRITERS - 1).as_bytes());
}
