//! Session actors the tests start: a counter (durable) that can be told to crash or stop,
//! and an actor whose start or stop goes wrong on purpose.

use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::BoxError;
use ractor_session::durable::DurableSession;

/// A session holding one number, started from its `Arguments`.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use ractor_session::SessionManager;
/// use ractor_session_test_support::actors::{Counter, CounterMsg};
/// use ractor_session_test_support::config::config;
///
/// let manager = SessionManager::spawn(config()).await.unwrap();
/// manager.start_with("c", Counter, 40).await.unwrap();
/// manager.cast("c", CounterMsg::Add(1)).await.unwrap();
/// assert_eq!(manager.call("c", CounterMsg::Incr).await.unwrap(), 42);
/// manager.shutdown().await;
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Counter;

/// Messages of [`Counter`].
#[derive(Debug)]
pub enum CounterMsg {
    /// Adds to the number.
    Add(u64),
    /// Adds one and replies with the new number.
    Incr(RpcReplyPort<u64>),
    /// Replies with the number.
    Get(RpcReplyPort<u64>),
    /// Panics with this text: the session ends as crashed.
    Panic(String),
    /// Fails with this error: the session ends as crashed.
    Fail(String),
    /// Stops the actor from inside: the session ends as terminated.
    Stop,
}

#[cfg(feature = "cluster")]
impl ractor::Message for CounterMsg {}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = u64;
    type Arguments = u64;

    async fn pre_start(
        &self,
        _: ActorRef<CounterMsg>,
        start: u64,
    ) -> Result<u64, ActorProcessingErr> {
        Ok(start)
    }

    async fn handle(
        &self,
        myself: ActorRef<CounterMsg>,
        message: CounterMsg,
        n: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            CounterMsg::Add(k) => *n += k,
            CounterMsg::Incr(reply) => {
                *n += 1;
                let _ = reply.send(*n);
            }
            CounterMsg::Get(reply) => {
                let _ = reply.send(*n);
            }
            CounterMsg::Panic(text) => panic!("{text}"),
            CounterMsg::Fail(text) => return Err(text.into()),
            CounterMsg::Stop => myself.stop(None),
        }
        Ok(())
    }
}

/// The counter is durable: a manager with a store keeps its number (tag `counter`).
impl DurableSession for Counter {
    const TYPE_TAG: &'static str = "counter";
    type Snapshot = u64;

    fn snapshot(n: &u64) -> impl serde::Serialize {
        *n
    }

    fn restore(&self, n: u64) -> Result<u64, BoxError> {
        Ok(n)
    }

    fn mutates(message: &CounterMsg) -> bool {
        !matches!(message, CounterMsg::Get(_))
    }
}

/// A session whose start or stop goes wrong in the way its [`Fault`] says.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use ractor_session::{SessionError, SessionManager};
/// use ractor_session_test_support::actors::{Fault, Faulty};
/// use ractor_session_test_support::config::config;
///
/// let manager = SessionManager::spawn(config()).await.unwrap();
/// let refused = manager.start_with("f", Faulty, Fault::RefuseStart("no database")).await;
/// assert!(matches!(refused, Err(SessionError::StartFailed { .. })));
/// manager.shutdown().await;
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Faulty;

/// What goes wrong with a [`Faulty`] session.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// `pre_start` fails with this error: the start fails.
    RefuseStart(&'static str),
    /// `pre_start` fails with the error this makes, of the test's own type: the start
    /// fails, and the test can look for that error among the failure's sources.
    RefuseStartWith(fn() -> ActorProcessingErr),
    /// `pre_start` panics with this text: the start fails.
    PanicInPreStart(&'static str),
    /// `post_start` panics with this text, after the start was reported successful.
    PanicAfterStart(&'static str),
    /// `pre_start` never finishes.
    NeverStart,
    /// `pre_start` takes this long (on tokio's clock).
    SlowStart(Duration),
    /// `post_stop` never finishes: stopping the session has to kill it.
    NeverStop,
}

impl Actor for Faulty {
    type Msg = ();
    type State = Fault;
    type Arguments = Fault;

    async fn pre_start(&self, _: ActorRef<()>, fault: Fault) -> Result<Fault, ActorProcessingErr> {
        match fault {
            Fault::RefuseStart(reason) => return Err(reason.into()),
            Fault::RefuseStartWith(error) => return Err(error()),
            Fault::PanicInPreStart(text) => panic!("{text}"),
            Fault::NeverStart => std::future::pending::<()>().await,
            Fault::SlowStart(time) => tokio::time::sleep(time).await,
            Fault::PanicAfterStart(_) | Fault::NeverStop => {}
        }
        Ok(fault)
    }

    async fn post_start(
        &self,
        _: ActorRef<()>,
        fault: &mut Fault,
    ) -> Result<(), ActorProcessingErr> {
        if let Fault::PanicAfterStart(text) = fault {
            panic!("{text}");
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _: ActorRef<()>,
        fault: &mut Fault,
    ) -> Result<(), ActorProcessingErr> {
        if let Fault::NeverStop = fault {
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}
