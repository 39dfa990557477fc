//! Node connections: reconnecting configured peers that are down, and telling refused
//! connections (a wrong shared secret) apart in the log.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ractor::{ActorId, ActorRef};
use ractor_cluster::node::NodeServerSessionInformation;
use ractor_cluster::{NodeEventSubscription, NodeServerMessage};
use tokio::task::JoinHandle;

/// What is known of the node connections, from ractor_cluster's node events.
#[derive(Debug, Default)]
struct Connections {
    /// Connections that passed the shared-secret handshake.
    authenticated: HashSet<ActorId>,
}

/// Receives ractor_cluster's node events.
#[derive(Debug, Clone, Default)]
pub(crate) struct Events {
    connections: Arc<Mutex<Connections>>,
}

impl Events {
    fn lock(&self) -> std::sync::MutexGuard<'_, Connections> {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn peer_name(ses: &NodeServerSessionInformation) -> String {
    ses.peer_name
        .as_ref()
        .map_or_else(|| "unknown".to_owned(), |name| name.name.clone())
}

impl NodeEventSubscription for Events {
    fn node_session_opened(&self, ses: NodeServerSessionInformation) {
        tracing::debug!(peer = %ses.peer_addr, incoming = ses.is_server, "cluster connection opened");
    }

    fn node_session_authenticated(&self, ses: NodeServerSessionInformation) {
        self.lock().authenticated.insert(ses.actor.get_id());
        tracing::info!(peer = %ses.peer_addr, node = %peer_name(&ses), "cluster peer connected");
    }

    fn node_session_disconnected(&self, ses: NodeServerSessionInformation) {
        let was_authenticated = self.lock().authenticated.remove(&ses.actor.get_id());
        if was_authenticated {
            tracing::warn!(peer = %ses.peer_addr, node = %peer_name(&ses), "cluster peer disconnected");
        } else {
            // ractor_cluster closes a connection that fails the challenge–response on
            // the node cookie without saying why; a duplicate connection closed in favour
            // of another is the only other way to end here, and it is logged at debug.
            tracing::warn!(
                peer = %ses.peer_addr,
                node = %peer_name(&ses),
                "cluster connection refused: the peer did not pass the shared-secret \
                 handshake (is its secret the same as this node's?)"
            );
        }
    }
}

/// Subscribes `events` to `server`'s node events.
pub(crate) fn subscribe(server: &ActorRef<NodeServerMessage>, events: Events) {
    let _ = server.cast(NodeServerMessage::SubscribeToEvents {
        id: "ractor-session".to_owned(),
        subscription: Box::new(events),
    });
}

/// Connects to each configured peer that has no live connection, now and every `every`.
pub(crate) fn keep_connected(
    server: ActorRef<NodeServerMessage>,
    peers: Vec<String>,
    every: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Ok(sessions) = ractor::call!(server, NodeServerMessage::GetSessions) else {
                return; // the node server stopped: the cluster was left
            };
            let connected = connected_to(&sessions);
            for peer in peers
                .iter()
                .filter(|peer| !connected.contains(peer.as_str()))
            {
                if let Err(error) = ractor_cluster::client_connect(&server, peer.as_str()).await {
                    tracing::debug!(%peer, %error, "cluster peer not reachable; trying again");
                }
            }
        }
    })
}

/// The addresses (as peers advertise them, `host:port`) of the nodes connected now.
fn connected_to(
    sessions: &HashMap<ractor_cluster::NodeId, NodeServerSessionInformation>,
) -> HashSet<String> {
    sessions
        .values()
        .filter_map(|ses| ses.peer_name.as_ref())
        .map(|name| name.connection_string.clone())
        .collect()
}
