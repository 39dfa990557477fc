//! With a store, a session's user is written with its record: a revived session is bound
//! again, and `terminate_user` deletes the user's stored sessions as well as ending the
//! live ones.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use ractor_session::{DurabilityConfig, EndReason, KvMsg, SessionId, UserKey};
use serde_json::json;

use super::support::{manager, put, sqlite};

/// Written only by `flush` and `shutdown`.
fn manual() -> DurabilityConfig {
    DurabilityConfig::default().with_flush_interval(Duration::from_secs(3600))
}

fn user(name: &str) -> UserKey {
    UserKey::parse(name).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revived_session_is_bound_to_its_user_again() {
    let dir = tempfile::tempdir().unwrap();
    let starts = Arc::new(AtomicUsize::new(0));
    let before = manager(sqlite(dir.path()).await, manual(), &starts).await;
    before.start("phone").await.unwrap();
    put(&before, "phone", "cart", json!(["tea"])).await;
    before.flush().await.unwrap();
    // Bound after its last change was written: the binding alone must reach the record.
    before.bind_user("phone", &user("alice")).await.unwrap();
    before.shutdown().await;

    let store = sqlite(dir.path()).await;
    let stored = store
        .load(&SessionId::parse("phone").unwrap())
        .await
        .unwrap();
    assert_eq!(stored.unwrap().user(), Some(&user("alice")));
    let after = manager(store, manual(), &starts).await;
    assert_eq!(after.count_user(&user("alice")), 0, "nothing revived yet");
    after.touch("phone").await.unwrap();
    assert_eq!(after.count_user(&user("alice")), 1);
    assert_eq!(after.session("phone").unwrap().user(), Some(user("alice")));
    after.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_user_deletes_the_stored_sessions_of_the_user_and_ends_the_live_ones() {
    let dir = tempfile::tempdir().unwrap();
    let starts = Arc::new(AtomicUsize::new(0));
    // Alice's phone and Bob's desk were left in the store by an earlier run.
    let before = manager(sqlite(dir.path()).await, manual(), &starts).await;
    for (id, name) in [("phone", "alice"), ("desk", "bob")] {
        before.start(id).await.unwrap();
        before.bind_user(id, &user(name)).await.unwrap();
    }
    before.shutdown().await;

    let store = sqlite(dir.path()).await;
    let after = manager(Arc::clone(&store), manual(), &starts).await;
    // Alice's laptop is live in this run.
    after.start("laptop").await.unwrap();
    after.bind_user("laptop", &user("alice")).await.unwrap();
    after.flush().await.unwrap();
    let laptop = after.watch("laptop").await.unwrap();

    assert_eq!(after.terminate_user(&user("alice")).await.unwrap(), 2);

    assert_eq!(laptop.await, EndReason::LoggedOut);
    for id in ["phone", "laptop"] {
        let id = SessionId::parse(id).unwrap();
        assert!(store.load(&id).await.unwrap().is_none(), "{id:?} deleted");
    }
    // Neither comes back by its ID; Bob's stored session does.
    assert!(after.touch("phone").await.is_err());
    assert!(after.touch("laptop").await.is_err());
    let pong = after.call("desk", KvMsg::Ping).await;
    assert!(pong.is_ok(), "{pong:?}");
    assert_eq!(after.count_user(&user("bob")), 1);
    after.shutdown().await;
}
