//! Several nodes: any node serves any session, through `ractor_cluster` and a shared store
//! (feature `cluster`). The guide below is `docs/cluster.md`.
//!
#![doc = include_str!("../../docs/cluster.md")]

mod config;
mod gateway;
mod membership;
mod serve;
mod tls;

use std::sync::Arc;

use ractor::{Actor, ActorRef};
use ractor_cluster::{NodeServer, NodeServerMessage};
use tokio::task::JoinHandle;

pub use config::{ClusterConfig, ClusterError, MAX_NODE_NAME_LEN, MIN_SECRET_LEN};
pub use tls::ClusterTls;

use crate::error::SessionError;
use crate::id::SessionId;
use crate::manager::SessionManager;
use crate::remote::RemoteSession;
use crate::routing::{GatewayMsg, Route};
use crate::watch::SessionWatch;
use gateway::{Gateway, GatewayState};
use serve::Handlers;

/// How a node joins: its configuration and the session types it serves to other nodes.
///
/// # Examples
///
/// ```
/// use ractor_session::KvSession;
/// use ractor_session::cluster::{Cluster, ClusterConfig};
///
/// let config = ClusterConfig::new("node-1", "127.0.0.1:7401".parse()?, "a secret of 16+ bytes");
/// let builder = Cluster::builder(config).serve::<KvSession>();
/// # let _ = builder;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ClusterBuilder {
    config: ClusterConfig,
    handlers: Handlers,
    tls: Option<ClusterTls>,
}

impl std::fmt::Debug for ClusterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut served: Vec<_> = self.handlers.keys().collect();
        served.sort();
        f.debug_struct("ClusterBuilder")
            .field("config", &self.config)
            .field("serves", &served)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl ClusterBuilder {
    /// Serves requests for sessions of `A` to other nodes. Every node must serve the same
    /// types (and register them `with_durable`, so that they revive from the store).
    ///
    /// # Examples
    ///
    /// ```
    /// # use ractor_session::cluster::{Cluster, ClusterConfig};
    /// # let config = ClusterConfig::new("n1", "127.0.0.1:7401".parse()?, "a secret of 16+ bytes");
    /// let builder = Cluster::builder(config).serve::<ractor_session::KvSession>();
    /// assert!(format!("{builder:?}").contains("\"kv\""));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn serve<A: RemoteSession>(mut self) -> Self {
        self.handlers.insert(A::TYPE_TAG, serve::handler::<A>());
        self
    }

    /// Encrypts the connections between nodes with TLS (ractor_cluster's, through
    /// tokio-rustls). With TLS, this node connects only to its configured peers:
    /// ractor_cluster opens the connections it learns from peers without TLS, so they are
    /// not made — list every node in `peers`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use std::path::Path;
    /// # use ractor_session::cluster::{Cluster, ClusterConfig, ClusterTls};
    /// # let config = ClusterConfig::new("n1", "127.0.0.1:7401".parse()?, "a secret of 16+ bytes");
    /// let tls = ClusterTls::from_pem_files(Path::new("node.pem"), Path::new("node.key"), Path::new("ca.pem"), "node.internal")?;
    /// let builder = Cluster::builder(config).with_tls(tls);
    /// # let _ = builder;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_tls(mut self, tls: ClusterTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Starts this node's cluster server, joins `manager`'s gateway to the cluster and
    /// connects to the configured peers (now and whenever they are down). From here on the
    /// manager's [`request`](SessionManager::request)s go to each session's owner.
    ///
    /// # Errors
    ///
    /// [`ClusterError::InvalidConfig`]; [`ClusterError::NoStore`] when the manager has no
    /// store; [`ClusterError::AlreadyJoined`]; [`ClusterError::Listen`] when the server
    /// cannot listen; [`ClusterError::Gateway`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::SessionManager;
    /// use ractor_session::cluster::{Cluster, ClusterConfig, ClusterError};
    ///
    /// let manager = SessionManager::spawn(Default::default()).await?;
    /// let config = ClusterConfig::new("n1", "127.0.0.1:0".parse()?, "a secret of 16+ bytes");
    /// let refused = Cluster::builder(config).join(&manager).await;
    /// assert!(matches!(refused, Err(ClusterError::NoStore)));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn join(self, manager: &SessionManager) -> Result<Cluster, ClusterError> {
        let config = self.config;
        config.validate()?;
        if !manager.has_store() {
            return Err(ClusterError::NoStore);
        }
        let route = Arc::new(Route {
            node: config.node_name.clone(),
            group: manager.config().name.clone(),
            hop_margin: config.hop_margin,
            release_timeout: config.release_timeout,
            watchers: crate::routing::Watchers::default(),
            handed: std::sync::Mutex::default(),
            members: std::sync::RwLock::default(),
            departed: std::sync::Mutex::default(),
        });
        if manager.route().is_some() {
            return Err(ClusterError::AlreadyJoined);
        }
        // ractor_cluster opens the connections it learns from peers (transitive mode)
        // without TLS: with TLS, only the configured peers are connected.
        let (encryption, mode) = match &self.tls {
            Some(tls) => (
                Some(ractor_cluster::IncomingEncryptionMode::Tls(
                    tls.acceptor.clone(),
                )),
                ractor_cluster::node::NodeConnectionMode::Isolated,
            ),
            None => (None, ractor_cluster::node::NodeConnectionMode::Transitive),
        };
        let server = NodeServer::new(
            config.listen.port(),
            config.secret.clone(),
            config.node_name.clone(),
            config.host(),
            encryption,
            Some(mode),
        )
        .with_listen_addr(config.listen.ip());
        let (server, _) =
            Actor::spawn(None, server, ())
                .await
                .map_err(|source| ClusterError::Listen {
                    listen: config.listen,
                    source,
                })?;
        let this_node = format!("{}@{}", config.node_name, config.host());
        membership::subscribe(&server, membership::Events::new(this_node));
        let address = format!("{}:{}", config.host(), config.listen.port());
        let reconnect = membership::keep_connected(
            server.clone(),
            config.peers.clone(),
            &address,
            config.reconnect_every,
            self.tls.clone(),
        );
        // Seen by the others only once this node sees them: a node that served sessions
        // with half the members in view would revive some that another node still holds.
        membership::settle(&server, &config.peers, &address).await;
        let name = format!(
            "{}{}",
            crate::routing::name_prefix(&route.group),
            route.node
        );
        let state = GatewayState {
            manager: manager.clone(),
            route: Arc::clone(&route),
            handlers: Arc::new(self.handlers),
        };
        let gateway = match Actor::spawn(Some(name), Gateway, state).await {
            Ok((gateway, _)) => gateway,
            Err(source) => {
                reconnect.abort();
                server.stop(None);
                return Err(ClusterError::Gateway { source });
            }
        };
        if !manager.set_route(Arc::clone(&route)) {
            reconnect.abort();
            gateway.stop(None);
            server.stop(None);
            return Err(ClusterError::AlreadyJoined);
        }
        tracing::info!(node = %route.node, listen = %config.listen, peers = config.peers.len(), "joined the cluster");
        Ok(Cluster {
            inner: Arc::new(Inner {
                manager: manager.clone(),
                route,
                server,
                gateway,
                reconnect,
            }),
        })
    }
}

/// This node's membership in a cluster: see the [module docs](self).
///
/// # Examples
///
/// ```no_run
/// # async fn example(cluster: ractor_session::cluster::Cluster) {
/// println!("{} of {:?}", cluster.node_name(), cluster.members());
/// cluster.leave().await;
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Cluster {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    manager: SessionManager,
    route: Arc<Route>,
    server: ActorRef<NodeServerMessage>,
    gateway: ActorRef<GatewayMsg>,
    reconnect: JoinHandle<()>,
}

impl Cluster {
    /// How a node joins, with `config`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::cluster::{Cluster, ClusterConfig};
    /// let config = ClusterConfig::new("n1", "127.0.0.1:7401".parse()?, "a secret of 16+ bytes");
    /// let builder = Cluster::builder(config);
    /// # let _ = builder;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn builder(config: ClusterConfig) -> ClusterBuilder {
        ClusterBuilder {
            config,
            handlers: Handlers::new(),
            tls: None,
        }
    }

    /// This node's name.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn example(cluster: &ractor_session::cluster::Cluster) {
    /// assert!(!cluster.node_name().is_empty());
    /// # }
    /// ```
    #[must_use]
    pub fn node_name(&self) -> &str {
        &self.inner.route.node
    }

    /// The names of the nodes whose gateways are live now, this one included, sorted.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn example(cluster: &ractor_session::cluster::Cluster) {
    /// assert!(cluster.members().iter().any(|node| node == cluster.node_name()));
    /// # }
    /// ```
    #[must_use]
    pub fn members(&self) -> Vec<String> {
        self.inner
            .route
            .members()
            .iter()
            .map(|member| member.node.clone())
            .collect()
    }

    /// Watches the session `id` wherever it lives: on this node as
    /// [`SessionManager::watch`]; on its owner otherwise, which sends its end back. The
    /// watch resolves with [`EndReason::NodeLost`](crate::EndReason::NodeLost) when the
    /// owner goes away first, and with
    /// [`EndReason::HandedOver`](crate::EndReason::HandedOver) when the session moves to
    /// another node (a watcher then watches it again there).
    ///
    /// # Errors
    ///
    /// Those of [`SessionManager::watch`] (the session is not found, the store fails), on
    /// the owner; [`SessionError::OwnerUnreachable`]
    /// when the owner could not be asked.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn example(cluster: ractor_session::cluster::Cluster, id: ractor_session::SessionId) -> Result<(), ractor_session::SessionError> {
    /// let ended = cluster.watch(&id).await?;
    /// println!("the session ended: {}", ended.await);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn watch(&self, id: &SessionId) -> Result<SessionWatch, SessionError> {
        let manager = &self.inner.manager;
        match self.inner.route.remote_owner(id.as_str()) {
            Some(owner) => {
                let timeout = manager.config().call_timeout;
                self.inner.route.watch_remote(owner, id, timeout).await
            }
            None => manager.watch(id).await,
        }
    }

    /// Sends `text` (an event for the session `id`, e.g. a live update) to the other nodes
    /// that [`watch`](Self::watch) it, where the [`on_published`](Self::on_published)
    /// listener hears it. Call it where the session lives (in its actor).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn example(cluster: &ractor_session::cluster::Cluster, id: &ractor_session::SessionId) {
    /// cluster.publish(id, r#"{"event":"cart","items":[]}"#);
    /// # }
    /// ```
    pub fn publish(&self, id: &SessionId, text: &str) {
        self.inner.route.publish(id, text);
    }

    /// Sets what hears, on this node, the events other nodes [`publish`](Self::publish)
    /// for the sessions watched from here. One listener per cluster membership: `false`
    /// when one was set before (it stays).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn example(cluster: &ractor_session::cluster::Cluster) {
    /// cluster.on_published(|id, text| println!("{}: {text}", id.redacted()));
    /// # }
    /// ```
    pub fn on_published(
        &self,
        listener: impl Fn(&SessionId, &str) + Send + Sync + 'static,
    ) -> bool {
        self.inner.route.set_listener(Arc::new(listener))
    }

    /// Leaves the cluster: the gateway leaves its group (the other nodes take over this
    /// node's sessions at their next use) and the cluster server stops. Shut the manager
    /// down after, so that its sessions' last states are written.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn example(cluster: ractor_session::cluster::Cluster) {
    /// cluster.leave().await;
    /// # }
    /// ```
    pub async fn leave(&self) {
        self.inner.reconnect.abort();
        let _ = self.inner.gateway.stop_and_wait(None, None).await;
        let _ = self.inner.server.stop_and_wait(None, None).await;
    }
}
