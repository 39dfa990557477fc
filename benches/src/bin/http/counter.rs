//! The session actor of the two actor-per-session servers (the library's and the
//! hand-written floor): a counter that increments and replies in one message, so each
//! session's read-modify-write is serialized by its actor.

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

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
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<CounterMsg>, (): ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
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
