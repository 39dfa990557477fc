//! [`SessionRejection`]: why a session extractor or session operation failed, as a response.

use std::fmt;
use std::time::Duration;

use axum::response::{IntoResponse, Response};

use http::header::RETRY_AFTER;
use http::{HeaderValue, StatusCode};
use ractor_session::{KvError, SessionError, store::StoreError};

/// The fix-it text of a missing [`SessionLayer`](crate::SessionLayer).
pub(crate) const MISSING_LAYER: &str = "SessionLayer is not installed: add \
`.layer(SessionLayer::builder(manager).with_key_bytes(secret).build()?)` to your Router \
(`ractor_session_axum::SessionLayer`). A layer covers only the routes added before it, \
so call `.layer(...)` after `.route(...)`.";

/// Why a session extractor refused a request, or a session operation failed; a response.
///
/// Handlers can return it too: `From<SessionError>` maps each error to a fitting status
/// (503 for limits, shutdown and an unavailable session store, 504 for a timeout, 401 when
/// the session is gone, 500 otherwise), `From<StoreError>` answers a store's refusal with 422, and `From<KvError>`
/// a refused key-value update with 422 too. Neither response bodies nor its `Debug`
/// output ever contain a session ID.
///
/// # Examples
///
/// ```
/// use axum::response::IntoResponse;
/// use http::StatusCode;
/// use ractor_session::{SessionError, store::StoreError};
/// use ractor_session_axum::SessionRejection;
///
/// let missing = SessionRejection::MissingLayer.into_response();
/// assert_eq!(missing.status(), StatusCode::INTERNAL_SERVER_ERROR);
///
/// let busy = SessionRejection::from(SessionError::SessionLimitReached { max: 10 });
/// assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
/// ```
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum SessionRejection {
    /// No [`SessionLayer`](crate::SessionLayer) ran for this request: a setup bug (500).
    #[error("{}", MISSING_LAYER)]
    MissingLayer,
    /// The request has no live session and the layer does not auto-start one (401).
    #[error("no session: this request has no live session")]
    NoSession,
    /// The request came with a session ID rotated away moments ago, by a request that
    /// has sent or is sending the new cookie (409): it is given no session, and no new one
    /// is started, so that its response cannot overwrite the new cookie. Retry it.
    #[error(
        "session moved: this request came with a session ID that was just rotated to a new one; \
         retry it with the new cookie"
    )]
    Rotated,
    /// The request came with the cookies of two or more different live sessions (400):
    /// none is used, as one of them can only have been planted by another site.
    #[error(
        "conflicting session cookies: this request carries the cookies of more than one \
         session; clear this site's cookies and sign in again"
    )]
    ConflictingCookies,
    /// In a cluster: the request's session lives on another node, and this extractor needs
    /// it on this one (409). [`RoutedSession`](crate::RoutedSession) reaches it there.
    #[error("the session lives on another node of the cluster: use `RoutedSession` to reach it")]
    ElsewhereInCluster,
    /// A session could not be started or reached (status from the error).
    #[error("{}", safe_message(.0))]
    Session(#[source] SessionError),
    /// A store session refused an action (422), or could not be reached (as `Session`).
    #[error("{}", store_message(.0))]
    Store(#[source] StoreError),
    /// The key-value session refused an update (422): an increment of a value that is
    /// not an integer, or one that overflows.
    #[error("{0}")]
    Kv(#[source] KvError),
    /// This client has started too many sessions lately (429, with `Retry-After`); see
    /// [`CreationLimits`](crate::CreationLimits).
    #[error("too many new sessions from this client: retry in {} s", retry_after.as_secs())]
    TooManyNewSessions {
        /// When the client may start one again.
        retry_after: Duration,
    },
}

impl SessionRejection {
    /// The HTTP status this rejection answers with.
    ///
    /// # Examples
    ///
    /// ```
    /// use http::StatusCode;
    /// use ractor_session_axum::SessionRejection;
    /// assert_eq!(SessionRejection::NoSession.status(), StatusCode::UNAUTHORIZED);
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Store(StoreError::Session(error)) => session_status(error),
            Self::Store(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MissingLayer => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NoSession => StatusCode::UNAUTHORIZED,
            Self::Rotated => StatusCode::CONFLICT,
            Self::ConflictingCookies => StatusCode::BAD_REQUEST,
            Self::ElsewhereInCluster => StatusCode::CONFLICT,
            Self::Session(error) => session_status(error),
            Self::Kv(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyNewSessions { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

fn session_status(error: &SessionError) -> StatusCode {
    match error {
        SessionError::SessionLimitReached { .. }
        | SessionError::RateLimitExceeded { .. }
        | SessionError::ManagerShutdown
        | SessionError::StoreFailed { .. }
        | SessionError::NotPersisted { .. }
        | SessionError::OwnerUnreachable { .. }
        | SessionError::OwnerFailed { .. } => StatusCode::SERVICE_UNAVAILABLE,
        SessionError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        SessionError::SessionNotFound { .. } | SessionError::ProcessNotFound { .. } => {
            StatusCode::UNAUTHORIZED
        }
        SessionError::InvalidUserKey(_) => StatusCode::UNPROCESSABLE_ENTITY,
        SessionError::BoundToAnotherUser { .. } => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl fmt::Debug for SessionRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Session IDs are secrets: wrapped errors are shown by their safe messages.
        match self {
            Self::MissingLayer => f.write_str("MissingLayer"),
            Self::NoSession => f.write_str("NoSession"),
            Self::Rotated => f.write_str("Rotated"),
            Self::ConflictingCookies => f.write_str("ConflictingCookies"),
            Self::ElsewhereInCluster => f.write_str("ElsewhereInCluster"),
            Self::Session(error) => f
                .debug_tuple("Session")
                .field(&safe_message(error))
                .finish(),
            Self::Store(error) => f.debug_tuple("Store").field(&store_message(error)).finish(),
            Self::Kv(error) => f.debug_tuple("Kv").field(error).finish(),
            Self::TooManyNewSessions { retry_after } => f
                .debug_struct("TooManyNewSessions")
                .field("retry_after", retry_after)
                .finish(),
        }
    }
}

impl From<StoreError> for SessionRejection {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Session(error) => Self::Session(error),
            other => Self::Store(other),
        }
    }
}

fn store_message(error: &StoreError) -> String {
    match error {
        StoreError::Session(error) => safe_message(error),
        other => other.to_string(),
    }
}

impl From<KvError> for SessionRejection {
    fn from(error: KvError) -> Self {
        Self::Kv(error)
    }
}

impl From<SessionError> for SessionRejection {
    fn from(error: SessionError) -> Self {
        Self::Session(error)
    }
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        let status = self.status();
        // 503 is load (limits), a shutdown or an unavailable store, already counted and logged where it was
        // decided: an ERROR per refused request would let any client flood the log.
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(target: "ractor_session_axum", %status, error = %self, "session request failed");
        }
        let mut response = (status, self.to_string()).into_response();
        if let Self::TooManyNewSessions { retry_after } = self {
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The error's message without any session ID or presented value in it.
pub(crate) fn safe_message(error: &SessionError) -> String {
    match error {
        SessionError::InvalidSessionId(_) => "invalid session ID".to_owned(),
        SessionError::SessionNotFound { .. } | SessionError::ProcessNotFound { .. } => {
            "no session: the session has ended".to_owned()
        }
        SessionError::AlreadyStarted { .. } => {
            "a session is already live for this request".to_owned()
        }
        SessionError::WrongSessionType {
            expected, actual, ..
        } => format!(
            "wrong session type: the session is a `{actual}`, but the handler asked for \
             messages of type `{expected}`; make the extractor's message type match the \
             session the layer starts"
        ),
        SessionError::StartFailed { .. } => "the session failed to start".to_owned(),
        SessionError::BoundToAnotherUser { .. } => {
            "this session belongs to another user: log out first".to_owned()
        }
        SessionError::StoreFailed { .. } => {
            "the session store is unavailable: the session could not be reached; retry shortly"
                .to_owned()
        }
        SessionError::UnreadableRecord { .. } | SessionError::UnregisteredType { .. } => {
            "the session's stored record cannot be restored".to_owned()
        }
        SessionError::NotPersisted { .. } => {
            "the change is kept but could not be saved yet: the session store is unavailable"
                .to_owned()
        }
        SessionError::OwnerUnreachable { .. } => {
            "the node holding the session went away: retry, another node takes it over".to_owned()
        }
        SessionError::OwnerFailed { .. } => {
            "the node holding the session could not serve it; retry shortly".to_owned()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ractor_session::SessionId;

    #[test]
    fn messages_never_contain_the_session_id() {
        let id = SessionId::generate();
        let errors = [
            SessionError::SessionNotFound { id: id.clone() },
            SessionError::ProcessNotFound { id: id.clone() },
            SessionError::WrongSessionType {
                id: id.clone(),
                expected: "a::Msg",
                actual: "KvSession",
            },
            SessionError::from(SessionId::parse(&format!("{id}!")).unwrap_err()),
        ];
        for error in errors {
            let text = SessionRejection::from(error).to_string();
            assert!(!text.contains(id.as_str()), "{text}");
        }
    }

    #[test]
    fn debug_output_never_contains_the_session_id() {
        let id = SessionId::generate();
        let rejections = [
            SessionRejection::from(SessionError::SessionNotFound { id: id.clone() }),
            SessionRejection::from(StoreError::from(SessionError::ProcessNotFound {
                id: id.clone(),
            })),
            SessionRejection::Store(StoreError::Session(SessionError::SessionNotFound {
                id: id.clone(),
            })),
        ];
        for rejection in rejections {
            let shown = format!("{rejection:?}");
            assert!(!shown.contains(id.as_str()), "{shown}");
            assert!(shown.contains("no session"), "{shown}");
        }
    }

    #[test]
    fn statuses_fit_the_error() {
        let id = SessionId::generate();
        let cases = [
            (SessionError::RateLimitExceeded { limit: 1 }, 503),
            (SessionError::ManagerShutdown, 503),
            (
                SessionError::Timeout(std::time::Duration::from_millis(5)),
                504,
            ),
            (SessionError::SessionNotFound { id }, 401),
        ];
        for (error, status) in cases {
            assert_eq!(SessionRejection::from(error).status().as_u16(), status);
        }
        assert_eq!(SessionRejection::MissingLayer.status().as_u16(), 500);
        assert_eq!(SessionRejection::Rotated.status().as_u16(), 409);
        assert_eq!(SessionRejection::ConflictingCookies.status().as_u16(), 400);
        assert!(
            SessionRejection::MissingLayer
                .to_string()
                .contains(".layer(")
        );
    }
}
