//! [`RemoteSession`]: a session type whose requests can travel, and
//! [`SessionManager::request`], which sends one to wherever the session lives.
//!
//! A session's own messages cannot cross a process boundary: they carry reply ports and,
//! often, closures. A session type that wants to be reached from other nodes names a
//! serde request and reply type and how a request becomes one of its messages. On one
//! node, [`request`](SessionManager::request) is a plain call; with the `cluster` feature
//! and a joined `Cluster`, a request for a session owned by
//! another node is serialized and handled there.

use std::time::Duration;

use ractor::RpcReplyPort;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::durable::DurableSession;
use crate::error::SessionError;
use crate::id::SessionId;
use crate::kv::{KvError, KvMsg, KvRequest, KvSession};
use crate::manager::SessionManager;

/// A session type reachable by serialized requests: from any node of a cluster, or through
/// [`SessionManager::request`] on one node.
///
/// It is durable too: in a cluster a session moves between nodes through the shared store.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::{KvRequest, KvSession};
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// manager.start("s1").await?;
/// let put = KvRequest::Put { key: "a".into(), value: 1.into() };
/// manager.request::<KvSession>("s1", put).await??;
/// let got = manager.request::<KvSession>("s1", KvRequest::Get { key: "a".into() }).await??;
/// assert_eq!(got, 1);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub trait RemoteSession: DurableSession {
    /// What a caller asks.
    type Request: Serialize + DeserializeOwned + Send + 'static;
    /// What the session answers.
    type Reply: Serialize + DeserializeOwned + Send + 'static;

    /// The session's message for `request`, answering on `reply`.
    fn request(request: Self::Request, reply: RpcReplyPort<Self::Reply>) -> Self::Msg;
}

impl SessionManager {
    /// Sends `request` to the session `id` and waits for its reply, within the manager's
    /// `call_timeout`: a call wherever the session lives. On one node it is
    /// [`call`](Self::call) with `A`'s message for the request. In a
    /// cluster (feature `cluster`), a session owned by another node is asked there (the
    /// request and reply serialized), and one this node owns is first released by the node
    /// that may still hold it.
    ///
    /// # Errors
    ///
    /// Those of [`call`](Self::call); in a cluster also
    /// [`SessionError::OwnerUnreachable`] when the owner went away before replying and
    /// [`SessionError::OwnerFailed`] for a failure on the owner with no variant of its own.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{KvRequest, KvSession};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let by = manager.request::<KvSession>("s1", KvRequest::Increment { key: "n".into(), by: 2 });
    /// assert_eq!(by.await??, 2);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn request<A: RemoteSession>(
        &self,
        id: impl AsRef<str>,
        request: A::Request,
    ) -> Result<A::Reply, SessionError> {
        let timeout = self.config().call_timeout;
        #[cfg(feature = "cluster")]
        if let Some((route, owner, id)) = self.remote(id.as_ref())? {
            let op = crate::routing::Op::Request {
                tag: A::TYPE_TAG.to_owned(),
                request: serde_json::to_value(request).map_err(|error| {
                    SessionError::OwnerFailed {
                        node: owner.node.clone(),
                        reason: format!("request not encodable: {error}"),
                    }
                })?,
            };
            let reply = route.send_op(&owner, &id, op, timeout).await?;
            return crate::routing::decode(&owner, reply);
        }
        self.request_here::<A>(id, request, timeout).await
    }

    /// The request, handled by this node's copy of the session.
    pub(crate) async fn request_here<A: RemoteSession>(
        &self,
        id: impl AsRef<str>,
        request: A::Request,
        timeout: Duration,
    ) -> Result<A::Reply, SessionError> {
        self.call_timeout(id, |reply| A::request(request, reply), timeout)
            .await
    }

    /// A fresh session ID that this node owns: any fresh ID on one node; in a
    /// cluster (feature `cluster`), one whose owner is this node, so that a session started
    /// under it is where its requests will be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let id = manager.fresh_id();
    /// assert!(manager.owns(&id));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn fresh_id(&self) -> SessionId {
        self.fresh_owned_id()
    }

    /// Whether this manager has joined a cluster (feature `cluster`): its sessions may
    /// then live on other nodes, and move between nodes.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// assert!(!manager.is_clustered());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn is_clustered(&self) -> bool {
        #[cfg(feature = "cluster")]
        if self.route().is_some() {
            return true;
        }
        false
    }

    /// Whether this node owns the session `id`: always on one node; in a
    /// cluster (feature `cluster`), whether this node is the one its requests go to now.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// assert!(manager.owns(&ractor_session::SessionId::generate()));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn owns(&self, id: &SessionId) -> bool {
        #[cfg(feature = "cluster")]
        if let Some(route) = self.route() {
            return route.owns(id);
        }
        let _ = id;
        true
    }
}

/// Requests are the JSON commands of [`KvRequest`]; the reply is the command's result.
impl RemoteSession for KvSession {
    type Request = KvRequest;
    type Reply = Result<serde_json::Value, KvError>;

    fn request(
        request: KvRequest,
        reply: RpcReplyPort<Result<serde_json::Value, KvError>>,
    ) -> KvMsg {
        // A `KvRequest` always becomes JSON (its keys are strings); were it ever not to,
        // the null command is refused with `BadRequest`, never applied.
        let request = serde_json::to_value(request).unwrap_or(serde_json::Value::Null);
        KvMsg::Request { request, reply }
    }
}
