//! [`ClusterTls`]: TLS on the connections between nodes, as ractor_cluster takes it (a
//! tokio-rustls acceptor for its server, a connector and server name for its clients).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::ClusterError;

/// TLS for the connections between nodes: how this node accepts them, how it opens them,
/// and the name peers' certificates carry.
///
/// With TLS, a node connects only to its configured peers (ractor_cluster opens the
/// connections it learns from peers without TLS): list every node in `peers`.
///
/// # Examples
///
/// ```no_run
/// use std::path::Path;
/// use ractor_session::cluster::{Cluster, ClusterConfig, ClusterTls};
///
/// // Mutual TLS: every node's certificate (for `node.cluster.internal`) signed by one CA.
/// let tls = ClusterTls::from_pem_files(
///     Path::new("node.pem"),
///     Path::new("node.key"),
///     Path::new("ca.pem"),
///     "node.cluster.internal",
/// )?;
/// let config = ClusterConfig::new("node-1", "10.0.0.1:7401".parse()?, "a secret of 16+ bytes");
/// let builder = Cluster::builder(config).with_tls(tls);
/// # let _ = builder;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ClusterTls {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) connector: TlsConnector,
    pub(crate) server_name: ServerName<'static>,
}

impl fmt::Debug for ClusterTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterTls")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl ClusterTls {
    /// TLS from rustls configurations of your own: `acceptor` for connections to this
    /// node, `connector` for connections it opens, and `server_name`, the name its peers'
    /// certificates are checked against.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn example(acceptor: tokio_rustls::TlsAcceptor, connector: tokio_rustls::TlsConnector) -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::cluster::ClusterTls;
    /// let name = "node.cluster.internal".try_into()?;
    /// let tls = ClusterTls::new(acceptor, connector, name);
    /// # let _ = tls;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn new(
        acceptor: TlsAcceptor,
        connector: TlsConnector,
        server_name: ServerName<'static>,
    ) -> Self {
        Self {
            acceptor,
            connector,
            server_name,
        }
    }

    /// Mutual TLS from PEM files: this node's certificate chain and private key, and the
    /// certificate authority that signed every node's certificate. Each side checks the
    /// other's certificate against the authority; a connecting node checks that the
    /// certificate is for `server_name`.
    ///
    /// # Errors
    ///
    /// [`ClusterError::Tls`] when a file cannot be read or holds no certificate or key,
    /// or the configuration is refused by rustls.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::path::Path;
    /// use ractor_session::cluster::ClusterTls;
    /// let tls = ClusterTls::from_pem_files(
    ///     Path::new("node.pem"),
    ///     Path::new("node.key"),
    ///     Path::new("ca.pem"),
    ///     "node.cluster.internal",
    /// )?;
    /// # let _ = tls;
    /// # Ok::<(), ractor_session::cluster::ClusterError>(())
    /// ```
    pub fn from_pem_files(
        cert_chain: &Path,
        key: &Path,
        ca: &Path,
        server_name: &str,
    ) -> Result<Self, ClusterError> {
        let tls = |reason: String| ClusterError::Tls { reason };
        let certs = |path: &Path| -> Result<Vec<CertificateDer<'static>>, ClusterError> {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|error| tls(format!("{}: {error}", path.display())))?;
            if certs.is_empty() {
                return Err(tls(format!("{}: no certificate", path.display())));
            }
            Ok(certs)
        };
        let chain = certs(cert_chain)?;
        let mut roots = RootCertStore::empty();
        for cert in certs(ca)? {
            roots
                .add(cert)
                .map_err(|error| tls(format!("{}: {error}", ca.display())))?;
        }
        let roots = Arc::new(roots);
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|error| tls(format!("{}: {error}", key.display())))?;
        let name = ServerName::try_from(server_name.to_owned())
            .map_err(|error| tls(format!("server name {server_name:?}: {error}")))?;
        let verifier = WebPkiClientVerifier::builder(Arc::clone(&roots))
            .build()
            .map_err(|error| tls(error.to_string()))?;
        let server = ServerConfig::builder()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain.clone(), key.clone_key())
            .map_err(|error| tls(error.to_string()))?;
        let client = ClientConfig::builder()
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(|error| tls(error.to_string()))?;
        Ok(Self::new(
            TlsAcceptor::from(Arc::new(server)),
            TlsConnector::from(Arc::new(client)),
            name,
        ))
    }
}
