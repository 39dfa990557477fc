//! [`RoutedSession`]: the extractor for a request's session wherever it lives, for session
//! types reachable by serialized requests.

use std::fmt;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;
use ractor_session::{RemoteSession, SessionError, SessionId};

use crate::rejection::SessionRejection;
use crate::request::RequestSession;

/// This request's session, wherever it lives: on this node, or — with the core crate's
/// `cluster` feature — on the node of the cluster that owns it. Its
/// [`request`](Self::request) sends a serialized request of a
/// [`RemoteSession`] type to the session's owner; on one node that is a plain call.
///
/// Extracting it costs nothing: the session is found (or, with auto-start, started, on
/// this node under an ID it owns) on the first request. A cookie naming a session that
/// is gone on its owner gets a fresh session, as a cookie naming an unknown session does.
///
/// # Examples
///
/// ```
/// use axum::{Router, routing::post};
/// use ractor_session::{KvRequest, KvSession};
/// use ractor_session_axum::{RoutedSession, SessionRejection};
///
/// async fn visit(session: RoutedSession) -> Result<String, SessionRejection> {
///     let count = session
///         .request::<KvSession>(KvRequest::Increment { key: "visits".into(), by: 1 })
///         .await?;
///     Ok(format!("{count:?}"))
/// }
///
/// let app: Router = Router::new().route("/visit", post(visit));
/// # let _ = app;
/// ```
#[derive(Clone)]
pub struct RoutedSession {
    request: Arc<RequestSession>,
}

impl fmt::Debug for RoutedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoutedSession").finish_non_exhaustive()
    }
}

impl RoutedSession {
    /// Sends `request` to the session of `A` and waits for its reply (within the
    /// manager's `call_timeout`), starting a session first when the request has none and
    /// auto-start is on.
    ///
    /// # Errors
    ///
    /// The rejections of [`Session`](crate::Session) (no session and no auto-start, a
    /// refused start, a rotated or conflicting cookie); the session's errors as
    /// [`SessionRejection::Session`] — in a cluster including
    /// [`SessionError::OwnerUnreachable`] when the owner went away before replying.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::{KvRequest, KvSession};
    /// use ractor_session_axum::{RoutedSession, SessionRejection};
    ///
    /// async fn put(session: RoutedSession) -> Result<(), SessionRejection> {
    ///     let put = KvRequest::Put { key: "theme".into(), value: "dark".into() };
    ///     session.request::<KvSession>(put).await?.ok();
    ///     Ok(())
    /// }
    /// # let _ = put;
    /// ```
    pub async fn request<A>(&self, request: A::Request) -> Result<A::Reply, SessionRejection>
    where
        A: RemoteSession,
        A::Request: Clone,
    {
        let manager = self.request.manager();
        if let Some(id) = self.request.remote_id() {
            match manager.request::<A>(&id, request.clone()).await {
                // Gone on its owner: the request gets a session here, as for an unknown
                // cookie.
                Err(SessionError::SessionNotFound { .. }) => self.request.remote_gone(),
                other => return other.map_err(SessionRejection::from),
            }
        }
        let live = self.request.ensure_live().await?;
        Ok(manager.request::<A>(live.id(), request).await?)
    }

    /// The ID of the request's session: the one its cookie names (wherever it lives), or
    /// the one started for it; `None` before either.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::RoutedSession;
    ///
    /// async fn which(session: RoutedSession) -> String {
    ///     session.id().map(|id| id.redacted().to_string()).unwrap_or_default()
    /// }
    /// # let _ = which;
    /// ```
    #[must_use]
    pub fn id(&self) -> Option<SessionId> {
        self.request
            .remote_id()
            .or_else(|| self.request.live_now().map(|live| live.id().clone()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RoutedSession {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self {
            request: RequestSession::from_parts(parts)?,
        })
    }
}
