//! Any ractor `Actor` with its own `Arguments` is a session; list and the per-type filter
//! tell session types apart; a session reaches its own ID with one call, without it being
//! passed in.

use std::sync::{Arc, Mutex};

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::{KvSession, SessionId, SessionManager, current_session_id};
use ractor_session_test_support::actors::{Counter, CounterMsg};
use ractor_session_test_support::config::config;

#[tokio::test]
async fn a_custom_actor_starts_from_its_arguments_and_keeps_state() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let actor = manager.start_with("counter", Counter, 123).await.unwrap();
    assert_eq!(manager.call("counter", CounterMsg::Get).await.unwrap(), 123);
    manager.cast("counter", CounterMsg::Add(1)).await.unwrap();
    assert_eq!(manager.call("counter", CounterMsg::Get).await.unwrap(), 124);

    // The handle given back is the session's own actor, usable directly.
    actor.cast(CounterMsg::Add(1)).unwrap();
    assert_eq!(manager.call("counter", CounterMsg::Get).await.unwrap(), 125);
    manager.shutdown().await;
}

#[tokio::test]
async fn list_and_the_type_filter_tell_session_types_apart() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let kv = manager.start("kv-1").await.unwrap();
    manager.start("kv-2").await.unwrap();
    let counter = manager.start_with("counter-1", Counter, 0).await.unwrap();

    let mut all: Vec<(String, &str)> = manager
        .list()
        .into_iter()
        .map(|info| (info.id.to_string(), info.session_type))
        .collect();
    all.sort();
    assert_eq!(
        all,
        [
            ("counter-1".to_owned(), "Counter"),
            ("kv-1".to_owned(), "KvSession"),
            ("kv-2".to_owned(), "KvSession"),
        ]
    );
    let info = manager.list().into_iter().find(|i| i.id == "kv-1").unwrap();
    assert_eq!(info.actor_id, Some(kv.get_id()));
    assert!(info.last_active >= info.started_at);

    let counters = manager.list_by_type::<Counter>();
    assert_eq!(counters.len(), 1);
    assert_eq!(counters[0].id.as_str(), "counter-1");
    assert_eq!(counters[0].actor_id, Some(counter.get_id()));

    let mut kvs: Vec<String> = manager
        .list_by_type::<KvSession>()
        .into_iter()
        .map(|i| i.id.to_string())
        .collect();
    kvs.sort();
    assert_eq!(kvs, ["kv-1", "kv-2"]);

    let stats = manager.stats();
    assert_eq!(stats.live, 3);
    assert_eq!(stats.by_type.get("KvSession"), Some(&2));
    assert_eq!(stats.by_type.get("Counter"), Some(&1));
    assert_eq!(manager.count(), 3);
    manager.shutdown().await;
}

/// Remembers the session ID it saw in each callback.
struct WhoAmI {
    seen_in_post_stop: Arc<Mutex<Option<SessionId>>>,
}

struct Seen {
    pre_start: Option<SessionId>,
    post_start: Option<SessionId>,
}

type WhoAmIReply = (Option<SessionId>, Option<SessionId>, Option<SessionId>);

/// Asks a [`WhoAmI`] session which IDs it saw.
struct Ask(RpcReplyPort<WhoAmIReply>);

#[cfg(feature = "cluster")]
impl ractor::Message for Ask {}

impl Actor for WhoAmI {
    type Msg = Ask;
    type State = Seen;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<Self::Msg>, (): ()) -> Result<Seen, ActorProcessingErr> {
        Ok(Seen {
            pre_start: current_session_id(),
            post_start: None,
        })
    }

    async fn post_start(
        &self,
        _: ActorRef<Self::Msg>,
        seen: &mut Seen,
    ) -> Result<(), ActorProcessingErr> {
        seen.post_start = current_session_id();
        Ok(())
    }

    async fn handle(
        &self,
        _: ActorRef<Self::Msg>,
        Ask(reply): Ask,
        seen: &mut Seen,
    ) -> Result<(), ActorProcessingErr> {
        let _ = reply.send((
            seen.pre_start.clone(),
            seen.post_start.clone(),
            current_session_id(),
        ));
        Ok(())
    }

    async fn post_stop(
        &self,
        _: ActorRef<Self::Msg>,
        _: &mut Seen,
    ) -> Result<(), ActorProcessingErr> {
        *self.seen_in_post_stop.lock().unwrap() = current_session_id();
        Ok(())
    }
}

#[tokio::test]
async fn a_session_knows_its_own_id_in_every_callback() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let post_stop = Arc::new(Mutex::new(None));
    let who = || WhoAmI {
        seen_in_post_stop: Arc::clone(&post_stop),
    };
    manager.start_with("alice", who(), ()).await.unwrap();
    manager.start_with("bob", who(), ()).await.unwrap();

    let (pre, post, handle): WhoAmIReply = manager.call("alice", Ask).await.unwrap();
    assert_eq!(pre.unwrap().as_str(), "alice");
    assert_eq!(post.unwrap().as_str(), "alice");
    assert_eq!(handle.unwrap().as_str(), "alice");
    let (pre, _, handle): WhoAmIReply = manager.call("bob", Ask).await.unwrap();
    assert_eq!(pre.unwrap().as_str(), "bob");
    assert_eq!(handle.unwrap().as_str(), "bob");

    // Outside any session there is no current ID.
    assert!(current_session_id().is_none());

    // After rotation the session sees its new ID.
    let new_id = manager.rotate("alice").await.unwrap();
    let (_, _, handle): WhoAmIReply = manager.call(&new_id, Ask).await.unwrap();
    assert_eq!(handle.unwrap(), new_id);

    manager.terminate("bob").await.unwrap();
    assert_eq!(post_stop.lock().unwrap().as_ref().unwrap().as_str(), "bob");
    manager.shutdown().await;
}
