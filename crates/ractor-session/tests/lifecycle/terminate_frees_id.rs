//! Terminate stops the session gracefully and frees its ID, which then starts again as a
//! fresh session.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ractor::{Actor, ActorProcessingErr, ActorRef};
use ractor_session::{EndReason, KvMsg, SessionError, SessionManager};
use ractor_session_test_support::config::config;
use serde_json::json;

use crate::support::Graceful;

#[tokio::test]
async fn a_terminated_id_is_gone_and_starts_again_fresh() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let old = manager.start("s1").await.unwrap();
    manager.start("other").await.unwrap();
    manager
        .cast("s1", KvMsg::put("k", "old state"))
        .await
        .unwrap();
    let watch = manager.watch("s1").await.unwrap();

    manager.terminate("s1").await.unwrap();
    assert!(!manager.is_started("s1"));
    assert!(manager.list().iter().all(|info| info.id != "s1"));
    assert_eq!(manager.count(), 1);
    assert_eq!(watch.await, EndReason::Terminated);
    assert_eq!(
        old.get_status(),
        ractor::ActorStatus::Stopped,
        "terminate waits for the actor"
    );
    assert!(matches!(
        manager.terminate("s1").await,
        Err(SessionError::SessionNotFound { .. })
    ));

    let new = manager.start("s1").await.unwrap();
    assert_ne!(new.get_id(), old.get_id());
    let value = manager
        .call("s1", |reply| KvMsg::Get {
            key: "k".into(),
            reply,
        })
        .await
        .unwrap();
    assert_eq!(value, None, "the new session starts with fresh state");
    manager
        .cast("s1", KvMsg::put("k", json!("new state")))
        .await
        .unwrap();
    assert!(manager.is_started("other"));
    assert_eq!(manager.count(), 2);
    manager.shutdown().await;
}

#[tokio::test]
async fn terminate_returns_after_post_stop_ran() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let stops = Arc::new(AtomicUsize::new(0));
    manager
        .start_with(
            "s",
            Graceful {
                stopped: Arc::clone(&stops),
            },
            (),
        )
        .await
        .unwrap();
    manager.terminate("s").await.unwrap();
    assert_eq!(stops.load(Ordering::SeqCst), 1);
    assert!(manager.supervisor().get_children().is_empty());
    manager.shutdown().await;
    assert_eq!(stops.load(Ordering::SeqCst), 1, "post_stop ran once");
}

/// Ends its own session through the manager when told to log out.
struct LogsOut {
    manager: ractor_session::SessionManager,
    stops: Arc<AtomicUsize>,
}

/// Tells a [`LogsOut`] session to log out, and asks for the outcome.
struct LogOut(ractor::RpcReplyPort<Result<(), SessionError>>);

#[cfg(feature = "cluster")]
impl ractor::Message for LogOut {}

impl Actor for LogsOut {
    type Msg = LogOut;
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<Self::Msg>, (): ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        _: ActorRef<Self::Msg>,
        LogOut(reply): LogOut,
        (): &mut (),
    ) -> Result<(), ActorProcessingErr> {
        let me = ractor_session::current_session_id().expect("inside a session");
        let _ = reply.send(self.manager.terminate(&me).await);
        Ok(())
    }

    async fn post_stop(
        &self,
        _: ActorRef<Self::Msg>,
        (): &mut (),
    ) -> Result<(), ActorProcessingErr> {
        self.stops.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_session_can_terminate_itself_through_the_manager() {
    let stop_timeout = std::time::Duration::from_secs(5);
    let manager = SessionManager::spawn(config().with_stop_timeout(stop_timeout))
        .await
        .unwrap();
    let stops = Arc::new(AtomicUsize::new(0));
    let actor = LogsOut {
        manager: manager.clone(),
        stops: Arc::clone(&stops),
    };
    manager.start_with("leaving", actor, ()).await.unwrap();
    let watch = manager.watch("leaving").await.unwrap();
    let began = tokio::time::Instant::now();
    let result: Result<(), SessionError> = manager.call("leaving", LogOut).await.unwrap();
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(watch.await, EndReason::Terminated);
    assert!(
        began.elapsed() < stop_timeout,
        "waited for its own stop until killed"
    );
    assert_eq!(
        stops.load(Ordering::SeqCst),
        1,
        "post_stop ran: it was not killed"
    );
    assert!(!manager.is_started("leaving"));
    manager.shutdown().await;
}
