//! [`Session`]: the extractor for this request's session, typed by its message type.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use ractor::{ActorRef, Message, RpcReplyPort};
use ractor_session::store::{StoreHandle, StoreMsg};
use ractor_session::{KvMsg, SessionError, SessionHandle, SessionId, SessionManager, SessionWatch};

use crate::bound::BoundSession;
use crate::rejection::SessionRejection;
use crate::request::RequestSession;
use crate::telemetry;

/// A handle on this request's session actor, typed by its message type `M`.
///
/// Extracting it needs a live session: the one the request's cookie names, or — with
/// [auto-start](crate::SessionLayerBuilder::with_auto_start) — one started now, whose
/// cookie goes out with the response. Without a session (and no auto-start) extraction
/// answers 401; use `Option<Session<M>>` to get `None` instead (that form never starts a
/// session). A session of another type answers 500, as does a missing
/// [`SessionLayer`](crate::SessionLayer), with a message saying how to fix it.
///
/// It carries the session the layer found when it read the cookie (or the one started
/// for this request): `call`, `cast`, `actor` and `watch` reach it without looking its ID
/// up again. `call` and `cast` count as activity and obey the manager's call timeout.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use axum::{Router, routing::post};
/// use ractor_session::KvMsg;
/// use ractor_session_axum::{Session, SessionLayer, SessionRejection};
///
/// async fn set_theme(session: Session, theme: String) -> Result<(), SessionRejection> {
///     session.cast(KvMsg::put("theme", theme))?;
///     Ok(())
/// }
///
/// async fn log_in(mut session: Session) -> Result<&'static str, SessionRejection> {
///     // After a change of privilege, move the session to a new ID (OWASP);
///     // the layer sends the new cookie, and the old one stops working.
///     session.rotate().await?;
///     Ok("welcome")
/// }
///
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// let app: Router = Router::new()
///     .route("/theme", post(set_theme))
///     .route("/login", post(log_in))
///     .layer(SessionLayer::builder(manager.clone()).with_dev_mode().with_auto_start().build()?);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct Session<M = KvMsg> {
    session: BoundSession,
    request: Arc<RequestSession>,
    _msg: PhantomData<fn() -> M>,
}

impl<M> Clone for Session<M> {
    fn clone(&self) -> Self {
        Self::new(self.session.clone(), Arc::clone(&self.request))
    }
}

impl<M> fmt::Debug for Session<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The ID is a bearer secret: show its hash only.
        f.debug_struct("Session")
            .field("id", &self.session.id().redacted())
            .field("message_type", &std::any::type_name::<M>())
            .finish()
    }
}

impl<M> Session<M> {
    pub(crate) fn new(session: BoundSession, request: Arc<RequestSession>) -> Self {
        Self {
            session,
            request,
            _msg: PhantomData,
        }
    }

    /// The handle, while the session is under this extractor's ID.
    pub(crate) fn handle(&self) -> Result<&SessionHandle, SessionError> {
        self.session.handle()
    }
}

impl<M: Message> Session<M> {
    /// The session's ID (after [`rotate`](Self::rotate), the new one).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::Session;
    ///
    /// async fn handler(session: Session) -> String {
    ///     // Never show a session ID to anyone but its owner; log `redacted()` instead.
    ///     session.id().redacted().to_string()
    /// }
    /// ```
    #[must_use]
    pub fn id(&self) -> &SessionId {
        self.session.id()
    }

    /// The manager the session lives in.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::Session;
    ///
    /// async fn handler(session: Session) -> String {
    ///     format!("{} sessions live", session.manager().count())
    /// }
    /// ```
    #[must_use]
    pub fn manager(&self) -> &SessionManager {
        self.request.manager()
    }

    /// The session's actor.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] if the session has ended meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{Session, SessionRejection};
    ///
    /// async fn handler(session: Session) -> Result<String, SessionRejection> {
    ///     Ok(format!("{:?}", session.actor()?.get_id()))
    /// }
    /// ```
    pub fn actor(&self) -> Result<ActorRef<M>, SessionError> {
        self.handle()?.actor()
    }

    /// Sends a request built by `builder` to the session and waits for the reply, up to
    /// the manager's call timeout.
    ///
    /// # Errors
    ///
    /// As [`SessionManager::call`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::KvMsg;
    /// use ractor_session_axum::{Session, SessionRejection};
    ///
    /// async fn cart(session: Session) -> Result<String, SessionRejection> {
    ///     let cart = session.call(|reply| KvMsg::Get { key: "cart".into(), reply }).await?;
    ///     Ok(cart.map(|v| v.to_string()).unwrap_or_default())
    /// }
    /// ```
    pub async fn call<R: Send + 'static>(
        &self,
        builder: impl FnOnce(RpcReplyPort<R>) -> M,
    ) -> Result<R, SessionError> {
        self.handle()?.call(builder).await
    }

    /// As [`call`](Self::call), with an explicit timeout.
    ///
    /// # Errors
    ///
    /// As [`SessionManager::call_timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ractor_session::KvMsg;
    /// use ractor_session_axum::{Session, SessionRejection};
    ///
    /// async fn ping(session: Session) -> Result<&'static str, SessionRejection> {
    ///     session.call_timeout(KvMsg::Ping, Duration::from_millis(200)).await?;
    ///     Ok("pong")
    /// }
    /// ```
    pub async fn call_timeout<R: Send + 'static>(
        &self,
        builder: impl FnOnce(RpcReplyPort<R>) -> M,
        timeout: Duration,
    ) -> Result<R, SessionError> {
        self.handle()?.call_timeout(builder, timeout).await
    }

    /// Sends `message` to the session without waiting.
    ///
    /// # Errors
    ///
    /// As [`SessionManager::cast`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::KvMsg;
    /// use ractor_session_axum::{Session, SessionRejection};
    ///
    /// async fn clear(session: Session) -> Result<(), SessionRejection> {
    ///     session.cast(KvMsg::Clear)?;
    ///     Ok(())
    /// }
    /// ```
    pub fn cast(&self, message: M) -> Result<(), SessionError> {
        self.handle()?.cast(message)
    }

    /// Moves the session to a fresh ID, atomically; the old ID stops working at once and
    /// its live sockets are closed with `rotated`. The response carries the new cookie.
    /// Do this after login and after any change of privilege. Requests still carrying the
    /// old ID within the [grace period](crate::SessionLayerBuilder::with_rotation_grace)
    /// get no session and no cookie change, so they cannot undo the new cookie.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] if the session has ended meanwhile; with a
    /// session store, [`SessionError::StoreFailed`] if the store could not move its
    /// record (then nothing has moved).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{Session, SessionRejection};
    ///
    /// async fn log_in(mut session: Session) -> Result<(), SessionRejection> {
    ///     // ... check the credentials, then:
    ///     session.rotate().await?;
    ///     Ok(())
    /// }
    /// ```
    pub async fn rotate(&mut self) -> Result<SessionId, SessionError> {
        let handle = self.handle()?.clone();
        let old = self.id().clone();
        // Remembered first, so that a request that no longer finds the old ID always
        // finds it here, and is spared a cookie change (see `with_rotation_grace`). A
        // rotation that fails, or is cancelled while a store moves the session's record,
        // leaves the old ID the session's: the guard forgets it again.
        let pending = self.request.rotations().begin(&old);
        // By ID: the manager's rotation is atomic against a racing one, and fails if this
        // ID has already been rotated away.
        let new = self.request.manager().rotate(&old).await?;
        pending.done();
        self.session = BoundSession::new(new.clone(), handle);
        self.request.set_current(self.session.clone());
        telemetry::rotated();
        Ok(new)
    }

    /// Ends the session (its actor stops gracefully, its live sockets are told
    /// `session_expired`); the response clears the cookie.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] if it had already ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{Session, SessionRejection};
    ///
    /// async fn log_out(session: Session) -> Result<(), SessionRejection> {
    ///     session.terminate().await?;
    ///     Ok(())
    /// }
    /// ```
    pub async fn terminate(self) -> Result<(), SessionError> {
        // By ID, so that a session rotated away from this ID is left alone.
        self.manager().terminate(self.id()).await
    }

    /// A future that resolves when the session ends or its ID is rotated away.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] if it has already ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{Session, SessionRejection};
    ///
    /// async fn handler(session: Session) -> Result<(), SessionRejection> {
    ///     let ended = session.watch()?;
    ///     tokio::spawn(async move {
    ///         let reason = ended.await;
    ///         tracing::info!(%reason, "session over");
    ///     });
    ///     Ok(())
    /// }
    /// ```
    pub fn watch(&self) -> Result<SessionWatch, SessionError> {
        self.session.watch()
    }
}

/// Store sessions ([`ractor_session::store::StoreSession`]): this request's Redux-style
/// store.
impl<S, A> Session<StoreMsg<S, A>>
where
    S: Send + Sync + 'static,
    A: Send + 'static,
{
    /// The [`StoreHandle`] of this request's store session: `dispatch`, `cast`, `state`,
    /// and `run` for anything else a store can do.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] if the session has ended meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use axum::{Router, routing::post};
    /// use ractor_session::store::{Store, StoreMsg, StoreSession};
    /// use ractor_session_axum::{Session, SessionLayer, SessionRejection};
    ///
    /// async fn add(session: Session<StoreMsg<u64, u64>>, body: String) -> Result<String, SessionRejection> {
    ///     let n: u64 = body.trim().parse().unwrap_or(1);
    ///     Ok(session.store()?.dispatch(n).await?.to_string())
    /// }
    ///
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_auto_start_with(|| (StoreSession::new(), Store::new(0, |n: &u64, k: &u64| n + k)))
    ///     .build()?;
    /// let app: Router = Router::new().route("/add", post(add)).layer(layer);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn store(&self) -> Result<StoreHandle<S, A>, SessionError> {
        self.handle().cloned().map(StoreHandle::new)
    }
}

impl<S, M> FromRequestParts<S> for Session<M>
where
    S: Send + Sync,
    M: Message,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let request = RequestSession::from_parts(parts)?;
        let session = request.ensure_live_as::<M>().await?;
        Ok(Self::new(session, request))
    }
}

impl<S, M> OptionalFromRequestParts<S> for Session<M>
where
    S: Send + Sync,
    M: Message,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let request = RequestSession::from_parts(parts)?;
        let session = request.live_as::<M>().await?;
        Ok(session.map(|session| Self::new(session, request)))
    }
}
