//! Overdue calls are failed by the manager's expiry task, not by a timer per call: a call
//! fails no earlier than its timeout and at most one tick (a thousandth of the configured
//! call timeout) later; a call whose session stops fails at once; and no call, answered,
//! timed out or abandoned by its caller, leaves its deadline behind.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::{KvMsg, SessionError, SessionManager};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;
use tokio::time::Instant;

/// Keeps every reply port it is sent and never answers.
struct Silent;

/// A call to [`Silent`].
struct Hold(RpcReplyPort<()>);

#[cfg(feature = "cluster")]
impl ractor::Message for Hold {}

impl Actor for Silent {
    type Msg = Hold;
    type State = Vec<RpcReplyPort<()>>;
    type Arguments = ();

    async fn pre_start(
        &self,
        _: ActorRef<Self::Msg>,
        (): (),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(Vec::new())
    }

    async fn handle(
        &self,
        _: ActorRef<Self::Msg>,
        Hold(reply): Hold,
        held: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        held.push(reply);
        Ok(())
    }
}

/// Hands every reply port it is sent to whoever holds its list, which outlives it: a
/// call to it can only end by its timeout or by the actor's stop, never by its port.
struct Hoarder(Arc<Mutex<Vec<RpcReplyPort<()>>>>);

impl Actor for Hoarder {
    type Msg = Hold;
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<Self::Msg>, (): ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        _: ActorRef<Self::Msg>,
        Hold(reply): Hold,
        (): &mut (),
    ) -> Result<(), ActorProcessingErr> {
        self.0.lock().unwrap().push(reply);
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_call_fails_within_one_tick_after_its_timeout() {
    // The default call timeout, 15 s: a tick of 15 ms.
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start_with("silent", Silent, ()).await.unwrap();
    for timeout in [Duration::from_millis(100), Duration::from_secs(15)] {
        let began = Instant::now();
        let result = manager.call_timeout("silent", Hold, timeout).await;
        let took = began.elapsed();
        assert!(
            matches!(result, Err(SessionError::Timeout(d)) if d == timeout),
            "{result:?}"
        );
        assert!(took >= timeout, "failed early: {took:?} < {timeout:?}");
        assert!(
            took <= timeout + Duration::from_millis(15),
            "more than a tick late: {took:?} for {timeout:?}"
        );
    }
    assert!(manager.is_started("silent"), "a timeout leaves the session");
    assert_eq!(manager.pending_call_deadlines(), 0);
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_call_whose_session_stops_fails_at_once() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start_with("silent", Silent, ()).await.unwrap();
    let began = Instant::now();
    let call = tokio::spawn({
        let manager = manager.clone();
        async move { manager.call("silent", Hold).await }
    });
    eventually("the call waits", || async {
        manager.pending_call_deadlines() == 1
    })
    .await;
    manager.terminate("silent").await.unwrap();
    let result = call.await.unwrap();
    assert!(
        matches!(result, Err(SessionError::CallFailed { .. })),
        "{result:?}"
    );
    assert!(
        began.elapsed() < Duration::from_secs(15),
        "not at the timeout"
    );
    assert_eq!(manager.pending_call_deadlines(), 0);
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_call_fails_at_once_when_its_session_stops_even_if_its_reply_port_lives_on() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let ports = Arc::new(Mutex::new(Vec::new()));
    let hoarder = Hoarder(Arc::clone(&ports));
    manager.start_with("hoarder", hoarder, ()).await.unwrap();
    for stop in ["terminate", "kill"] {
        if stop == "kill" {
            manager
                .start_with("hoarder", Hoarder(Arc::clone(&ports)), ())
                .await
                .unwrap();
        }
        let began = Instant::now();
        let call = tokio::spawn({
            let manager = manager.clone();
            async move { manager.call("hoarder", Hold).await }
        });
        eventually("the actor holds the call's port", || async {
            !ports.lock().unwrap().is_empty()
        })
        .await;
        match stop {
            "terminate" => manager.terminate("hoarder").await.unwrap(),
            _ => manager
                .session("hoarder")
                .unwrap()
                .actor::<Hold>()
                .unwrap()
                .kill(),
        }
        let result = call.await.unwrap();
        assert!(
            matches!(result, Err(SessionError::CallFailed { .. })),
            "{stop}: {result:?}"
        );
        assert!(
            began.elapsed() < Duration::from_secs(15),
            "{stop}: failed at the timeout, not at the stop"
        );
        assert_eq!(ports.lock().unwrap().len(), 1, "the port lives on");
        ports.lock().unwrap().clear();
        assert_eq!(manager.pending_call_deadlines(), 0);
    }
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn answered_timed_out_and_abandoned_calls_leave_no_deadline_behind() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start("kv").await.unwrap();
    manager.start_with("silent", Silent, ()).await.unwrap();

    let kv = manager.session("kv").unwrap();
    for _ in 0..1_000 {
        kv.call(KvMsg::Ping).await.unwrap();
    }
    assert_eq!(manager.pending_call_deadlines(), 0, "answered calls");

    let timed_out = (0..100).map(|_| {
        let manager = manager.clone();
        tokio::spawn(async move {
            manager
                .call_timeout("silent", Hold, Duration::from_millis(50))
                .await
        })
    });
    for call in timed_out.collect::<Vec<_>>() {
        assert!(matches!(call.await.unwrap(), Err(SessionError::Timeout(_))));
    }
    assert_eq!(manager.pending_call_deadlines(), 0, "timed-out calls");

    let abandoned: Vec<_> = (0..100)
        .map(|_| {
            let manager = manager.clone();
            tokio::spawn(async move { manager.call("silent", Hold).await })
        })
        .collect();
    eventually("every abandoned call waits", || async {
        manager.pending_call_deadlines() == 100
    })
    .await;
    for call in abandoned {
        call.abort();
        assert!(call.await.unwrap_err().is_cancelled());
    }
    assert_eq!(manager.pending_call_deadlines(), 0, "abandoned calls");
    manager.shutdown().await;
}
