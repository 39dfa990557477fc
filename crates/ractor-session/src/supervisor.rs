//! The supervisor every session actor is linked to.
//!
//! ractor's default `handle_supervisor_evt` stops the supervisor — and with it every
//! sibling — when one child stops. Sessions report their own end to the registry (see
//! `session.rs`), so this supervisor keeps the tree alive, logs failures, and fails the
//! calls still waiting on an actor that stopped (see `call_deadlines`).

use std::sync::{Arc, OnceLock, Weak};

use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};

use crate::shared::Shared;

/// The manager's shared state, set once it exists (the supervisor starts before it).
pub(crate) type SupervisorLink = Arc<OnceLock<Weak<Shared>>>;

/// The supervisor takes no messages of its own.
#[derive(Debug)]
pub(crate) enum SupervisorMsg {}

#[cfg(feature = "cluster")]
impl ractor::Message for SupervisorMsg {}

#[derive(Debug)]
pub(crate) struct SessionSupervisor {
    pub(crate) shared: SupervisorLink,
}

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
        let stopped = match &event {
            SupervisionEvent::ActorFailed(actor, error) => {
                tracing::trace!(
                    target: "ractor_session",
                    actor = %actor.get_id(),
                    %error,
                    "session actor failed; removed, not restarted"
                );
                actor
            }
            SupervisionEvent::ActorTerminated(actor, ..) => actor,
            _ => return Ok(()),
        };
        // Sent after ractor marked the actor `Stopping` (see `CallDeadlines::until`).
        if let Some(shared) = self.shared.get().and_then(Weak::upgrade) {
            shared.calls.actor_stopped(stopped.get_id());
        }
        Ok(())
    }
}
