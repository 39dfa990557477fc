//! [`NewSession`]: the extractor that starts a session for this request explicitly.

use std::fmt;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;
use ractor::Actor;
use ractor_session::{KvMsg, KvSession};

use crate::extract::Session;
use crate::rejection::SessionRejection;
use crate::request::RequestSession;

/// Starts a session for this request explicitly, e.g. at login when auto-start is off.
///
/// The session gets a fresh server-generated ID (never one the client chose) and the
/// layer's absolute lifetime, and the response carries its cookie. If the request already
/// has a live session, starting fails with
/// [`SessionError::AlreadyStarted`](ractor_session::SessionError::AlreadyStarted): rotate
/// that one instead.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use axum::{Router, routing::post};
/// use ractor_session::KvMsg;
/// use ractor_session_axum::{NewSession, SessionLayer, SessionRejection};
///
/// async fn log_in(new: NewSession) -> Result<&'static str, SessionRejection> {
///     let session = new.start().await?;
///     session.cast(KvMsg::put("user", "alice"))?;
///     Ok("welcome")
/// }
///
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// let app: Router = Router::new()
///     .route("/login", post(log_in))
///     .layer(SessionLayer::builder(manager.clone()).with_dev_mode().build()?);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct NewSession {
    request: Arc<RequestSession>,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession").finish_non_exhaustive()
    }
}

impl NewSession {
    /// Starts the default [`KvSession`] for this request.
    ///
    /// # Errors
    ///
    /// As [`start_with`](Self::start_with).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{NewSession, SessionRejection};
    ///
    /// async fn begin(new: NewSession) -> Result<(), SessionRejection> {
    ///     new.start().await?;
    ///     Ok(())
    /// }
    /// ```
    pub async fn start(self) -> Result<Session<KvMsg>, SessionRejection> {
        self.start_with(KvSession, Default::default()).await
    }

    /// Starts `actor` with `args` as this request's session.
    ///
    /// # Errors
    ///
    /// [`SessionRejection::TooManyNewSessions`] (429) when this client has started too
    /// many sessions lately (see [`CreationLimits`](crate::CreationLimits)); otherwise a
    /// [`SessionRejection::Session`] with
    /// [`SessionError::AlreadyStarted`](ractor_session::SessionError::AlreadyStarted) if the request
    /// already has a live session, the manager's limits (`SessionLimitReached`,
    /// `RateLimitExceeded`) or `StartFailed`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::KvSession;
    /// use ractor_session_axum::{NewSession, SessionRejection};
    ///
    /// async fn begin(new: NewSession) -> Result<(), SessionRejection> {
    ///     let session = new.start_with(KvSession, Default::default()).await?;
    ///     Ok(())
    /// }
    /// ```
    pub async fn start_with<A: Actor>(
        self,
        actor: A,
        args: A::Arguments,
    ) -> Result<Session<A::Msg>, SessionRejection> {
        let manager = self.request.manager();
        let id = self.request.id_for_start();
        let make = move || (actor, args);
        let handle = self
            .request
            .start_new(|admission| manager.start_session_admitted(&id, make, admission))
            .await?;
        let session = self.request.started(id, handle)?;
        Ok(Session::new(session, self.request))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for NewSession {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let request = RequestSession::from_parts(parts)?;
        // A stored session the cookie names is the request's: never start one over it.
        request.settle().await?;
        Ok(Self { request })
    }
}
