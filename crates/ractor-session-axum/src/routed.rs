//! [`RoutedSession`]: the extractor for a request's session wherever it lives, for session
//! types reachable by serialized requests.

use std::fmt;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;
use ractor_session::{RemoteSession, SessionError, SessionId, UserKey};

use crate::bound::BoundSession;
use crate::rejection::SessionRejection;
use crate::request::{RemoteChange, RequestSession};
use crate::telemetry;

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
        // Through the handle the request's lookup (or start) found: no second lookup, and
        // a session just started for this request stays provisional (see `Admission`).
        self.request.settle().await?;
        if let Some(id) = self.request.presented_moved() {
            // It moved on (to another node, or to a newer activation): reached by its ID.
            return self.request_moved::<A>(&id, request).await;
        }
        let live = self.request.ensure_live().await?;
        let timeout = manager.config().call_timeout;
        let called = live
            .handle()?
            .call_timeout(|reply| A::request(request.clone(), reply), timeout)
            .await;
        match called {
            // In a cluster, handed over or fenced off while the message waited (a stopping
            // actor drops its mailbox, so the request was not handled): reached by its ID.
            Err(
                SessionError::SessionNotFound { .. }
                | SessionError::ProcessNotFound { .. }
                | SessionError::CallFailed { .. },
            ) if live.moved_on() => self.request_moved::<A>(live.id(), request).await,
            other => Ok(other?),
        }
    }

    /// A request for the session `id`, which moved on during this request: sent by ID (to
    /// its owner, which revives it if need be); if it turns out to have ended, the request
    /// gets a fresh session, as for a cookie whose session is gone.
    async fn request_moved<A>(
        &self,
        id: &SessionId,
        request: A::Request,
    ) -> Result<A::Reply, SessionRejection>
    where
        A: RemoteSession,
        A::Request: Clone,
    {
        let manager = self.request.manager();
        match manager.request::<A>(id, request.clone()).await {
            Err(SessionError::SessionNotFound { .. }) => {}
            other => return other.map_err(SessionRejection::from),
        }
        let live = self.request.ensure_live().await?;
        let timeout = manager.config().call_timeout;
        Ok(live
            .handle()?
            .call_timeout(|reply| A::request(request, reply), timeout)
            .await?)
    }

    /// Moves the request's session to a fresh ID (wherever it lives) and returns it; the
    /// response sets the new cookie. As [`Session::rotate`](crate::Session::rotate): use
    /// it after any change of privilege.
    ///
    /// # Errors
    ///
    /// [`SessionRejection::NoSession`] when the request has no session; the session's
    /// errors (it ended meanwhile, the store or the owner could not be reached).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{RoutedSession, SessionRejection};
    ///
    /// async fn elevate(session: RoutedSession) -> Result<(), SessionRejection> {
    ///     session.rotate().await?;
    ///     Ok(())
    /// }
    /// # let _ = elevate;
    /// ```
    pub async fn rotate(&self) -> Result<SessionId, SessionRejection> {
        let manager = self.request.manager();
        if let Some(old) = self.request.remote_id() {
            // Remembered first, as for a local rotation: requests still carrying the old
            // cookie are spared a cookie change for the grace period.
            let pending = self.request.rotations().begin(&old);
            let new = manager.rotate(&old).await?;
            pending.done();
            self.request
                .remote_changed(RemoteChange::Rotated(new.clone()));
            telemetry::rotated();
            return Ok(new);
        }
        let live = self.live().await?;
        let handle = live.handle()?.clone();
        let old = live.id().clone();
        let pending = self.request.rotations().begin(&old);
        let new = manager.rotate(&old).await?;
        pending.done();
        self.request
            .set_current(BoundSession::new(new.clone(), handle));
        telemetry::rotated();
        Ok(new)
    }

    /// Ends the request's session, wherever it lives; the response clears the cookie.
    ///
    /// # Errors
    ///
    /// [`SessionRejection::NoSession`] when the request has no session; the session's
    /// errors (it had already ended, the owner could not be reached).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{RoutedSession, SessionRejection};
    ///
    /// async fn log_out(session: RoutedSession) -> Result<(), SessionRejection> {
    ///     session.terminate().await
    /// }
    /// # let _ = log_out;
    /// ```
    pub async fn terminate(&self) -> Result<(), SessionRejection> {
        let manager = self.request.manager();
        if let Some(id) = self.request.remote_id() {
            manager.terminate(&id).await?;
            self.request.remote_changed(RemoteChange::Ended);
            return Ok(());
        }
        let live = self.live().await?;
        manager.terminate(live.id()).await?;
        Ok(())
    }

    /// The user the request's session is bound to, if any (wherever it lives).
    ///
    /// # Errors
    ///
    /// [`SessionRejection::NoSession`] when the request has no session; the session's
    /// errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{RoutedSession, SessionRejection};
    ///
    /// async fn me(session: RoutedSession) -> Result<String, SessionRejection> {
    ///     Ok(session.user().await?.map(|user| user.to_string()).unwrap_or_default())
    /// }
    /// # let _ = me;
    /// ```
    pub async fn user(&self) -> Result<Option<UserKey>, SessionRejection> {
        let id = match self.request.remote_id() {
            Some(id) => id,
            None => self.live().await?.id().clone(),
        };
        Ok(self.request.manager().user_of(&id).await?)
    }

    /// Logs the request's session in as `user`, wherever it lives: moved to a fresh ID
    /// first, then bound to the user (as [`Session::login`](crate::Session::login)).
    ///
    /// # Errors
    ///
    /// [`SessionError::BoundToAnotherUser`] (as [`SessionRejection::Session`]) when the
    /// session belongs to someone else; those of [`rotate`](Self::rotate).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::UserKey;
    /// use ractor_session_axum::{RoutedSession, SessionRejection};
    ///
    /// async fn log_in(session: RoutedSession) -> Result<(), SessionRejection> {
    ///     // ... check the credentials, then:
    ///     let user = UserKey::parse("alice").map_err(ractor_session::SessionError::from)?;
    ///     session.login(&user).await?;
    ///     Ok(())
    /// }
    /// # let _ = log_in;
    /// ```
    pub async fn login(&self, user: &UserKey) -> Result<SessionId, SessionRejection> {
        let before = match self.request.remote_id() {
            Some(id) => id,
            None => self.request.ensure_live().await?.id().clone(),
        };
        let manager = self.request.manager();
        if manager
            .user_of(&before)
            .await?
            .is_some_and(|bound| &bound != user)
        {
            return Err(SessionError::BoundToAnotherUser { id: before }.into());
        }
        // Rotated first: were the binding made first and the rotation then failed, a
        // planted ID would stay valid and logged in.
        let new = self.rotate().await?;
        manager.bind_user(&new, user).await?;
        Ok(new)
    }

    /// Ends every session of the request's user, on every node (only this session when
    /// nobody is logged in); how many ended.
    ///
    /// # Errors
    ///
    /// [`SessionRejection::NoSession`] when the request has no session; the session's
    /// errors; in a cluster, [`SessionError::OwnerUnreachable`] when a node could not be
    /// asked (the others have ended theirs).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{RoutedSession, SessionRejection};
    ///
    /// async fn everywhere(session: RoutedSession) -> Result<String, SessionRejection> {
    ///     Ok(session.log_out_everywhere().await?.to_string())
    /// }
    /// # let _ = everywhere;
    /// ```
    pub async fn log_out_everywhere(&self) -> Result<usize, SessionRejection> {
        match self.user().await? {
            Some(user) => {
                let ended = self.request.manager().terminate_user(&user).await?;
                if self.request.remote_id().is_some() {
                    self.request.remote_changed(RemoteChange::Ended);
                }
                Ok(ended)
            }
            None => self.terminate().await.map(|()| 1),
        }
    }

    /// The request's session on this node (adopted from the store if only stored), or,
    /// with auto-start, one started for it — as the [`Session`](crate::Session)
    /// extractor has it.
    async fn live(&self) -> Result<BoundSession, SessionRejection> {
        self.request.ensure_live().await
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
