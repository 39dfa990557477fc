//! A record's lifetime: its deadlines, rotation to a new ID, and the sweep of expired ones.

use std::time::{Duration, SystemTime};

use ractor_session::SessionId;
use ractor_session::durable::{BackendError, RotateOutcome, SaveOutcome, SessionRecord};

use super::{ExpiredRecords, Store, assert_absent, hours_ago, hours_from_now, live, loaded};

fn with_deadlines(idle: SystemTime, absolute: Option<SystemTime>) -> SessionRecord {
    let record = live(b"deadlines", 0).with_idle_deadline(idle);
    match absolute {
        Some(absolute) => record.with_absolute_deadline(absolute),
        None => record,
    }
}

pub(super) async fn deadlines(store: Store<'_>) {
    let live_both = with_deadlines(hours_from_now(1), Some(hours_from_now(2)));
    let idle_only = with_deadlines(hours_from_now(1), None);
    let idle_passed = with_deadlines(hours_ago(1), Some(hours_from_now(2)));
    let absolute_passed = with_deadlines(hours_from_now(1), Some(hours_ago(1)));
    let both_passed = with_deadlines(hours_ago(2), Some(hours_ago(1)));
    let batch = vec![
        live_both.clone(),
        idle_only.clone(),
        idle_passed.clone(),
        absolute_passed.clone(),
        both_passed.clone(),
    ];
    store.save(batch).await.expect("save failed");

    assert_eq!(loaded(store, live_both.id()).await, live_both);
    let found = loaded(store, idle_only.id()).await;
    assert_eq!(
        found.absolute_deadline(),
        None,
        "no absolute deadline stays none"
    );
    for (expired, why) in [
        (&idle_passed, "the idle deadline passed"),
        (
            &absolute_passed,
            "the absolute deadline passed, though the idle one did not",
        ),
        (&both_passed, "both deadlines passed"),
    ] {
        assert_absent(store, expired.id(), why).await;
        let claimed = store.claim(expired.id()).await.expect("claim failed");
        assert!(
            claimed.is_none(),
            "an expired record is not claimed ({why})"
        );
    }

    // An expired record fences nothing: a new session may reuse its ID from epoch 0.
    let reused = live(b"reused", 0).with_id(absolute_passed.id().clone());
    let absolute_passed = absolute_passed.with_epoch(9);
    store
        .save(vec![absolute_passed])
        .await
        .expect("save failed");
    assert_eq!(
        store.save(vec![reused.clone()]).await.unwrap(),
        [SaveOutcome::Saved]
    );
    assert_eq!(loaded(store, reused.id()).await, reused);
}

pub(super) async fn expiry_while_stored(store: Store<'_>) {
    // A record is returned exactly while its deadline lies ahead: each load is judged by
    // the clock around it, so the check holds however slow the machine is.
    let deadline = SystemTime::now() + Duration::from_secs(2);
    let record = live(b"short-lived", 0).with_idle_deadline(deadline);
    store.save(vec![record.clone()]).await.expect("save failed");
    let give_up = SystemTime::now() + Duration::from_secs(30);
    loop {
        let before = SystemTime::now();
        let found = store.load(record.id()).await.expect("load failed");
        let after = SystemTime::now();
        match found {
            Some(found) => {
                assert!(
                    before < record.idle_deadline(),
                    "an expired record was returned"
                );
                assert_eq!(found, record);
            }
            None => {
                assert!(
                    after >= record.idle_deadline(),
                    "a live record was not returned"
                );
                break;
            }
        }
        assert!(SystemTime::now() < give_up, "the record never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(super) async fn rotate(store: Store<'_>) {
    let record = live(b"rotating", 3).with_absolute_deadline(hours_from_now(5));
    let (old, new) = (record.id().clone(), SessionId::generate());
    store.save(vec![record.clone()]).await.expect("save failed");

    let rotated = store.rotate(&old, &new, 4).await.expect("rotate failed");
    assert_eq!(rotated, RotateOutcome::Rotated);
    assert_absent(store, &old, "the old ID is gone after a rotation").await;
    let moved = loaded(store, &new).await;
    assert_eq!(
        moved,
        record.clone().with_id(new.clone()).with_epoch(4),
        "all else moved as is"
    );

    let missing = store
        .rotate(&old, &SessionId::generate(), 4)
        .await
        .expect("rotate failed");
    assert_eq!(
        missing,
        RotateOutcome::Missing,
        "a missing ID has nothing to rotate"
    );

    // Onto a live record: refused, both unchanged.
    let other = live(b"other", 0);
    store.save(vec![other.clone()]).await.expect("save failed");
    let taken = store.rotate(&new, other.id(), 4).await;
    assert!(
        matches!(taken, Err(BackendError::IdTaken { .. })),
        "got {taken:?}"
    );
    assert_eq!(loaded(store, &new).await, moved);
    assert_eq!(loaded(store, other.id()).await, other);

    // Onto an expired record: it makes room.
    let expired = live(b"expired", 50).with_idle_deadline(hours_ago(1));
    store
        .save(vec![expired.clone()])
        .await
        .expect("save failed");
    let rotated = store
        .rotate(&new, expired.id(), 4)
        .await
        .expect("rotate failed");
    assert_eq!(rotated, RotateOutcome::Rotated);
    assert_eq!(loaded(store, expired.id()).await.state(), b"rotating");
    assert_absent(store, &new, "the old ID is gone after a rotation").await;

    // An expired record does not rotate.
    let stale = live(b"stale", 0).with_idle_deadline(hours_ago(1));
    let target = SessionId::generate();
    store.save(vec![stale.clone()]).await.expect("save failed");
    let rotated = store
        .rotate(stale.id(), &target, 0)
        .await
        .expect("rotate failed");
    assert_eq!(rotated, RotateOutcome::Missing);
    assert_absent(store, &target, "an expired record is not moved").await;
}

pub(super) async fn sweep(store: Store<'_>, expired: ExpiredRecords) {
    const EXPIRED: usize = 25;
    const LIMIT: usize = 10;
    // One instant for every sweep below: records expiring later do not count.
    let now = SystemTime::now();
    while store.sweep(now, 1000).await.expect("sweep failed") > 0 {}

    let dead: Vec<_> = (0..EXPIRED)
        .map(|i| live(b"dead", 0).with_idle_deadline(now - Duration::from_secs(1 + i as u64)))
        .collect();
    let alive: Vec<_> = (0..5).map(|_| live(b"alive", 0)).collect();
    store
        .save(dead.iter().chain(&alive).cloned().collect())
        .await
        .expect("save failed");

    let mut removed = Vec::new();
    loop {
        let count = store.sweep(now, LIMIT).await.expect("sweep failed");
        assert!(
            count <= LIMIT,
            "a sweep removed {count}, above its limit of {LIMIT}"
        );
        if count == 0 {
            break;
        }
        removed.push(count);
        assert!(
            removed.len() <= EXPIRED,
            "the sweep never ends: {removed:?}"
        );
    }
    let total: usize = removed.iter().sum();
    match expired {
        ExpiredRecords::RemovedBySweep => {
            assert_eq!(
                total, EXPIRED,
                "the sweep removes every expired record: {removed:?}"
            );
            assert_eq!(removed[0], LIMIT, "a sweep removes up to its limit");
        }
        ExpiredRecords::RemovedByServer => {
            assert_eq!(
                total, 0,
                "the server expires records; the sweep has nothing to do"
            );
        }
    }
    for record in &alive {
        assert_eq!(
            &loaded(store, record.id()).await,
            record,
            "the sweep spares live records"
        );
    }
    for record in &dead {
        assert_absent(store, record.id(), "an expired record is never returned").await;
    }
}
