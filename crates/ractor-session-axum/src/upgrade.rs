//! [`LiveUpgrade`]: checks a websocket request against the session and the Origin
//! allow-list before upgrading, then hands the socket to the loop that runs it.

use std::fmt;
use std::future::Future;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRef, FromRequestParts};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use ractor::Message as ActorMessage;
use ractor_session::SessionId;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::live::{Full, LiveSockets, Outbound, Registration};
use crate::live_target::LiveTarget;
use crate::rejection::{MISSING_LAYER, SessionRejection, safe_message};
use crate::request::RequestSession;
use crate::socket::{LiveMessage, run_socket};
use crate::telemetry::{self, TARGET};

/// Why [`LiveUpgrade`] refused a websocket request; nothing was upgraded.
///
/// # Examples
///
/// ```
/// use axum::response::IntoResponse;
/// use ractor_session_axum::LiveRejection;
///
/// assert_eq!(LiveRejection::NoSession.into_response().status(), 401);
/// assert_eq!(LiveRejection::ForbiddenOrigin.into_response().status(), 403);
/// assert_eq!(LiveRejection::TooManySessionSockets.into_response().status(), 429);
/// assert_eq!(LiveRejection::TooManySockets.into_response().status(), 503);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveRejection {
    /// No [`SessionLayer`](crate::SessionLayer) ran for this request (500).
    #[error("{}", MISSING_LAYER)]
    MissingLayer,
    /// The request did not come with a valid cookie of a live session (401). A live
    /// socket never starts a session: load a page first.
    #[error("no session: a live socket needs the cookie of a live session")]
    NoSession,
    /// The `Origin` header is not allowed (403).
    #[error("forbidden origin: this page's origin may not open live sockets here")]
    ForbiddenOrigin,
    /// The session holds as many live sockets as it may (429); see
    /// [`with_max_per_session`](crate::LiveSocketsBuilder::with_max_per_session).
    #[error("too many live sockets for this session: close a tab and retry")]
    TooManySessionSockets,
    /// As many live sockets are open as the server allows (503); see
    /// [`with_max_total`](crate::LiveSocketsBuilder::with_max_total).
    #[error("the server holds as many live sockets as it allows: retry later")]
    TooManySockets,
    /// Not a valid websocket upgrade request (axum's own status).
    #[error(transparent)]
    NotUpgrade(#[from] axum::extract::ws::rejection::WebSocketUpgradeRejection),
    /// The session the cookie names could not be found: with a session store, the store
    /// failed (503) or holds a record that cannot be revived (500). Retry later.
    #[error(transparent)]
    Session(#[from] SessionRejection),
}

impl IntoResponse for LiveRejection {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::MissingLayer => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NoSession => StatusCode::UNAUTHORIZED,
            Self::ForbiddenOrigin => StatusCode::FORBIDDEN,
            Self::TooManySessionSockets => StatusCode::TOO_MANY_REQUESTS,
            Self::TooManySockets => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotUpgrade(inner) => inner.status(),
            Self::Session(rejection) => rejection.status(),
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(target: TARGET, error = %self, "live socket request failed");
        }
        (status, self.to_string()).into_response()
    }
}

/// A websocket upgrade bound to this request's session: the LiveView-style live socket.
///
/// Extraction checks, in order and before anything is upgraded: that the
/// [`SessionLayer`](crate::SessionLayer) ran (500), that the `Origin` is allowed by the
/// [`LiveSockets`] in the router state (403), that the request came with the cookie of a
/// live session (401; a live socket never starts one), that it is a websocket
/// upgrade, and that the session (429) and the server (503) have room for one more
/// socket — the place is taken then, so racing upgrades never exceed the caps. Then [`on_text`](Self::on_text), [`forward`](Self::forward) or plain
/// `into_response` upgrades it. The open socket:
/// - is listed under its session in [`LiveSockets`] until it closes;
/// - receives every event [`LiveSockets::push`] sends to its session;
/// - hands each text message from the browser to the app's handler, one at a time;
/// - when the session ends, receives `{"event":"session_expired"}` (or `rotated`,
///   `shutdown`) and then a close frame with code 4001 (4002, 4003); see [`LiveEnd`](crate::LiveEnd).
///
/// Browser messages do not count as session activity by themselves; what the handler does
/// with the session (a `cast` or `call`) does.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use axum::{Router, response::Response, routing::get};
/// use ractor_session_axum::{LiveMessage, LiveSockets, LiveUpgrade, SessionLayer};
///
/// async fn live(upgrade: LiveUpgrade) -> Response {
///     upgrade.on_text(|message: LiveMessage| async move {
///         let _ = message.reply(&serde_json::json!({"event": "echo", "text": message.text()}));
///     })
/// }
///
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// let app: Router = Router::new()
///     .route("/live", get(live))
///     .with_state(LiveSockets::new())
///     .layer(SessionLayer::builder(manager.clone()).with_dev_mode().build()?);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct LiveUpgrade {
    upgrade: WebSocketUpgrade,
    live: LiveSockets,
    target: LiveTarget,
    slot: Slot,
}

/// A socket's place in [`LiveSockets`], taken before the upgrade.
type Slot = (Registration, mpsc::Receiver<Outbound>);

/// Each socket's read buffer: browser events are small, and tungstenite's default of
/// 128 KiB per socket was most of what an idle socket cost.
const READ_BUFFER: usize = 4 * 1024;

impl fmt::Debug for LiveUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveUpgrade")
            .field("session", &self.target.id().redacted())
            .finish_non_exhaustive()
    }
}

impl<S> FromRequestParts<S> for LiveUpgrade
where
    S: Send + Sync,
    LiveSockets: FromRef<S>,
{
    type Rejection = LiveRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let request = RequestSession::from_parts(parts).map_err(|_| LiveRejection::MissingLayer)?;
        let live = LiveSockets::from_ref(state);
        let authority = parts.uri.authority().map(|a| a.as_str());
        let scheme = request.config().scheme();
        if !live.origin_allowed(&parts.headers, authority, scheme) {
            telemetry::live_refused(live.logs(), "origin");
            return Err(LiveRejection::ForbiddenOrigin);
        }
        // Only a session the request came with (revived first if only stored): never one
        // started for this request.
        request.settle().await?;
        let target = match request.presented_live().cloned() {
            Some(session) => LiveTarget::Local(session),
            None => match remote_target(&request, &live).await? {
                Some(target) => target,
                None => {
                    telemetry::live_refused(live.logs(), "no_session");
                    return Err(LiveRejection::NoSession);
                }
            },
        };
        let limits = live.limits();
        let upgrade = WebSocketUpgrade::from_request_parts(parts, state)
            .await?
            .max_message_size(limits.max_message)
            .max_frame_size(limits.max_message)
            .read_buffer_size(READ_BUFFER);
        let slot = live.register(target.id()).map_err(|full| {
            let (reason, rejection) = match full {
                Full::Session => ("session_sockets", LiveRejection::TooManySessionSockets),
                Full::Total => ("total_sockets", LiveRejection::TooManySockets),
            };
            telemetry::live_refused(live.logs(), reason);
            rejection
        })?;
        Ok(Self {
            upgrade,
            live,
            target,
            slot,
        })
    }
}

/// In a cluster: the session the cookie names when another node owns it, watched there.
#[cfg(feature = "cluster")]
async fn remote_target(
    request: &RequestSession,
    live: &LiveSockets,
) -> Result<Option<LiveTarget>, LiveRejection> {
    let (Some(id), Some(cluster)) = (request.remote_id(), live.cluster()) else {
        return Ok(None);
    };
    match cluster.watch(&id).await {
        Ok(watch) => Ok(Some(LiveTarget::Remote { id, watch })),
        Err(ractor_session::SessionError::SessionNotFound { .. }) => Ok(None),
        Err(other) => Err(LiveRejection::Session(other.into())),
    }
}

#[cfg(not(feature = "cluster"))]
async fn remote_target(
    _request: &RequestSession,
    _live: &LiveSockets,
) -> Result<Option<LiveTarget>, LiveRejection> {
    Ok(None)
}

impl LiveUpgrade {
    /// The session this socket will belong to.
    ///
    /// # Examples
    ///
    /// ```
    /// use axum::response::{IntoResponse, Response};
    /// use ractor_session_axum::LiveUpgrade;
    ///
    /// async fn live(upgrade: LiveUpgrade) -> Response {
    ///     tracing::debug!(session = %upgrade.session_id().redacted(), "live socket");
    ///     upgrade.into_response()
    /// }
    /// ```
    #[must_use]
    pub fn session_id(&self) -> &SessionId {
        self.target.id()
    }

    /// Upgrades, and calls `handler` for every text message from the browser, one at a
    /// time, in order. Binary messages are ignored.
    ///
    /// # Examples
    ///
    /// ```
    /// use axum::response::Response;
    /// use ractor_session_axum::{LiveMessage, LiveUpgrade};
    ///
    /// async fn live(upgrade: LiveUpgrade) -> Response {
    ///     upgrade.on_text(|message: LiveMessage| async move {
    ///         tracing::info!(socket = %message.socket_id(), len = message.text().len(), "from the browser");
    ///     })
    /// }
    /// ```
    pub fn on_text<H, Fut>(self, handler: H) -> Response
    where
        H: FnMut(LiveMessage) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Self {
            upgrade,
            live,
            target,
            slot,
        } = self;
        upgrade.on_upgrade(move |socket| run_socket(socket, live, target, slot, handler))
    }

    /// Upgrades, decodes every text message from the browser with `decode` and casts the
    /// result to the session actor (which counts as activity). A message that does not
    /// decode, or cannot be delivered, is answered on this socket with
    /// `{"event": "error", "message": "..."}`.
    ///
    /// A session's mailbox has no bound, so what a socket may cast is bounded by its
    /// message rate ([`with_message_rate`](crate::LiveSocketsBuilder::with_message_rate),
    /// by default 20 a second in bursts of 60): past it the socket is closed with 1008.
    ///
    /// # Examples
    ///
    /// ```
    /// use axum::response::Response;
    /// use ractor_session::KvMsg;
    /// use ractor_session_axum::LiveUpgrade;
    ///
    /// // The browser sends {"key": ..., "value": ...}; the session stores it.
    /// async fn live(upgrade: LiveUpgrade) -> Response {
    ///     upgrade.forward(|text: &str| {
    ///         let v: serde_json::Value = serde_json::from_str(text)?;
    ///         let key = v["key"].as_str().unwrap_or_default().to_owned();
    ///         Ok::<_, serde_json::Error>(KvMsg::put(key, v["value"].clone()))
    ///     })
    /// }
    /// ```
    pub fn forward<M, D, E>(self, decode: D) -> Response
    where
        M: ActorMessage,
        D: Fn(&str) -> Result<M, E> + Send + 'static,
        E: fmt::Display,
    {
        let session = self.target.local().cloned();
        self.on_text(move |message: LiveMessage| {
            let outcome = match (decode(message.text()), &session) {
                (Ok(msg), Some(session)) => session
                    .handle()
                    .and_then(|handle| handle.cast(msg))
                    .map_err(|e| safe_message(&e)),
                // Its actor is on another node, which cannot take local messages.
                (Ok(_), None) => Err(
                    "this session lives on another node of the cluster: its socket takes \
                     requests (`on_text` with `SessionManager::request`), not messages"
                        .to_owned(),
                ),
                (Err(e), _) => Err(format!("bad message: {e}")),
            };
            async move {
                if let Err(text) = outcome {
                    let _ = message.reply(&ErrorEvent {
                        event: "error",
                        message: &text,
                    });
                }
            }
        })
    }
}

#[derive(Serialize)]
struct ErrorEvent<'a> {
    event: &'static str,
    message: &'a str,
}

impl IntoResponse for LiveUpgrade {
    /// Upgrades without handling browser messages: a push-only live socket.
    fn into_response(self) -> Response {
        self.on_text(|_message: LiveMessage| async {})
    }
}
