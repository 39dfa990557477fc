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
use crate::rejection::SessionRejection;
use crate::rotation_grace::RecentRotations;
use crate::signing::{Rejection, Verified};
use crate::telemetry;

/// What the session cookies of a request came to.
#[derive(Debug)]
enum Presented {
    /// No session cookie.
    Nothing,
    /// A verified, live session under its cookie's ID; `resign` when the cookie verified
    /// only under a previous key and must be signed anew.
    Live { session: BoundSession, resign: bool },
    /// Only refused cookies: malformed, badly signed, or naming no live session.
    Refused,
    /// An ID this layer rotated away within the grace period, and no live one.
    Rotated,
    /// Cookies of two or more different live sessions: none is adopted.
    Conflict,
}

/// The session state of one request.
#[derive(Debug)]
pub(crate) struct RequestSession {
    config: Arc<LayerConfig>,
    presented: Presented,
    /// The session the request has now: the presented one, or one started or rotated to
    /// during the request (live or not any more).
    current: Mutex<Option<BoundSession>>,
    /// Who the request comes from, for the per-client creation limit.
    client: Option<ClientKey>,
}

impl RequestSession {
    /// Reads the request's cookies and decides its session.
    ///
    /// Every verified ID is looked up once (a bounded number: see the `cookie` module). The
    /// request adopts a session only when exactly one live session is named, however many
    /// times: the cookie of a second live session can only have been planted (a sibling
    /// subdomain tossing its own session's cookie at the visitor), and adopting either
    /// could put the visitor into the attacker's session. Refused and unknown values never
    /// stand in the way of the live one. An adopted session is touched: every request
    /// counts as activity.
    pub(crate) fn begin(config: &Arc<LayerConfig>, headers: &HeaderMap) -> Self {
        let scan = config.cookie.scan(headers);
        let mut live: Option<(BoundSession, bool)> = None;
        let mut others: Vec<SessionId> = Vec::new();
        let mut unknown: Vec<SessionId> = Vec::new();
        let mut rotated = false;
        for Verified { id, current_key } in scan.verified {
            match &mut live {
                Some((session, current)) if session.id() == &id => {
                    *current |= current_key;
                    continue;
                }
                _ => {}
            }
            if others.contains(&id) || unknown.contains(&id) {
                continue;
            }
            // The lookup checks the deadline.
            match config.manager.session(&id) {
                Ok(handle) if live.is_none() => {
                    live = Some((BoundSession::new(id, handle), current_key))
                }
                Ok(_) => others.push(id),
                Err(_) if config.rotations.contains(&id) => rotated = true,
                Err(_) => unknown.push(id),
            }
        }
        let presented = match live {
            Some((session, _)) if !others.is_empty() => {
                others.push(session.id().clone());
                Presented::Conflict
            }
            Some((session, current_key)) if touch(&session) => Presented::Live {
                session,
                resign: !current_key,
            },
            Some((session, _)) => {
                unknown.push(session.id().clone());
                Presented::Refused
            }
            None if rotated => Presented::Rotated,
            None if scan.rejected.is_empty() && unknown.is_empty() => Presented::Nothing,
            None => Presented::Refused,
        };
        let adopted = matches!(presented, Presented::Live { .. });
        for (why, shown) in &scan.rejected {
            telemetry::cookie_refused(&config.logs, why.as_str(), shown, adopted);
        }
        for (why, ids) in [
            (Rejection::Unknown, &unknown),
            (Rejection::Conflict, &others),
        ] {
            for id in ids {
                let shown = id.redacted().to_string();
                telemetry::cookie_refused(&config.logs, why.as_str(), &shown, adopted);
            }
        }
        let current = match &presented {
            Presented::Live { session, .. } => Some(session.clone()),
            _ => None,
        };
        Self {
            config: Arc::clone(config),
            presented,
            current: Mutex::new(current),
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

    pub(crate) fn config(&self) -> &LayerConfig {
        &self.config
    }

    pub(crate) fn rotations(&self) -> &RecentRotations {
        &self.config.rotations
    }

    /// The live session the request came with, if it is still live under the cookie's ID
    /// (never one started during the request).
    pub(crate) fn presented_live(&self) -> Option<&BoundSession> {
        match &self.presented {
            Presented::Live { session, .. } if session.is_live() => Some(session),
            _ => None,
        }
    }

    /// Why this request must not start a session, if it must not: starting one would set
    /// a cookie over one it must leave alone.
    fn start_refused(&self) -> Option<SessionRejection> {
        match &self.presented {
            Presented::Conflict => Some(SessionRejection::ConflictingCookies),
            Presented::Rotated => Some(SessionRejection::Rotated),
            Presented::Live { session, .. } if session.is_rotated_away() => {
                Some(SessionRejection::Rotated)
            }
            _ => None,
        }
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
        if let Some(refused) = self.start_refused() {
            return Err(refused);
        }
        let Some(auto) = &self.config.auto_start else {
            return Err(SessionRejection::NoSession);
        };
        let id = self.id_for_start();
        let handle = self
            .start_new(|admission| auto.start(self.manager(), &id, admission))
            .await?;
        Ok(self.started(id, handle)?)
    }

    /// Makes a session just started for this request its session, with the layer's
    /// absolute lifetime.
    pub(crate) fn started(
        &self,
        id: SessionId,
        handle: SessionHandle,
    ) -> Result<BoundSession, SessionError> {
        if let Some(max) = self.config.max_lifetime {
            handle.limit_lifetime(max)?;
        }
        let started = BoundSession::new(id, handle);
        self.set_current(started.clone());
        Ok(started)
    }

    /// The `Set-Cookie` header the response needs, if any.
    pub(crate) fn cookie_update(&self) -> Option<HeaderValue> {
        let live = self.live_now();
        let codec = &self.config.cookie;
        match (&self.presented, live) {
            // Came with it, still has it: nothing to say, unless an old key signed it.
            (Presented::Live { session, resign }, Some(live)) if session.id() == live.id() => {
                resign.then(|| codec.set_cookie(live.id()))
            }
            // Started during this request, or rotated to a new ID.
            (_, Some(live)) => Some(codec.set_cookie(live.id())),
            // Rotated away by another request meanwhile: its response carries the new
            // cookie, which this one must not undo.
            (Presented::Live { session, .. }, None) if session.is_rotated_away() => None,
            // Its session ended during this request (logout, terminate), or a refused
            // cookie and nothing started: stop the browser sending it.
            (Presented::Live { .. } | Presented::Refused, None) => Some(codec.removal()),
            // A rotated ID within its grace: leave the browser's new cookie alone. A
            // conflict: a removal could only delete this host's own cookie and hand the
            // planted one the next request.
            (Presented::Nothing | Presented::Rotated | Presented::Conflict, None) => None,
        }
    }
}

/// Records the request as the session's activity; `false` if it ended meanwhile.
fn touch(session: &BoundSession) -> bool {
    session.handle().is_ok_and(|handle| handle.touch().is_ok())
}
