//! [`CurrentSessionId`]: the extractor for the ID of this request's live session.

use std::fmt;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use ractor_session::SessionId;

use crate::rejection::SessionRejection;
use crate::request::RequestSession;

/// The ID of this request's live session.
///
/// Like [`Session`](crate::Session), it needs a live session (started now with auto-start, 401 without);
/// `Option<CurrentSessionId>` gives `None` instead and never starts one.
///
/// # Examples
///
/// ```
/// use ractor_session_axum::CurrentSessionId;
///
/// async fn whoami(CurrentSessionId(id): CurrentSessionId) -> String {
///     format!("session {}", id.redacted())
/// }
///
/// async fn maybe(id: Option<CurrentSessionId>) -> &'static str {
///     if id.is_some() { "signed in" } else { "anonymous" }
/// }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CurrentSessionId(pub SessionId);

impl fmt::Debug for CurrentSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CurrentSessionId")
            .field(&self.0.redacted())
            .finish()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentSessionId {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let request = RequestSession::from_parts(parts)?;
        let session = request.ensure_live().await?;
        Ok(Self(session.id().clone()))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for CurrentSessionId {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let request = RequestSession::from_parts(parts)?;
        request.settle().await?;
        Ok(request.live_now().map(|session| Self(session.id().clone())))
    }
}
