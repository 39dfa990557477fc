//! The per-request session slot the layer shares with the extractors.
//!
//! The layer puts one `Arc<RequestSession>` in the request's extensions. Extractors read
//! it, start the session lazily, and record rotation or termination in it; once the inner
//! service has answered, the layer reads it back to decide the `Set-Cookie` header.

use std::sync::{Arc, Mutex, MutexGuard};

use http::HeaderValue;
use http::request::Parts;
use ractor::Message;
use ractor_session::{SessionError, SessionId, SessionManager};

use crate::config::LayerConfig;
use crate::rejection::SessionRejection;

#[derive(Debug)]
struct Current {
    /// The presented ID, or the fresh one a session would start under: drawn only when a
    /// start needs it, so a request that never starts a session costs no random ID.
    id: Option<SessionId>,
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
        let current = Current {
            id: presented.clone(),
            burnt: presented.is_some(),
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

    /// The ID this request's session has now (after any rotation), if it has one yet.
    fn current(&self) -> Option<SessionId> {
        self.lock().id.clone()
    }

    /// The live session's ID, without starting one.
    pub(crate) fn live_now(&self) -> Option<SessionId> {
        let id = self.current()?;
        self.manager().is_started(&id).then_some(id)
    }

    /// The ID a new session of this request should start under: the pending fresh one, or
    /// a new fresh one if the current ID has already been used by a session now gone.
    pub(crate) fn id_for_start(&self) -> SessionId {
        let mut current = self.lock();
        match &current.id {
            Some(id) if !current.burnt || self.manager().is_started(id) => id.clone(),
            _ => {
                let id = SessionId::generate();
                *current = Current {
                    id: Some(id.clone()),
                    burnt: false,
                };
                id
            }
        }
    }

    /// Records that `id` now holds a live session (started or rotated to).
    pub(crate) fn set_live(&self, id: SessionId) {
        *self.lock() = Current {
            id: Some(id),
            burnt: true,
        };
    }

    /// Records that the session `ended` is gone; a later start gets a fresh ID.
    pub(crate) fn set_ended(&self, ended: &SessionId) {
        let mut current = self.lock();
        if current.id.as_ref() == Some(ended) {
            current.burnt = true;
        }
    }

    /// The live session, started first when auto-start is on.
    pub(crate) async fn ensure_live(&self) -> Result<SessionId, SessionRejection> {
        if let Some(id) = self.live_now() {
            return Ok(id);
        }
        self.auto_start().await
    }

    /// The live session's ID if it takes messages `M`, without starting one: the liveness
    /// check and the type check are one registry lookup.
    pub(crate) fn live_now_as<M: Message>(&self) -> Result<Option<SessionId>, SessionRejection> {
        let Some(id) = self.current() else {
            return Ok(None);
        };
        match self.manager().lookup::<M>(&id) {
            Ok(_) => Ok(Some(id)),
            Err(SessionError::SessionNotFound { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// As [`ensure_live`](Self::ensure_live), for a session that must take messages `M`.
    pub(crate) async fn ensure_live_as<M: Message>(&self) -> Result<SessionId, SessionRejection> {
        if let Some(id) = self.live_now_as::<M>()? {
            return Ok(id);
        }
        let id = self.auto_start().await?;
        self.manager().lookup::<M>(&id)?;
        Ok(id)
    }

    /// Starts this request's session when auto-start is on.
    async fn auto_start(&self) -> Result<SessionId, SessionRejection> {
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
        // The handler has answered: nothing else takes this lock any more.
        let current = self.lock();
        let live = current
            .id
            .as_ref()
            .filter(|id| self.manager().is_started(id));
        let codec = &self.config.cookie;
        match (&self.presented, live) {
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
