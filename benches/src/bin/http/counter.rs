//! The session actor of the two actor-per-session servers (the library's and the
//! hand-written floor): a counter that increments and replies in one message, so each
//! session's read-modify-write is serialized by its actor. It is durable too (its state
//! is the count), for the library's contender with a session store.

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::BoxError;
use ractor_session::durable::DurableSession;

/// A counter per session.
#[derive(Debug)]
pub(crate) struct Counter;

/// Messages of [`Counter`].
#[derive(Debug)]
pub(crate) enum CounterMsg {
    /// Reads n, writes n + 1, replies n + 1.
    Increment(RpcReplyPort<u64>),
    /// Replies n.
    Read(RpcReplyPort<u64>),
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = u64;
    type Arguments = u64;

    async fn pre_start(&self, _: ActorRef<CounterMsg>, n: u64) -> Result<u64, ActorProcessingErr> {
        Ok(n)
    }

    async fn handle(
        &self,
        _: ActorRef<CounterMsg>,
        message: CounterMsg,
        n: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            CounterMsg::Increment(reply) => {
                *n += 1;
                let _ = reply.send(*n);
            }
            CounterMsg::Read(reply) => {
                let _ = reply.send(*n);
            }
        }
        Ok(())
    }
}

impl DurableSession for Counter {
    const TYPE_TAG: &'static str = "counter";
    type Snapshot = u64;

    fn snapshot(n: &u64) -> impl serde::Serialize {
        n
    }

    fn restore(&self, n: u64) -> Result<u64, BoxError> {
        Ok(n)
    }

    fn mutates(message: &CounterMsg) -> bool {
        matches!(message, CounterMsg::Increment(_))
    }
}
