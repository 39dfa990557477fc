//! [`RequestSession`]: the session of one request, decided once when the layer reads the
//! cookie and shared with the extractors.
//!
//! [`RequestSession::begin`] verifies the cookie and looks its ID up in the registry: the
//! request's one lookup. The layer puts the result in the request's extensions; extractors
//! reach the session through the handle that lookup found (or that a start returned), and
//! record rotation in it; once the inner service has answered, the layer asks it for the
//! `Set-Cookie` header.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use http::request::Parts;
use http::{HeaderMap, HeaderValue};
use ractor::Message;
use ractor_session::{Admission, SessionError, SessionHandle, SessionId, SessionManager};

use crate::bound::BoundSession;
use crate::client::ClientKey;
use crate::config::LayerConfig;
use crate::cookie::Rejection;
use crate::rejection::SessionRejection;
use crate::telemetry;

/// The session state of one request.
#[derive(Debug)]
pub(crate) struct RequestSession {
    config: Arc<LayerConfig>,
    /// The verified, live session the request came with, under its cookie's ID.
    presented: Option<BoundSession>,
    /// The request carried a session cookie that was refused.
    refused: bool,
    /// The session the request has now: the presented one, or one started or rotated to
    /// during the request (live or not any more).
    current: Mutex<Option<BoundSession>>,
    /// Who the request comes from, for the per-client creation limit.
    client: Option<ClientKey>,
}

impl RequestSession {
    /// Reads the request's cookies and decides its session: a verified ID is looked up
    /// once, and adopted (and touched: every request counts as activity) if it is live.
    pub(crate) fn begin(config: &Arc<LayerConfig>, headers: &HeaderMap) -> Self {
        let scan = config.cookie.scan(headers);
        let mut presented: Option<BoundSession> = None;
        let mut unknown = Vec::new();
        for id in scan.verified {
            if presented.is_none() {
                // The lookup checks the deadline; `touch` then stamps the activity on the
                // entry it found.
                match config.manager.session(&id) {
                    Ok(handle) if handle.touch().is_ok() => {
                        presented = Some(BoundSession::new(id, handle));
                    }
                    _ => unknown.push(id),
                }
            } else if presented.as_ref().map(BoundSession::id) != Some(&id) {
                unknown.push(id);
            }
        }
        let adopted = presented.is_some();
        for (why, shown) in &scan.rejected {
            telemetry::cookie_refused(&config.logs, why.as_str(), shown, adopted);
        }
        for id in &unknown {
            telemetry::cookie_refused(
                &config.logs,
                Rejection::Unknown.as_str(),
                &id.redacted().to_string(),
                adopted,
            );
        }
        Self {
            config: Arc::clone(config),
            current: Mutex::new(presented.clone()),
            presented,
            refused: !scan.rejected.is_empty() || !unknown.is_empty(),
            client: None,
        }
    }

    /// Records who the request comes from.
    pub(crate) fn with_client(mut self, client: Option<ClientKey>) -> Self {
        self.client = client;
        self
    }

    /// Starts a session for this request through the layer's creation limits; `start`
    /// gets the admission to start it with.
    pub(crate) async fn start_new<F, Fut>(
        &self,
        start: F,
    ) -> Result<SessionHandle, SessionRejection>
    where
        F: FnOnce(Admission) -> Fut,
        Fut: Future<Output = Result<SessionHandle, SessionError>>,
    {
        self.config
            .creation
            .start(self.client.as_ref(), start)
            .await
    }

    /// The state the layer left in `parts`, or the missing-layer rejection.
    pub(crate) fn from_parts(parts: &Parts) -> Result<Arc<Self>, SessionRejection> {
        parts
            .extensions
            .get::<Arc<Self>>()
            .cloned()
            .ok_or(SessionRejection::MissingLayer)
    }

    fn lock(&self) -> MutexGuard<'_, Option<BoundSession>> {
        // Never held across an await or user code; poisoning can't leave it inconsistent.
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn manager(&self) -> &SessionManager {
        &self.config.manager
    }

    /// The live session the request came with, if it is still live under the cookie's ID
    /// (never one started during the request).
    pub(crate) fn presented_live(&self) -> Option<&BoundSession> {
        self.presented.as_ref().filter(|session| session.is_live())
    }

    /// The request's live session, without starting one.
    pub(crate) fn live_now(&self) -> Option<BoundSession> {
        self.lock().clone().filter(BoundSession::is_live)
    }

    /// The ID a new session of this request starts under: a fresh one, or the live
    /// session's (whose start then fails with `AlreadyStarted`).
    pub(crate) fn id_for_start(&self) -> SessionId {
        self.live_now()
            .map_or_else(SessionId::generate, |live| live.id().clone())
    }

    /// Records that `session` is now this request's session (started or rotated to).
    pub(crate) fn set_current(&self, session: BoundSession) {
        *self.lock() = Some(session);
    }

    /// The live session, started first when auto-start is on.
    pub(crate) async fn ensure_live(&self) -> Result<BoundSession, SessionRejection> {
        match self.live_now() {
            Some(live) => Ok(live),
            None => self.auto_start().await,
        }
    }

    /// The live session if it takes messages `M`, without starting one.
    pub(crate) fn live_now_as<M: Message>(&self) -> Result<Option<BoundSession>, SessionRejection> {
        let Some(live) = self.live_now() else {
            return Ok(None);
        };
        match live.handle().and_then(|handle| handle.actor::<M>()) {
            Ok(_) => Ok(Some(live)),
            Err(SessionError::SessionNotFound { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// As [`ensure_live`](Self::ensure_live), for a session that must take messages `M`.
    pub(crate) async fn ensure_live_as<M: Message>(
        &self,
    ) -> Result<BoundSession, SessionRejection> {
        if let Some(live) = self.live_now_as::<M>()? {
            return Ok(live);
        }
        let started = self.auto_start().await?;
        started.handle()?.actor::<M>()?;
        Ok(started)
    }

    /// Starts this request's session when auto-start is on, keeping the handle the start
    /// returns.
    async fn auto_start(&self) -> Result<BoundSession, SessionRejection> {
        let Some(auto) = &self.config.auto_start else {
            return Err(SessionRejection::NoSession);
        };
        let id = self.id_for_start();
        let handle = self
            .start_new(|admission| auto.start(self.manager(), &id, admission))
            .await?;
        let started = BoundSession::new(id, handle);
        self.set_current(started.clone());
        Ok(started)
    }

    /// The `Set-Cookie` header the response needs, if any.
    pub(crate) fn cookie_update(&self) -> Option<HeaderValue> {
        let live = self.live_now();
        let live = live.as_ref().map(BoundSession::id);
        let presented = self.presented.as_ref().map(BoundSession::id);
        let codec = &self.config.cookie;
        match (presented, live) {
            // Came with it, still has it: nothing to say.
            (Some(presented), Some(id)) if presented == id => None,
            // Started during this request, or rotated to a new ID.
            (_, Some(id)) => Some(codec.set_cookie(id)),
            // Its session ended during this request (logout, terminate).
            (Some(_), None) => Some(codec.removal()),
            // A refused cookie and nothing started: stop the browser sending it.
            (None, None) => self.refused.then(|| codec.removal()),
        }
    }
}
