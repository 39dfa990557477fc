//! The store follows each session's life: rotation moves its record, termination deletes
//! it (for good: the ID is not revived from a record about to go), and an activation
//! whose record a newer one claimed is fenced off.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::BoxError;
use tokio::sync::Semaphore;

use ractor_session::durable::{MemoryStore, SessionStore};
use ractor_session::{
    DurabilityConfig, EndReason, KvMsg, SessionConfig, SessionError, SessionId, SessionManager,
};
use ractor_session_test_support::poll::eventually;
use serde_json::json;

use super::support::{JournalMsg, manager, put, start_journal, stored_state};

async fn kv_manager(store: &Arc<MemoryStore>) -> SessionManager {
    SessionManager::builder(SessionConfig::default())
        .with_store(store.clone())
        .spawn()
        .await
        .unwrap()
}

#[tokio::test]
async fn rotation_moves_the_record_to_the_new_id() {
    let store = Arc::new(MemoryStore::new());
    let before = kv_manager(&store).await;
    before.start("before-login").await.unwrap();
    put(&before, "before-login", "a", json!(1)).await;
    before.flush().await.unwrap();
    assert!(stored_state(&*store, "before-login").await.is_some());

    let new = before.rotate("before-login").await.unwrap();
    assert_eq!(stored_state(&*store, "before-login").await, None);
    assert_eq!(
        stored_state(&*store, new.as_str()).await,
        Some(json!({"a": 1}))
    );
    put(&before, new.as_str(), "b", json!(2)).await;
    before.shutdown().await;

    let after = kv_manager(&store).await;
    assert!(
        matches!(
            after.call("before-login", KvMsg::GetAll).await,
            Err(SessionError::SessionNotFound { .. })
        ),
        "the old ID revives nothing"
    );
    let all = after.call(&new, KvMsg::GetAll).await.unwrap();
    assert_eq!(serde_json::Value::Object(all), json!({"a": 1, "b": 2}));
    after.shutdown().await;
}

#[tokio::test]
async fn terminating_a_session_deletes_its_record_and_its_id_stays_dead() {
    let store = Arc::new(MemoryStore::new());
    let manager = kv_manager(&store).await;
    manager.start("s1").await.unwrap();
    put(&manager, "s1", "a", json!(1)).await;
    manager.flush().await.unwrap();
    assert_eq!(stored_state(&*store, "s1").await, Some(json!({"a": 1})));

    manager.terminate("s1").await.unwrap();
    assert_eq!(stored_state(&*store, "s1").await, None);
    assert!(matches!(
        manager.call("s1", KvMsg::GetAll).await,
        Err(SessionError::SessionNotFound { .. })
    ));
    manager.shutdown().await;
}

/// A durable session whose `post_stop` waits until the test lets it finish.
#[derive(Clone)]
struct Lingering {
    release: Arc<Semaphore>,
}

/// Asks a [`Lingering`] session for its number.
struct Ask(RpcReplyPort<u32>);

#[cfg(feature = "cluster")]
impl ractor::Message for Ask {}

impl Actor for Lingering {
    type Msg = Ask;
    type State = u32;
    type Arguments = u32;

    async fn pre_start(&self, _: ActorRef<Self::Msg>, n: u32) -> Result<u32, ActorProcessingErr> {
        Ok(n)
    }

    async fn handle(
        &self,
        _: ActorRef<Self::Msg>,
        Ask(reply): Ask,
        n: &mut u32,
    ) -> Result<(), ActorProcessingErr> {
        let _ = reply.send(*n);
        Ok(())
    }

    async fn post_stop(
        &self,
        _: ActorRef<Self::Msg>,
        _: &mut u32,
    ) -> Result<(), ActorProcessingErr> {
        let _ = self.release.acquire().await;
        Ok(())
    }
}

impl ractor_session::durable::DurableSession for Lingering {
    const TYPE_TAG: &'static str = "lingering";
    type Snapshot = u32;

    fn snapshot(n: &u32) -> impl serde::Serialize {
        *n
    }

    fn restore(&self, n: u32) -> Result<u32, BoxError> {
        Ok(n)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_being_terminated_is_not_revived_from_its_record() {
    let store = Arc::new(MemoryStore::new());
    let lingering = Lingering {
        release: Arc::new(Semaphore::new(0)),
    };
    let manager = SessionManager::builder(SessionConfig::default())
        .with_store(store.clone())
        .with_durable({
            let lingering = lingering.clone();
            move || lingering.clone()
        })
        .spawn()
        .await
        .unwrap();
    manager
        .start_with("s1", lingering.clone(), 7)
        .await
        .unwrap();
    assert_eq!(manager.call("s1", Ask).await.unwrap(), 7);
    manager.flush().await.unwrap();

    let terminating = tokio::spawn({
        let manager = manager.clone();
        async move { manager.terminate("s1").await }
    });
    eventually("the session has left the registry", || async {
        !manager.is_started("s1")
    })
    .await;
    // Its actor is still in `post_stop` and its record not deleted yet: the ID is dead
    // all the same.
    assert_eq!(stored_state(&*store, "s1").await, Some(json!(7)));
    assert!(matches!(
        manager.call("s1", Ask).await,
        Err(SessionError::SessionNotFound { .. })
    ));
    lingering.release.add_permits(1);
    terminating.await.unwrap().unwrap();
    assert_eq!(stored_state(&*store, "s1").await, None);
    assert!(!manager.is_started("s1"));
    manager.shutdown().await;
}

#[tokio::test]
async fn terminating_a_stored_session_ends_it_and_deletes_its_record() {
    let store = Arc::new(MemoryStore::new());
    let before = kv_manager(&store).await;
    before.start("s1").await.unwrap();
    before.shutdown().await;

    let after = kv_manager(&store).await;
    after.terminate("s1").await.unwrap();
    assert_eq!(stored_state(&*store, "s1").await, None);
    assert!(!after.is_started("s1"));
    after.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_activation_is_fenced_off_once_a_newer_one_claims_the_record() {
    let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let starts = Arc::new(AtomicUsize::new(0));
    let older = manager(store.clone(), DurabilityConfig::default(), &starts).await;
    start_journal(&older, "j").await;
    older
        .call("j", |reply| JournalMsg::AppendAck(1, reply))
        .await
        .unwrap();
    older.flush().await.unwrap();
    let older_ended = older.watch("j").await.unwrap();

    // Another manager on the same store (another node, say) revives the session.
    let newer = manager(store.clone(), DurabilityConfig::default(), &starts).await;
    newer
        .call("j", |reply| JournalMsg::AppendAck(2, reply))
        .await
        .unwrap();
    newer.flush().await.unwrap();

    // The older activation's next write is refused, and it stops.
    older
        .call("j", |reply| JournalMsg::AppendAck(99, reply))
        .await
        .unwrap();
    older.flush().await.unwrap();
    // It moved to the newer activation: not ended, its record kept.
    assert_eq!(older_ended.await, EndReason::HandedOver);
    eventually("the older activation is gone", || async {
        !older.is_started("j")
    })
    .await;
    assert_eq!(stored_state(&*store, "j").await, Some(json!([1, 2])));
    let id = SessionId::parse("j").unwrap();
    assert_eq!(store.load(&id).await.unwrap().unwrap().epoch(), 1);

    // The session can come back to the older manager (as to a node that owns it again),
    // from the newer activation's writes.
    newer.shutdown().await;
    older
        .call("j", |reply| JournalMsg::AppendAck(3, reply))
        .await
        .unwrap();
    older.flush().await.unwrap();
    assert_eq!(stored_state(&*store, "j").await, Some(json!([1, 2, 3])));
    older.shutdown().await;
}
