//! [`ClusterConfig`]: who this node is, where it listens, the shared secret, its peers;
//! and [`ClusterError`].

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

/// Shortest shared secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

/// Longest node name accepted, in bytes.
pub const MAX_NODE_NAME_LEN: usize = 64;

/// How one node joins a cluster: its name, where its cluster server listens, the secret
/// every node shares, and the peers it connects to.
///
/// Built with [`ClusterConfig::new`] and the `with_*` methods, or deserialized (durations
/// as `"1s"`, `"500ms"`); checked by [`validate`](Self::validate), which
/// [`join`](super::ClusterBuilder::join) calls.
///
/// # Examples
///
/// ```
/// use ractor_session::cluster::ClusterConfig;
///
/// let config = ClusterConfig::new("node-1", "127.0.0.1:7401".parse()?, "a secret of 16+ bytes")
///     .with_peer("127.0.0.1:7402")
///     .with_peer("127.0.0.1:7403");
/// config.validate()?;
/// assert!(!format!("{config:?}").contains("secret of"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ClusterConfig {
    /// This node's name, unique in the cluster: 1 to 64 bytes of `[A-Za-z0-9_.-]`. It
    /// decides which sessions the node owns, so keep it stable across restarts.
    pub node_name: String,
    /// Where this node's cluster server listens.
    pub listen: SocketAddr,
    /// The host other nodes reach this one by; the listen IP when unset (which must then
    /// not be the unspecified address).
    #[serde(default)]
    pub advertise_host: Option<String>,
    /// The secret every node of the cluster shares (ractor_cluster's node cookie): at least
    /// 16 bytes. Never logged.
    pub secret: String,
    /// Peers to connect to, as `host:port` (their cluster servers). Others are found
    /// through them: connections are transitive.
    #[serde(default)]
    pub peers: Vec<String>,
    /// How often peers that are not connected are tried again.
    #[serde(default = "defaults::reconnect_every", with = "humantime_serde")]
    pub reconnect_every: Duration,
    /// How much longer than the call timeout a forwarded request waits for the owner's
    /// answer (the owner's own timeout answers first).
    #[serde(default = "defaults::hop_margin", with = "humantime_serde")]
    pub hop_margin: Duration,
    /// How long the new owner of a session waits for the node that may still hold it to
    /// hand it over, before reviving it anyway (fencing then keeps the other from writing).
    #[serde(default = "defaults::release_timeout", with = "humantime_serde")]
    pub release_timeout: Duration,
}

mod defaults {
    use std::time::Duration;

    pub(super) fn reconnect_every() -> Duration {
        Duration::from_secs(1)
    }

    pub(super) fn hop_margin() -> Duration {
        Duration::from_millis(500)
    }

    pub(super) fn release_timeout() -> Duration {
        Duration::from_secs(2)
    }
}

impl ClusterConfig {
    /// A node named `node_name` listening on `listen`, sharing `secret`, with no peers yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::cluster::ClusterConfig;
    ///
    /// let config = ClusterConfig::new("n1", "127.0.0.1:7401".parse()?, "0123456789abcdef");
    /// assert_eq!(config.node_name, "n1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        node_name: impl Into<String>,
        listen: SocketAddr,
        secret: impl Into<String>,
    ) -> Self {
        Self {
            node_name: node_name.into(),
            listen,
            advertise_host: None,
            secret: secret.into(),
            peers: Vec::new(),
            reconnect_every: defaults::reconnect_every(),
            hop_margin: defaults::hop_margin(),
            release_timeout: defaults::release_timeout(),
        }
    }

    /// Adds a peer to connect to (`host:port`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use ractor_session::cluster::ClusterConfig;
    /// let config = ClusterConfig::new("n1", "127.0.0.1:7401".parse()?, "0123456789abcdef")
    ///     .with_peer("127.0.0.1:7402");
    /// assert_eq!(config.peers, ["127.0.0.1:7402"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_peer(mut self, peer: impl Into<String>) -> Self {
        self.peers.push(peer.into());
        self
    }

    /// Sets the host other nodes reach this one by.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ractor_session::cluster::ClusterConfig;
    /// let config = ClusterConfig::new("n1", "0.0.0.0:7401".parse()?, "0123456789abcdef")
    ///     .with_advertise_host("node-1.internal");
    /// assert!(config.validate().is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_advertise_host(mut self, host: impl Into<String>) -> Self {
        self.advertise_host = Some(host.into());
        self
    }

    /// The host other nodes reach this one by.
    pub(crate) fn host(&self) -> String {
        self.advertise_host
            .clone()
            .unwrap_or_else(|| self.listen.ip().to_string())
    }

    /// Checks every field.
    ///
    /// # Errors
    ///
    /// [`ClusterError::InvalidConfig`] naming the field and what is wrong with it.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::cluster::{ClusterConfig, ClusterError};
    ///
    /// let short = ClusterConfig::new("n1", "127.0.0.1:7401".parse()?, "too short");
    /// assert!(matches!(short.validate(), Err(ClusterError::InvalidConfig { field: "secret", .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<(), ClusterError> {
        let invalid = |field, reason: String| Err(ClusterError::InvalidConfig { field, reason });
        let name = &self.node_name;
        if name.is_empty() || name.len() > MAX_NODE_NAME_LEN {
            return invalid(
                "node_name",
                format!("must be 1 to {MAX_NODE_NAME_LEN} bytes, is {}", name.len()),
            );
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            return invalid(
                "node_name",
                format!("may hold only [A-Za-z0-9_.-], not {bad:?}"),
            );
        }
        if self.secret.len() < MIN_SECRET_LEN {
            return invalid("secret", format!("must be at least {MIN_SECRET_LEN} bytes"));
        }
        match &self.advertise_host {
            Some(host) if host.trim().is_empty() || host.contains(char::is_whitespace) => {
                return invalid("advertise_host", "must be a host name or address".into());
            }
            None if self.listen.ip().is_unspecified() => {
                return invalid(
                    "listen",
                    "is an unspecified address that peers cannot reach: set advertise_host".into(),
                );
            }
            _ => {}
        }
        if let Some(peer) = self.peers.iter().find(|peer| !is_host_port(peer)) {
            return invalid("peers", format!("{peer:?} is not host:port"));
        }
        for (field, value) in [
            ("reconnect_every", self.reconnect_every),
            ("release_timeout", self.release_timeout),
        ] {
            if value.is_zero() {
                return invalid(field, "must be more than zero".into());
            }
        }
        Ok(())
    }
}

fn is_host_port(peer: &str) -> bool {
    match peer.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty()
                && !host.contains(char::is_whitespace)
                && port.parse::<u16>().is_ok_and(|p| p > 0)
        }
        None => false,
    }
}

impl fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("node_name", &self.node_name)
            .field("listen", &self.listen)
            .field("advertise_host", &self.advertise_host)
            .field("secret", &"<redacted>")
            .field("peers", &self.peers)
            .field("reconnect_every", &self.reconnect_every)
            .field("hop_margin", &self.hop_margin)
            .field("release_timeout", &self.release_timeout)
            .finish()
    }
}

/// Why a node could not join a cluster.
///
/// # Examples
///
/// ```
/// use ractor_session::cluster::ClusterError;
///
/// let error = ClusterError::InvalidConfig { field: "secret", reason: "must be at least 16 bytes".into() };
/// assert_eq!(error.to_string(), "Invalid cluster configuration: `secret` must be at least 16 bytes");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// A field of [`ClusterConfig`] is wrong.
    #[error("Invalid cluster configuration: `{field}` {reason}")]
    InvalidConfig {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The cluster server could not start (e.g. its port is taken).
    #[error("The cluster server could not start on {listen}: {source}")]
    Listen {
        /// Where it was to listen.
        listen: SocketAddr,
        /// ractor's error.
        #[source]
        source: ractor::SpawnErr,
    },
    /// The manager's gateway, which other nodes send requests to, could not start.
    #[error("The cluster gateway could not start: {source}")]
    Gateway {
        /// ractor's error.
        #[source]
        source: ractor::SpawnErr,
    },
    /// The manager already joined a cluster.
    #[error("This session manager already joined a cluster")]
    AlreadyJoined,
    /// The TLS configuration could not be built (a file, a certificate, a key, the
    /// server name).
    #[error("Cluster TLS: {reason}")]
    Tls {
        /// What went wrong.
        reason: String,
    },
    /// Sessions that move between nodes live in a shared store: the manager has none.
    #[error("A cluster needs a session store shared by every node: build the manager `with_store`")]
    NoStore,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ClusterConfig {
        ClusterConfig::new("n1", "127.0.0.1:7401".parse().unwrap(), "0123456789abcdef")
    }

    fn field_of(config: &ClusterConfig) -> Option<&'static str> {
        match config.validate() {
            Err(ClusterError::InvalidConfig { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(field_of(&config()), None);
        let mut c = config();
        c.node_name = String::new();
        assert_eq!(field_of(&c), Some("node_name"));
        c.node_name = "a b".into();
        assert_eq!(field_of(&c), Some("node_name"));
        c.node_name = "x".repeat(MAX_NODE_NAME_LEN + 1);
        assert_eq!(field_of(&c), Some("node_name"));
        let mut c = config();
        c.secret = "short".into();
        assert_eq!(field_of(&c), Some("secret"));
        let mut c = config();
        c.listen = "0.0.0.0:7401".parse().unwrap();
        assert_eq!(field_of(&c), Some("listen"));
        assert_eq!(
            field_of(&c.clone().with_advertise_host(" ")),
            Some("advertise_host")
        );
        assert_eq!(field_of(&c.with_advertise_host("node-1")), None);
        for peer in ["nohost", ":7402", "h:0", "h:99999", "h h:1"] {
            assert_eq!(field_of(&config().with_peer(peer)), Some("peers"), "{peer}");
        }
        assert_eq!(field_of(&config().with_peer("[::1]:7402")), None);
        let mut c = config();
        c.reconnect_every = Duration::ZERO;
        assert_eq!(field_of(&c), Some("reconnect_every"));
    }

    #[test]
    fn the_secret_never_shows() {
        let shown = format!("{:?}", config());
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }

    #[test]
    fn it_reads_from_json_with_defaults_and_refuses_unknown_fields() {
        let c: ClusterConfig = serde_json::from_str(
            r#"{"node_name":"n1","listen":"127.0.0.1:7401","secret":"0123456789abcdef","reconnect_every":"250ms"}"#,
        )
        .unwrap();
        assert_eq!(c.reconnect_every, Duration::from_millis(250));
        assert_eq!(c.release_timeout, defaults::release_timeout());
        assert!(serde_json::from_str::<ClusterConfig>(
            r#"{"node_name":"n1","listen":"127.0.0.1:7401","secret":"0123456789abcdef","typo":1}"#
        )
        .is_err());
    }
}
