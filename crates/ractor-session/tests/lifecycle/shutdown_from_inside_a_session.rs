//! `shutdown()` called from inside one of the manager's own sessions (an "admin" session
//! that takes the service down) does not wait for that session, whose actor cannot stop
//! while it runs the handler that called `shutdown`. Every other session is stopped and
//! waited for as usual; the caller's own session stops gracefully once its handler returns.
//!
//! Time is paused: had `shutdown` waited for its own caller, the clock would have jumped
//! by the (hour-long) `stop_timeout`, and the caller would then have been killed
//! mid-handler.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::{EndReason, SessionError, SessionManager};
use ractor_session_test_support::config::config;
use tokio::time::Instant;

const STOP_TIMEOUT: Duration = Duration::from_secs(3600);

/// A session that shuts its manager down when asked, then replies.
struct Admin {
    stopped: Arc<AtomicBool>,
}

enum AdminMsg {
    /// Shuts the manager down, then replies with how long that took on the tokio clock.
    ShutDown(RpcReplyPort<Duration>),
}

#[cfg(feature = "cluster")]
impl ractor::Message for AdminMsg {}

impl Actor for Admin {
    type Msg = AdminMsg;
    type State = SessionManager;
    type Arguments = SessionManager;

    async fn pre_start(
        &self,
        _: ActorRef<AdminMsg>,
        manager: SessionManager,
    ) -> Result<SessionManager, ActorProcessingErr> {
        Ok(manager)
    }

    async fn handle(
        &self,
        _: ActorRef<AdminMsg>,
        AdminMsg::ShutDown(reply): AdminMsg,
        manager: &mut SessionManager,
    ) -> Result<(), ActorProcessingErr> {
        let began = Instant::now();
        manager.shutdown().await;
        let _ = reply.send(began.elapsed());
        Ok(())
    }

    async fn post_stop(
        &self,
        _: ActorRef<AdminMsg>,
        _: &mut SessionManager,
    ) -> Result<(), ActorProcessingErr> {
        self.stopped.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// A session that shuts its manager down from its own `pre_start`.
struct ShutsDownWhileStarting;

impl Actor for ShutsDownWhileStarting {
    type Msg = ();
    type State = ();
    type Arguments = SessionManager;

    async fn pre_start(
        &self,
        _: ActorRef<()>,
        manager: SessionManager,
    ) -> Result<(), ActorProcessingErr> {
        manager.shutdown().await;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn shutdown_from_a_sessions_handler_stops_the_others_and_then_that_session() {
    let manager = SessionManager::spawn(config().with_stop_timeout(STOP_TIMEOUT))
        .await
        .unwrap();
    let stopped = Arc::new(AtomicBool::new(false));
    let admin = Admin {
        stopped: Arc::clone(&stopped),
    };
    manager
        .start_with("admin", admin, manager.clone())
        .await
        .unwrap();
    manager.start("bystander").await.unwrap();
    let admin_ended = manager.watch("admin").await.unwrap();
    let bystander_ended = manager.watch("bystander").await.unwrap();

    let took = manager
        .call_timeout("admin", AdminMsg::ShutDown, 2 * STOP_TIMEOUT)
        .await
        .expect("the handler that called shutdown ran to its end and replied");
    assert!(
        took < STOP_TIMEOUT,
        "shutdown waited {took:?} for its own caller"
    );
    assert_eq!(bystander_ended.await, EndReason::Shutdown);
    assert_eq!(admin_ended.await, EndReason::Shutdown);
    assert!(
        stopped.load(Ordering::SeqCst),
        "the calling session stopped gracefully: its post_stop ran"
    );
    assert_eq!(manager.count(), 0);
    assert!(manager.list().is_empty());
    assert!(matches!(
        manager.start("late").await,
        Err(SessionError::ManagerShutdown)
    ));
}

#[tokio::test(start_paused = true)]
async fn shutdown_from_a_sessions_pre_start_does_not_wait_for_that_start() {
    let manager = SessionManager::spawn(config().with_stop_timeout(STOP_TIMEOUT))
        .await
        .unwrap();
    manager.start("bystander").await.unwrap();
    let bystander_ended = manager.watch("bystander").await.unwrap();

    let began = Instant::now();
    let result = manager
        .start_with("starter", ShutsDownWhileStarting, manager.clone())
        .await;
    assert!(
        began.elapsed() < STOP_TIMEOUT,
        "shutdown waited {:?} for the start it was called from",
        began.elapsed()
    );
    assert!(
        matches!(result, Err(SessionError::ManagerShutdown)),
        "{result:?}"
    );
    assert_eq!(bystander_ended.await, EndReason::Shutdown);
    assert_eq!(manager.count(), 0);
    assert_eq!(manager.stats().starting, 0);
}
