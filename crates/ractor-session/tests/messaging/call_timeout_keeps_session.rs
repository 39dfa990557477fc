//! A call that times out reports `Timeout(d)`; the session stays alive and answers the next
//! call (not with the late reply of the one that timed out).

use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::{SessionError, SessionManager};
use ractor_session_test_support::config::config;

struct Sleepy;

enum SleepyMsg {
    Slow(Duration, RpcReplyPort<&'static str>),
    Fast(RpcReplyPort<&'static str>),
}

#[cfg(feature = "cluster")]
impl ractor::Message for SleepyMsg {}

impl Actor for Sleepy {
    type Msg = SleepyMsg;
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<SleepyMsg>, (): ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        _: ActorRef<SleepyMsg>,
        message: SleepyMsg,
        (): &mut (),
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SleepyMsg::Slow(delay, reply) => {
                tokio::time::sleep(delay).await;
                // The caller gave up long ago: its reply port is closed, and that is fine.
                let _ = reply.send("slow");
            }
            SleepyMsg::Fast(reply) => {
                let _ = reply.send("fast");
            }
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_call_leaves_the_session_serving() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start_with("sleepy", Sleepy, ()).await.unwrap();

    let slow = |reply| SleepyMsg::Slow(Duration::from_millis(200), reply);
    match manager
        .call_timeout("sleepy", slow, Duration::from_millis(50))
        .await
    {
        Err(err @ SessionError::Timeout(_)) => {
            assert!(matches!(err, SessionError::Timeout(d) if d == Duration::from_millis(50)));
            assert_eq!(err.to_string(), "Operation timed out after 50ms");
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(manager.is_started("sleepy"));
    assert_eq!(
        manager.call("sleepy", SleepyMsg::Fast).await.unwrap(),
        "fast"
    );
    assert_eq!(manager.count(), 1);
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn call_uses_the_configured_timeout() {
    let manager = SessionManager::spawn(config().with_call_timeout(Duration::from_millis(30)))
        .await
        .unwrap();
    manager.start_with("sleepy", Sleepy, ()).await.unwrap();
    let slow = |reply| SleepyMsg::Slow(Duration::from_secs(60), reply);
    assert!(matches!(
        manager.call("sleepy", slow).await,
        Err(SessionError::Timeout(d)) if d == Duration::from_millis(30)
    ));
    assert!(manager.is_started("sleepy"));
    assert_eq!(
        manager
            .call_timeout("sleepy", SleepyMsg::Fast, Duration::from_secs(120))
            .await
            .unwrap(),
        "fast"
    );
    manager.shutdown().await;
}
