//! Records bound to a user: the user is kept, moves with a rotation, and `delete_user`
//! deletes exactly that user's records, whatever their epoch.

use ractor_session::durable::{RotateOutcome, SessionRecord};
use ractor_session::{SessionId, UserKey};

use super::{Store, assert_absent, hours_ago, live, loaded};

/// A user no other run of the suite on the same store has seen.
fn fresh_user(name: &str) -> UserKey {
    UserKey::parse(&format!("{name} ✓ {}", SessionId::generate())).expect("a valid user key")
}

fn sorted(mut ids: Vec<SessionId>) -> Vec<SessionId> {
    ids.sort();
    ids
}

pub(super) async fn users(store: Store<'_>) {
    let (alice, bob) = (fresh_user("alice"), fresh_user("bob"));
    let phone = live(b"phone", 0).with_user(alice.clone());
    let laptop = live(b"laptop", 2).with_user(alice.clone());
    let expired: SessionRecord = live(b"old", 0)
        .with_user(alice.clone())
        .with_idle_deadline(hours_ago(1));
    let desk = live(b"desk", 0).with_user(bob.clone());
    let anonymous = live(b"anonymous", 0);
    let batch = vec![
        phone.clone(),
        laptop.clone(),
        expired.clone(),
        desk.clone(),
        anonymous.clone(),
    ];
    store.save(batch).await.expect("save failed");

    // The user is read back, by loads and claims alike.
    assert_eq!(loaded(store, phone.id()).await, phone);
    assert_eq!(loaded(store, anonymous.id()).await.user(), None);
    let claimed = store
        .claim(phone.id())
        .await
        .expect("claim failed")
        .expect("a live record is claimed");
    assert_eq!(claimed.user(), Some(&alice), "a claim keeps the user");

    // A rotation moves the user with the record.
    let moved = SessionId::generate();
    let rotated = store
        .rotate(laptop.id(), &moved, 2)
        .await
        .expect("rotate failed");
    assert_eq!(rotated, RotateOutcome::Rotated);
    assert_eq!(loaded(store, &moved).await.user(), Some(&alice));

    // Her live records go, whatever their epoch (the phone's was raised by the claim);
    // the expired one goes too but is not reported; nobody else's is touched.
    let deleted = store.delete_user(&alice).await.expect("delete_user failed");
    assert_eq!(
        sorted(deleted),
        sorted(vec![phone.id().clone(), moved.clone()]),
        "the IDs of her live records"
    );
    assert_absent(store, phone.id(), "her records were deleted").await;
    assert_absent(store, &moved, "her rotated record was deleted").await;
    assert_absent(store, laptop.id(), "the old ID of a rotation stays gone").await;
    assert_eq!(
        loaded(store, desk.id()).await,
        desk,
        "another user's record"
    );
    assert_eq!(loaded(store, anonymous.id()).await, anonymous);
    let again = store.delete_user(&alice).await.expect("delete_user failed");
    assert!(again.is_empty(), "nothing left of her: {again:?}");

    // A record deleted by ID is no longer hers to delete; a later one is.
    let gone = live(b"gone", 0).with_user(bob.clone());
    store.save(vec![gone.clone()]).await.expect("save failed");
    store.delete(gone.id(), 0).await.expect("delete failed");
    let later = live(b"later", 0).with_user(bob.clone());
    store.save(vec![later.clone()]).await.expect("save failed");
    let deleted = store.delete_user(&bob).await.expect("delete_user failed");
    assert_eq!(
        sorted(deleted),
        sorted(vec![desk.id().clone(), later.id().clone()])
    );
}
