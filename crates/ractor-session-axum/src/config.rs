//! The runtime state a [`SessionLayer`](crate::SessionLayer) and its extractors share.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use ractor::Actor;
use ractor_session::{Admission, SessionError, SessionHandle, SessionId, SessionManager};

use crate::cookie::CookieCodec;
use crate::creation::CreationGate;
use crate::cross_site::CrossSitePolicy;
use crate::rotation_grace::RecentRotations;
use crate::throttle::LogThrottle;

/// Finds or starts a session actor under an ID for the layer's auto-start.
type StartFn = dyn Fn(
        SessionManager,
        SessionId,
        Admission,
    ) -> Pin<Box<dyn Future<Output = Result<SessionHandle, SessionError>> + Send>>
    + Send
    + Sync;

/// How the layer starts a session on first use, when auto-start is on.
#[derive(Clone)]
pub(crate) struct AutoStart {
    start: Arc<StartFn>,
    session_type: &'static str,
}

impl AutoStart {
    pub(crate) fn new<A, F>(make: F) -> Self
    where
        A: Actor,
        F: Fn() -> (A, A::Arguments) + Send + Sync + 'static,
    {
        let make = Arc::new(make);
        Self {
            start: Arc::new(
                move |manager: SessionManager, id: SessionId, admission: Admission| {
                    let make = Arc::clone(&make);
                    Box::pin(async move {
                        manager
                            .get_or_start_session_admitted(&id, move || make(), admission)
                            .await
                    })
                },
            ),
            session_type: std::any::type_name::<A>(),
        }
    }

    /// The live session `id`, started first (as `admission` says) if needed.
    pub(crate) async fn start(
        &self,
        manager: &SessionManager,
        id: &SessionId,
        admission: Admission,
    ) -> Result<SessionHandle, SessionError> {
        (self.start)(manager.clone(), id.clone(), admission).await
    }
}

impl fmt::Debug for AutoStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AutoStart")
            .field("session_type", &self.session_type)
            .finish()
    }
}

/// Everything a layer and its extractors share, behind one `Arc`.
pub(crate) struct LayerConfig {
    pub(crate) manager: SessionManager,
    pub(crate) cookie: CookieCodec,
    pub(crate) auto_start: Option<AutoStart>,
    pub(crate) dev_mode: bool,
    pub(crate) cross_site: CrossSitePolicy,
    /// The absolute lifetime given to every session the layer starts.
    pub(crate) max_lifetime: Option<Duration>,
    pub(crate) rotations: RecentRotations,
    /// Admits the sessions the layer starts (per-client limit, eviction).
    pub(crate) creation: CreationGate,
    /// Throttles the logging of client-caused events.
    pub(crate) logs: LogThrottle,
}

impl LayerConfig {
    /// The scheme the site is served over, as browsers see it: `https` when the cookie is
    /// `Secure` (whatever the hop to the app speaks), `http` otherwise.
    pub(crate) fn scheme(&self) -> &'static str {
        if self.cookie.secure() {
            "https"
        } else {
            "http"
        }
    }
}

impl fmt::Debug for LayerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the manager itself: its registry is keyed by raw session IDs.
        f.debug_struct("LayerConfig")
            .field("live_sessions", &self.manager.count())
            .field("cookie", &self.cookie)
            .field("auto_start", &self.auto_start)
            .field("dev_mode", &self.dev_mode)
            .field("cross_site", &self.cross_site)
            .field("max_lifetime", &self.max_lifetime)
            .field("rotation_grace", &self.rotations.grace())
            .field("creation", &self.creation)
            .finish_non_exhaustive()
    }
}
