//! The per-request session slot the layer shares with the extractors.
//!
//! The layer puts one `Arc<RequestSession>` in the request's extensions. Extractors read
//! it, start the session lazily, and record rotation or termination in it; once the inner
//! service has answered, the layer reads it back to decide the `Set-Cookie` header.

use std::sync::{Arc, Mutex, MutexGuard};

use http::HeaderValue;
use http::request::Parts;
use ractor_session::{SessionId, SessionManager};

use crate::config::LayerConfig;
use crate::rejection::SessionRejection;

#[derive(Debug)]
struct Current {
    id: SessionId,
    /// This ID has belonged to a live session: if that session is gone, the ID must not be
    /// used again, and a fresh one is drawn.
    burnt: bool,
}

/// The session state of one request.
#[derive(Debug)]
pub(crate) struct RequestSession {
    pub(crate) config: Arc<LayerConfig>,
    /// The verified, live session the request came with, if any.
    pub(crate) presented: Option<SessionId>,
    /// The request carried a session cookie that was refused.
    pub(crate) refused: bool,
    current: Mutex<Current>,
}

impl RequestSession {
    pub(crate) fn new(
        config: Arc<LayerConfig>,
        presented: Option<SessionId>,
        refused: bool,
    ) -> Self {
        let current = match &presented {
            Some(id) => Current {
                id: id.clone(),
                burnt: true,
            },
            None => Current {
                id: SessionId::generate(),
                burnt: false,
            },
        };
        Self {
            config,
            presented,
            refused,
            current: Mutex::new(current),
        }
    }

    /// The slot the layer left in `parts`, or the missing-layer rejection.
    pub(crate) fn from_parts(parts: &Parts) -> Result<Arc<Self>, SessionRejection> {
        parts
            .extensions
            .get::<Arc<Self>>()
            .cloned()
            .ok_or(SessionRejection::MissingLayer)
    }

    fn lock(&self) -> MutexGuard<'_, Current> {
        // Never held across an await or user code; poisoning can't leave it inconsistent.
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn manager(&self) -> &SessionManager {
        &self.config.manager
    }

    /// The ID this request's session has now (after any rotation).
    pub(crate) fn current(&self) -> SessionId {
        self.lock().id.clone()
    }

    /// The live session's ID, without starting one.
    pub(crate) fn live_now(&self) -> Option<SessionId> {
        let id = self.current();
        self.manager().is_started(&id).then_some(id)
    }

    /// The ID a new session of this request should start under: the pending fresh one, or
    /// a new fresh one if the current ID has already been used by a session now gone.
    pub(crate) fn id_for_start(&self) -> SessionId {
        let mut current = self.lock();
        if current.burnt && !self.manager().is_started(&current.id) {
            current.id = SessionId::generate();
            current.burnt = false;
        }
        current.id.clone()
    }

    /// Records that `id` now holds a live session (started or rotated to).
    pub(crate) fn set_live(&self, id: SessionId) {
        *self.lock() = Current { id, burnt: true };
    }

    /// Records that the session `ended` is gone; a later start gets a fresh ID.
    pub(crate) fn set_ended(&self, ended: &SessionId) {
        let mut current = self.lock();
        if current.id == *ended {
            current.burnt = true;
        }
    }

    /// The live session, started first when auto-start is on.
    pub(crate) async fn ensure_live(&self) -> Result<SessionId, SessionRejection> {
        if let Some(id) = self.live_now() {
            return Ok(id);
        }
        let Some(auto) = &self.config.auto_start else {
            return Err(SessionRejection::NoSession);
        };
        let id = self.id_for_start();
        auto.start(self.manager(), &id)
            .await
            .map_err(SessionRejection::from)?;
        self.set_live(id.clone());
        Ok(id)
    }

    /// The `Set-Cookie` header the response needs, if any.
    pub(crate) fn cookie_update(&self) -> Option<HeaderValue> {
        let id = self.current();
        let live = self.manager().is_started(&id);
        let codec = &self.config.cookie;
        match (&self.presented, live) {
            // Came with it, still has it: nothing to say.
            (Some(presented), true) if *presented == id => None,
            // Started during this request, or rotated to a new ID.
            (_, true) => Some(codec.set_cookie(&id)),
            // Its session ended during this request (logout, terminate).
            (Some(_), false) => Some(codec.removal()),
            // A refused cookie and nothing started: stop the browser sending it.
            (None, false) => self.refused.then(|| codec.removal()),
        }
    }
}
