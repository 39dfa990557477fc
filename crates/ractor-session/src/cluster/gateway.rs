//! The gateway: one actor per manager and node, in the manager's process group, that takes
//! requests from the other nodes and hands sessions over when a node joins.

use std::sync::Arc;

use ractor::pg::GroupChangeMessage;
use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};

use super::serve::{self, Handlers};
use crate::manager::SessionManager;
use crate::routing::{GatewayMsg, ReleaseAnswer, Route, SCOPE};

/// The gateway actor.
#[derive(Debug)]
pub(crate) struct Gateway;

/// Its state.
pub(crate) struct GatewayState {
    pub(crate) manager: SessionManager,
    pub(crate) route: Arc<Route>,
    pub(crate) handlers: Arc<Handlers>,
}

impl std::fmt::Debug for GatewayState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayState")
            .field("route", &self.route)
            .finish_non_exhaustive()
    }
}

impl Actor for Gateway {
    type Msg = GatewayMsg;
    type State = GatewayState;
    type Arguments = GatewayState;

    async fn pre_start(
        &self,
        myself: ActorRef<GatewayMsg>,
        state: GatewayState,
    ) -> Result<GatewayState, ActorProcessingErr> {
        let group = state.route.group.clone();
        ractor::pg::monitor_scope(SCOPE.to_owned(), myself.get_cell());
        ractor::pg::join_scoped(SCOPE.to_owned(), group.clone(), vec![myself.get_cell()]);
        state.route.refresh_members();
        Ok(state)
    }

    async fn post_stop(
        &self,
        myself: ActorRef<GatewayMsg>,
        state: &mut GatewayState,
    ) -> Result<(), ActorProcessingErr> {
        ractor::pg::demonitor_scope(SCOPE.to_owned(), myself.get_id());
        ractor::pg::leave_scoped(
            SCOPE.to_owned(),
            state.route.group.clone(),
            vec![myself.get_cell()],
        );
        Ok(())
    }

    async fn handle(
        &self,
        _myself: ActorRef<GatewayMsg>,
        message: GatewayMsg,
        state: &mut GatewayState,
    ) -> Result<(), ActorProcessingErr> {
        // Each request runs on its own task: a slow session must not hold up the others.
        match message {
            GatewayMsg::Forward(bytes, reply) => {
                let (manager, handlers) = (state.manager.clone(), Arc::clone(&state.handlers));
                tokio::spawn(async move {
                    let answer = serve::serve(manager, handlers, bytes).await;
                    let _ = reply.send(crate::routing::encode(&answer));
                });
            }
            GatewayMsg::Watch(id, node, reply) => {
                let (manager, route) = (state.manager.clone(), Arc::clone(&state.route));
                tokio::spawn(async move {
                    let answer = serve::watch_for(route, &manager, &id, node).await;
                    let _ = reply.send(serde_json::to_vec(&answer).unwrap_or_default());
                });
            }
            GatewayMsg::Ended(id, reason) => state.route.remote_ended(&id, &reason),
            GatewayMsg::Published(id, text) => state.route.heard(&id, &text),
            GatewayMsg::Release(id, asking, reply) => {
                let (manager, route) = (state.manager.clone(), Arc::clone(&state.route));
                tokio::spawn(async move {
                    let answer = if manager.is_starting(&id) {
                        ReleaseAnswer::Reviving
                    } else {
                        match manager.release(&id).await {
                            Ok(true) => {
                                handed_over(1);
                                route.handed_to(&id, asking);
                                ReleaseAnswer::HandedOver
                            }
                            Ok(false) => ReleaseAnswer::Absent,
                            Err(error) => {
                                tracing::warn!(%error, "session not handed over cleanly");
                                ReleaseAnswer::Absent
                            }
                        }
                    };
                    let _ = reply.send(answer.as_str().to_owned());
                });
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        _myself: ActorRef<GatewayMsg>,
        event: SupervisionEvent,
        state: &mut GatewayState,
    ) -> Result<(), ActorProcessingErr> {
        if let SupervisionEvent::ProcessGroupChanged(change) = event {
            state.route.refresh_members();
            on_group_change(state, &change);
        }
        Ok(())
    }
}

/// A node joined or left this manager's group. When one joined, the sessions it owns now
/// are handed over: stopped here with their state written, so that it revives them from
/// the store with nothing lost.
fn on_group_change(state: &GatewayState, change: &GroupChangeMessage) {
    let GroupChangeMessage::Join(scope, group, joined) = change else {
        if let GroupChangeMessage::Leave(scope, group, left) = change
            && scope == SCOPE
            && *group == state.route.group
        {
            state.route.left(left);
        }
        return;
    };
    if scope != SCOPE
        || *group != state.route.group
        || joined.iter().all(|cell| cell.get_id().is_local())
    {
        return;
    }
    tracing::info!(group = %group, members = state.route.members().len(), "cluster node joined");
    let (manager, route) = (state.manager.clone(), Arc::clone(&state.route));
    tokio::spawn(async move {
        let mut handed = 0usize;
        for info in manager.list() {
            if route.owns(&info.id) {
                continue;
            }
            match manager.release(info.id.as_str()).await {
                Ok(true) => handed += 1,
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "session not handed over cleanly"),
            }
        }
        if handed > 0 {
            handed_over(handed);
            tracing::info!(sessions = handed, "sessions handed over to a joining node");
        }
    });
}

/// Counts sessions this node handed over to another.
fn handed_over(sessions: usize) {
    metrics::counter!(crate::metric_names::CLUSTER_HANDED_OVER)
        .increment(u64::try_from(sessions).unwrap_or(u64::MAX));
}
