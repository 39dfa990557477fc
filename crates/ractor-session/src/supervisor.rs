//! The supervisor every session actor is linked to.
//!
//! ractor's default `handle_supervisor_evt` stops the supervisor — and with it every
//! sibling — when one child stops. Sessions report their own end to the registry (see
//! `session.rs`), so this supervisor only keeps the tree alive and logs failures.

use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};

/// The supervisor takes no messages of its own.
#[derive(Debug)]
pub(crate) enum SupervisorMsg {}

#[cfg(feature = "cluster")]
impl ractor::Message for SupervisorMsg {}

#[derive(Debug)]
pub(crate) struct SessionSupervisor;

impl Actor for SessionSupervisor {
    type Msg = SupervisorMsg;
    type State = ();
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _args: (),
    ) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        _myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        _state: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        if let SupervisionEvent::ActorFailed(actor, error) = event {
            tracing::trace!(
                target: "ractor_session",
                actor = %actor.get_id(),
                %error,
                "session actor failed; removed, not restarted"
            );
        }
        Ok(())
    }
}
