//! [`RequestSession`]: the session of one request, decided once when the layer reads the
//! cookie and shared with the extractors.
//!
//! [`RequestSession::begin`] verifies the cookie and looks its ID up in the registry: the
//! request's one lookup (with a session store, a verified ID not in memory is looked up in
//! the store too, on the request's first use of its session: see the `presented` module).
//! The layer puts the result in the request's extensions; extractors
//! reach the session through the handle that lookup found (or that a start returned), and
//! record rotation in it; once the inner service has answered, the layer asks it for the
//! `Set-Cookie` header.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use http::request::Parts;
use http::{HeaderMap, HeaderValue};
use ractor::Message;
use ractor_session::{Admission, SessionError, SessionHandle, SessionId, SessionManager};
use tokio::sync::OnceCell;

use crate::bound::BoundSession;
use crate::client::ClientKey;
use crate::config::LayerConfig;
use crate::presented::{self, Found, Presented};
use crate::rejection::SessionRejection;
use crate::rotation_grace::RecentRotations;

/// The session state of one request.
#[derive(Debug)]
pub(crate) struct RequestSession {
    config: Arc<LayerConfig>,
    /// What the cookies came to: decided when the layer read them, or — when a verified ID
    /// is not in memory but may be in the manager's store — on the request's first use of
    /// its session (`settle`), so that a request that never uses it costs no store read.
    presented: OnceCell<Presented>,
    /// What the cookies named, until the store has been asked about the unknown IDs.
    pending: Mutex<Option<Found>>,
    /// The session the request has now: the presented one, or one started or rotated to
    /// during the request (live or not any more).
    current: Mutex<Option<BoundSession>>,
    /// Who the request comes from, for the per-client creation limit.
    client: Option<ClientKey>,
    /// Set when the session a cookie named, owned by another node, was not found there.
    remote_gone: AtomicBool,
    /// What this request did to the session another node owns (for its cookie).
    remote_change: Mutex<Option<RemoteChange>>,
}

/// What a request did to a session another node of the cluster owns.
#[derive(Clone, Debug)]
pub(crate) enum RemoteChange {
    /// Moved to this new ID.
    Rotated(SessionId),
    /// Ended.
    Ended,
}

impl RequestSession {
    /// Reads the request's cookies and decides its session (see [`Found::decide`]), or
    /// leaves the decision to [`settle`](Self::settle) when the store must be asked first.
    pub(crate) fn begin(config: &Arc<LayerConfig>, headers: &HeaderMap) -> Self {
        let found = Found::scan(config, headers);
        let (presented, pending) = if found.needs_store(&config.manager) {
            (OnceCell::new(), Some(found))
        } else {
            (OnceCell::new_with(Some(found.decide(config))), None)
        };
        let current = match presented.get() {
            Some(Presented::Live { session, .. }) => Some(session.clone()),
            _ => None,
        };
        Self {
            config: Arc::clone(config),
            presented,
            pending: Mutex::new(pending),
            current: Mutex::new(current),
            client: None,
            remote_gone: AtomicBool::new(false),
            remote_change: Mutex::new(None),
        }
    }

    /// What the cookies came to, once the store has been asked about the IDs not in memory
    /// (at most once per request, and only when the manager has a store).
    ///
    /// # Errors
    ///
    /// The store's failure, or a stored session that cannot be revived: the request then
    /// has no session, and none may be started in its place (the next use asks again).
    pub(crate) async fn settle(&self) -> Result<&Presented, SessionRejection> {
        if let Some(presented) = self.presented.get() {
            return Ok(presented);
        }
        // Boxed, as the store is asked once per request at most (and only for a cookie
        // not in memory), and inline it would grow every extractor's future.
        let presented = self
            .presented
            .get_or_try_init(|| Box::pin(self.adopt()))
            .await?;
        Ok(presented)
    }

    async fn adopt(&self) -> Result<Presented, SessionError> {
        let unknown = lock(&self.pending)
            .as_ref()
            .map(Found::unknown)
            .unwrap_or_default();
        let adopted = presented::adopt(self.manager(), unknown).await?;
        let found = lock(&self.pending).take().unwrap_or_default();
        let presented = found.with_adopted(adopted).decide(&self.config);
        if let Presented::Live { session, .. } = &presented {
            self.set_current(session.clone());
        }
        Ok(presented)
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
        lock(&self.current)
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
        match self.presented.get()? {
            Presented::Live { session, .. } if session.is_live() => Some(session),
            _ => None,
        }
    }

    /// Why this request must not start a session, if it must not: starting one would set
    /// a cookie over one it must leave alone.
    fn start_refused(&self) -> Option<SessionRejection> {
        let Some(presented) = self.presented.get() else {
            // Not settled: a stored session may be the request's.
            return Some(SessionRejection::NoSession);
        };
        match presented {
            Presented::Conflict => Some(SessionRejection::ConflictingCookies),
            Presented::Rotated => Some(SessionRejection::Rotated),
            Presented::Live { session, .. } if session.is_rotated_away() => {
                Some(SessionRejection::Rotated)
            }
            // Owned by another node: a session started here would replace its cookie.
            // (`RoutedSession` reaches it there, and starts one here only once it is
            // found gone.)
            Presented::Remote { .. } if !self.remote_gone.load(Ordering::Acquire) => {
                Some(SessionRejection::ElsewhereInCluster)
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
        // In a cluster, a fresh ID this node owns: the session starts where its requests
        // will be sent.
        self.live_now()
            .map_or_else(|| self.manager().fresh_id(), |live| live.id().clone())
    }

    /// The ID the cookie named when another node of the cluster owns it and it has not
    /// been found gone there (see [`remote_gone`](Self::remote_gone)).
    pub(crate) fn remote_id(&self) -> Option<SessionId> {
        match self.presented.get()? {
            Presented::Remote { id, .. } if !self.remote_gone.load(Ordering::Acquire) => {
                match lock(&self.remote_change).clone() {
                    None => Some(id.clone()),
                    Some(RemoteChange::Rotated(new)) => Some(new),
                    Some(RemoteChange::Ended) => None,
                }
            }
            _ => None,
        }
    }

    /// The session the cookie came with when it stopped here during this request but lives
    /// on in another activation (handed over to another node, or fenced off by a newer
    /// activation): it is reached by its ID.
    pub(crate) fn presented_moved(&self) -> Option<SessionId> {
        match self.presented.get()? {
            Presented::Live { session, .. } if session.moved_on() => Some(session.id().clone()),
            _ => None,
        }
    }

    /// Records what this request did to the session another node owns.
    pub(crate) fn remote_changed(&self, change: RemoteChange) {
        *lock(&self.remote_change) = Some(change);
    }

    /// The session the cookie named is gone on the node that owns it: the request may
    /// start one here.
    pub(crate) fn remote_gone(&self) {
        self.remote_gone.store(true, Ordering::Release);
    }

    /// Records that `session` is now this request's session (started or rotated to).
    pub(crate) fn set_current(&self, session: BoundSession) {
        *self.lock() = Some(session);
    }

    /// The live session, started first when auto-start is on.
    pub(crate) async fn ensure_live(&self) -> Result<BoundSession, SessionRejection> {
        self.settle().await?;
        match self.live_now() {
            Some(live) => Ok(live),
            None => Box::pin(self.auto_start()).await,
        }
    }

    /// The live session if it takes messages `M`, without starting one.
    pub(crate) async fn live_as<M: Message>(
        &self,
    ) -> Result<Option<BoundSession>, SessionRejection> {
        self.settle().await?;
        let Some(live) = self.live_now() else {
            return Ok(None);
        };
        // The type, not the actor: a parked session has none until a call revives it.
        match live
            .handle()
            .and_then(SessionHandle::check_message_type::<M>)
        {
            Ok(()) => Ok(Some(live)),
            Err(SessionError::SessionNotFound { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// As [`ensure_live`](Self::ensure_live), for a session that must take messages `M`.
    pub(crate) async fn ensure_live_as<M: Message>(
        &self,
    ) -> Result<BoundSession, SessionRejection> {
        if let Some(live) = self.live_as::<M>().await? {
            return Ok(live);
        }
        let started = Box::pin(self.auto_start()).await?;
        started.handle()?.check_message_type::<M>()?;
        Ok(started)
    }

    /// Starts this request's session when auto-start is on, keeping the handle the start
    /// returns. Its callers box it: a session's start is rare next to its requests, and
    /// inline it would make every extractor's future as large as a start.
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
        // Read under the request's lock rather than cloned out: this runs on every response.
        let current = self.lock();
        let live = current.as_ref().filter(|session| session.is_live());
        let codec = &self.config.cookie;
        // Not settled (never used, or the store failed): the cookie may name a stored
        // session, so it is left as it is.
        let presented = self.presented.get()?;
        match (presented, live) {
            // Came with it, still has it: nothing to say, unless an old key signed it.
            (Presented::Live { session, resign }, Some(live)) if session.id() == live.id() => {
                resign.then(|| codec.set_cookie(live.id()))
            }
            // Started during this request, or rotated to a new ID.
            (_, Some(live)) => Some(codec.set_cookie(live.id())),
            // Rotated away by another request meanwhile: its response carries the new
            // cookie, which this one must not undo.
            (Presented::Live { session, .. }, None) if session.is_rotated_away() => None,
            // Moved on to another node of the cluster (handed over, or fenced off by a
            // newer activation): it lives on under this ID, and the cookie stays.
            (Presented::Live { session, .. }, None) if session.moved_on() => None,
            // Its session ended during this request (logout, terminate), or a refused
            // cookie and nothing started: stop the browser sending it.
            (Presented::Live { .. } | Presented::Refused, None) => Some(codec.removal()),
            // A rotated ID within its grace: leave the browser's new cookie alone. A
            // conflict: a removal could only delete this host's own cookie and hand the
            // planted one the next request.
            (Presented::Nothing | Presented::Rotated | Presented::Conflict, None) => None,
            // Owned by another node: the cookie stays, re-signed if an old key signed it.
            (Presented::Remote { id, resign }, None) => match lock(&self.remote_change).clone() {
                Some(RemoteChange::Rotated(new)) => Some(codec.set_cookie(&new)),
                Some(RemoteChange::Ended) => Some(codec.removal()),
                None => resign.then(|| codec.set_cookie(id)),
            },
        }
    }
}

/// Locks `mutex`: never held across an await or user code, so poisoning can't leave what
/// it guards inconsistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
