//! Node connections: reconnecting configured peers that are down, and telling refused
//! connections (a wrong shared secret) apart in the log.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ractor::{ActorId, ActorRef};
use ractor_cluster::node::NodeServerSessionInformation;
use ractor_cluster::{NodeEventSubscription, NodeServerMessage};
use tokio::task::JoinHandle;

/// How long after a connection closed before passing the handshake it is judged: when
/// two nodes connect to each other at once, ractor_cluster closes one of the two
/// connections (also before it authenticates) and the other authenticates within this.
const REFUSAL_GRACE: Duration = Duration::from_secs(1);

/// What is known of the node connections, from ractor_cluster's node events.
#[derive(Debug, Default)]
struct Connections {
    /// Connections that passed the shared-secret handshake, with their peer's name.
    authenticated: HashMap<ActorId, String>,
    /// Peers whose refusal was logged: once until they next connect (they are retried
    /// every `reconnect_every`, which must not fill the log).
    refusal_logged: HashSet<String>,
}

/// Receives ractor_cluster's node events.
#[derive(Debug, Clone)]
pub(crate) struct Events {
    connections: Arc<Mutex<Connections>>,
    /// This node's name as ractor_cluster gives it to peers (`name@host`).
    this_node: String,
}

impl Events {
    /// The events of the node that ractor_cluster calls `this_node`.
    pub(crate) fn new(this_node: String) -> Self {
        Self {
            connections: Arc::default(),
            this_node,
        }
    }

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
        let peer = peer_name(&ses);
        tracing::info!(peer = %ses.peer_addr, node = %peer, "cluster peer connected");
        let mut connections = self.lock();
        connections.refusal_logged.remove(&peer);
        connections.authenticated.insert(ses.actor.get_id(), peer);
    }

    fn node_session_disconnected(&self, ses: NodeServerSessionInformation) {
        let peer = peer_name(&ses);
        if self
            .lock()
            .authenticated
            .remove(&ses.actor.get_id())
            .is_some()
        {
            tracing::warn!(peer = %ses.peer_addr, node = %peer, "cluster peer disconnected");
            return;
        }
        if peer == self.this_node {
            tracing::debug!("cluster connection to this node itself closed");
            return;
        }
        // ractor_cluster closes a connection that fails the challenge-response on the
        // node cookie without saying why. The only other way to end here is a duplicate
        // connection closed in favour of another one, which then authenticates: judge
        // once that had time to happen.
        let events = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(REFUSAL_GRACE).await;
            let first = {
                let mut connections = events.lock();
                let connected = connections.authenticated.values().any(|name| *name == peer);
                !connected && connections.refusal_logged.insert(peer.clone())
            };
            if first {
                tracing::warn!(
                    peer = %ses.peer_addr,
                    node = %peer,
                    "cluster connection refused: the peer did not pass the shared-secret \
                     handshake (is its secret the same as this node's? is TLS on at one end \
                     only?); logged once until it connects"
                );
            }
        });
    }
}

/// Subscribes `events` to `server`'s node events.
pub(crate) fn subscribe(server: &ActorRef<NodeServerMessage>, events: Events) {
    let _ = server.cast(NodeServerMessage::SubscribeToEvents {
        id: "ractor-session".to_owned(),
        subscription: Box::new(events),
    });
}

/// Connects to each configured peer that has no live connection, now and every `every`;
/// `this_node` (`host:port`, as peers reach this node) is skipped if listed.
pub(crate) fn keep_connected(
    server: ActorRef<NodeServerMessage>,
    mut peers: Vec<String>,
    this_node: &str,
    every: Duration,
    tls: Option<super::ClusterTls>,
) -> JoinHandle<()> {
    peers.retain(|peer| peer != this_node);
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
                let connected = match &tls {
                    Some(tls) => {
                        ractor_cluster::client_connect_enc(
                            &server,
                            peer.as_str(),
                            tls.connector.clone(),
                            tls.server_name.clone(),
                        )
                        .await
                    }
                    None => ractor_cluster::client_connect(&server, peer.as_str()).await,
                };
                if let Err(error) = connected {
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

/// How long the node's connections must stay the same before it counts them as settled.
const SETTLE_QUIET: Duration = Duration::from_millis(300);

/// The longest `settle` waits for configured peers that do not answer.
const SETTLE_LIMIT: Duration = Duration::from_secs(2);

/// Waits until this node is connected to every configured peer (other than itself) and
/// its connections — with the nodes those peers introduced — have not changed for
/// `SETTLE_QUIET`; at most `SETTLE_LIMIT` (peers that are down are connected later).
pub(crate) async fn settle(
    server: &ActorRef<NodeServerMessage>,
    peers: &[String],
    this_node: &str,
) {
    let wanted: HashSet<&str> = peers
        .iter()
        .map(String::as_str)
        .filter(|peer| *peer != this_node)
        .collect();
    let limit = tokio::time::Instant::now() + SETTLE_LIMIT;
    let mut seen = HashSet::new();
    let mut quiet_since = tokio::time::Instant::now();
    while tokio::time::Instant::now() < limit {
        let Ok(sessions) = ractor::call!(server, NodeServerMessage::GetSessions) else {
            return;
        };
        let connected = connected_to(&sessions);
        if connected != seen {
            seen = connected;
            quiet_since = tokio::time::Instant::now();
        }
        let all_there = wanted.iter().all(|peer| seen.contains(*peer));
        if all_there && quiet_since.elapsed() >= SETTLE_QUIET {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
