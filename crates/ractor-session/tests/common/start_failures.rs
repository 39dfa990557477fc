//! Sessions whose start fails: `pre_start` returns an error, or panics.

use ractor::{Actor, ActorProcessingErr, ActorRef};

/// A session whose `pre_start` returns the error its argument makes.
pub(crate) struct FailsToStart;

impl Actor for FailsToStart {
    type Msg = ();
    type State = ();
    type Arguments = fn() -> ActorProcessingErr;

    async fn pre_start(
        &self,
        _: ActorRef<()>,
        error: fn() -> ActorProcessingErr,
    ) -> Result<(), ActorProcessingErr> {
        Err(error())
    }
}

/// A session whose `pre_start` panics with its argument as the message.
pub(crate) struct PanicsInPreStart;

impl Actor for PanicsInPreStart {
    type Msg = ();
    type State = ();
    type Arguments = &'static str;

    async fn pre_start(
        &self,
        _: ActorRef<()>,
        message: &'static str,
    ) -> Result<(), ActorProcessingErr> {
        panic!("{message}")
    }
}
