//! [`LiveUpgrade`]: checks a websocket request against the session and the Origin
//! allow-list before upgrading, then runs the live socket.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRef, FromRequestParts};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use ractor::Message as ActorMessage;
use ractor_session::{EndReason, SessionId};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::bound::BoundSession;
use crate::live::{LiveError, LiveSockets, Outbound, SocketId};
use crate::rejection::{MISSING_LAYER, safe_message};
use crate::request::RequestSession;
use crate::telemetry::{self, TARGET};

/// How long a closing socket waits for the browser's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Close code when a socket falls too far behind (RFC 6455 "Try Again Later").
const CLOSE_TOO_SLOW: u16 = 1013;

/// Why a live socket was closed by its session, as the browser sees it.
///
/// Before the close frame the socket receives the JSON text event
/// `{"event": "<event_name>", "reason": "<why>"}`.
///
/// | variant | event | close code | when |
/// |---|---|---|---|
/// | `Expired` | `session_expired` | 4001 | idle expiry, terminate (logout), crash |
/// | `Rotated` | `rotated` | 4002 | the session moved to a new ID: reconnect |
/// | `Shutdown` | `shutdown` | 4003 | the server's session manager shut down |
///
/// # Examples
///
/// ```
/// use ractor_session::EndReason;
/// use ractor_session_axum::LiveEnd;
///
/// let end = LiveEnd::from(&EndReason::Expired);
/// assert_eq!(end, LiveEnd::Expired);
/// assert_eq!((end.event_name(), end.close_code()), ("session_expired", 4001));
/// assert_eq!(LiveEnd::from(&EndReason::Rotated).close_code(), 4002);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LiveEnd {
    /// The session is over: expired, terminated or crashed.
    Expired,
    /// The session lives on under a new ID; the old socket must reconnect.
    Rotated,
    /// The server is shutting its sessions down.
    Shutdown,
}

impl LiveEnd {
    /// The close code of [`LiveEnd::Expired`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session_axum::LiveEnd::EXPIRED_CODE, 4001);
    /// ```
    pub const EXPIRED_CODE: u16 = 4001;
    /// The close code of [`LiveEnd::Rotated`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session_axum::LiveEnd::ROTATED_CODE, 4002);
    /// ```
    pub const ROTATED_CODE: u16 = 4002;
    /// The close code of [`LiveEnd::Shutdown`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session_axum::LiveEnd::SHUTDOWN_CODE, 4003);
    /// ```
    pub const SHUTDOWN_CODE: u16 = 4003;

    /// The websocket close code (4001, 4002 or 4003).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session_axum::LiveEnd::Shutdown.close_code(), 4003);
    /// ```
    #[must_use]
    pub fn close_code(self) -> u16 {
        match self {
            Self::Expired => Self::EXPIRED_CODE,
            Self::Rotated => Self::ROTATED_CODE,
            Self::Shutdown => Self::SHUTDOWN_CODE,
        }
    }

    /// The `event` field of the JSON event sent before the close frame.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session_axum::LiveEnd::Rotated.event_name(), "rotated");
    /// ```
    #[must_use]
    pub fn event_name(self) -> &'static str {
        match self {
            Self::Expired => "session_expired",
            Self::Rotated => "rotated",
            Self::Shutdown => "shutdown",
        }
    }

    fn close_reason(self) -> &'static str {
        match self {
            Self::Expired => "session expired",
            Self::Rotated => "session rotated",
            Self::Shutdown => "server shutting down",
        }
    }
}

impl From<&EndReason> for LiveEnd {
    fn from(reason: &EndReason) -> Self {
        match reason {
            EndReason::Rotated => Self::Rotated,
            EndReason::Shutdown => Self::Shutdown,
            _ => Self::Expired,
        }
    }
}

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
    /// Not a valid websocket upgrade request (axum's own status).
    #[error(transparent)]
    NotUpgrade(#[from] axum::extract::ws::rejection::WebSocketUpgradeRejection),
}

impl IntoResponse for LiveRejection {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::MissingLayer => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NoSession => StatusCode::UNAUTHORIZED,
            Self::ForbiddenOrigin => StatusCode::FORBIDDEN,
            Self::NotUpgrade(inner) => inner.status(),
        };
        if status.is_server_error() {
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
/// live session (401; a live socket never starts one), and that it is a websocket
/// upgrade. Then [`on_text`](Self::on_text), [`forward`](Self::forward) or plain
/// `into_response` upgrades it. The open socket:
/// - is listed under its session in [`LiveSockets`] until it closes;
/// - receives every event [`LiveSockets::push`] sends to its session;
/// - hands each text message from the browser to the app's handler, one at a time;
/// - when the session ends, receives `{"event":"session_expired"}` (or `rotated`,
///   `shutdown`) and then a close frame with code 4001 (4002, 4003); see [`LiveEnd`].
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
    session: BoundSession,
}

impl fmt::Debug for LiveUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveUpgrade")
            .field("session", &self.session.id().redacted())
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
        if !live.origin_allowed(&parts.headers, authority) {
            telemetry::live_refused("origin");
            return Err(LiveRejection::ForbiddenOrigin);
        }
        // Only a session the request came with: never one started for this request.
        let Some(session) = request.presented_live().cloned() else {
            telemetry::live_refused("no_session");
            return Err(LiveRejection::NoSession);
        };
        let upgrade = WebSocketUpgrade::from_request_parts(parts, state).await?;
        Ok(Self {
            upgrade,
            live,
            session,
        })
    }
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
        self.session.id()
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
            session,
        } = self;
        upgrade.on_upgrade(move |socket| run_socket(socket, live, session, handler))
    }

    /// Upgrades, decodes every text message from the browser with `decode` and casts the
    /// result to the session actor (which counts as activity). A message that does not
    /// decode, or cannot be delivered, is answered on this socket with
    /// `{"event": "error", "message": "..."}`.
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
        let session = self.session.clone();
        self.on_text(move |message: LiveMessage| {
            let outcome = match decode(message.text()) {
                Ok(msg) => session
                    .handle()
                    .and_then(|handle| handle.cast(msg))
                    .map_err(|e| safe_message(&e)),
                Err(e) => Err(format!("bad message: {e}")),
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

/// A text message from the browser on a live socket.
///
/// # Examples
///
/// ```
/// use ractor_session_axum::LiveMessage;
///
/// async fn handle(message: LiveMessage) {
///     if message.text() == "ping" {
///         let _ = message.reply(&serde_json::json!({"event": "pong"}));
///     }
/// }
/// ```
#[derive(Debug)]
pub struct LiveMessage {
    session: SessionId,
    socket: SocketId,
    text: Utf8Bytes,
    reply: mpsc::WeakSender<Outbound>,
}

impl LiveMessage {
    /// The session of the socket the message came on.
    ///
    /// # Examples
    ///
    /// ```
    /// async fn handle(message: ractor_session_axum::LiveMessage) {
    ///     tracing::debug!(session = %message.session_id().redacted());
    /// }
    /// ```
    #[must_use]
    pub fn session_id(&self) -> &SessionId {
        &self.session
    }

    /// The socket it came on.
    ///
    /// # Examples
    ///
    /// ```
    /// async fn handle(message: ractor_session_axum::LiveMessage) {
    ///     tracing::debug!(socket = %message.socket_id());
    /// }
    /// ```
    #[must_use]
    pub fn socket_id(&self) -> SocketId {
        self.socket
    }

    /// The text.
    ///
    /// # Examples
    ///
    /// ```
    /// async fn handle(message: ractor_session_axum::LiveMessage) {
    ///     let parsed: Result<serde_json::Value, _> = serde_json::from_str(message.text());
    /// }
    /// ```
    #[must_use]
    pub fn text(&self) -> &str {
        self.text.as_str()
    }

    /// Sends `event` as JSON to this socket only.
    ///
    /// # Errors
    ///
    /// [`LiveError::Serialize`]; [`LiveError::SocketGone`] if the socket has closed or its
    /// queue is full.
    ///
    /// # Examples
    ///
    /// ```
    /// async fn handle(message: ractor_session_axum::LiveMessage) {
    ///     let _ = message.reply(&serde_json::json!({"event": "ack"}));
    /// }
    /// ```
    pub fn reply<T: Serialize + ?Sized>(&self, event: &T) -> Result<(), LiveError> {
        let text = serde_json::to_string(event)?;
        let tx = self.reply.upgrade().ok_or(LiveError::SocketGone)?;
        tx.try_send(Outbound::Text(text.into()))
            .map_err(|_| LiveError::SocketGone)
    }
}

/// Runs one live socket until it closes or its session ends.
async fn run_socket<H, Fut>(
    mut socket: WebSocket,
    live: LiveSockets,
    bound: BoundSession,
    mut handler: H,
) where
    H: FnMut(LiveMessage) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let session = bound.id().clone();
    let (registration, mut outbound) = live.register(&session);
    let mut ended = match bound.watch() {
        Ok(watch) => watch,
        // It ended between the upgrade check and now.
        Err(_) => {
            close_with(&mut socket, LiveEnd::Expired, "gone").await;
            return;
        }
    };
    tracing::debug!(target: TARGET, session = %session.redacted(), socket = %registration.id, "live socket open");
    let cause = loop {
        tokio::select! {
            biased;
            reason = &mut ended => {
                close_with(&mut socket, LiveEnd::from(&reason), reason.as_str()).await;
                break LiveEnd::from(&reason).event_name();
            }
            event = outbound.recv() => match event {
                Some(Outbound::Text(text)) => {
                    if socket.send(Message::Text(text)).await.is_err() {
                        break "send_failed";
                    }
                }
                None => {
                    close_frame(&mut socket, CLOSE_TOO_SLOW, "too slow").await;
                    break "too_slow";
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    handler(LiveMessage {
                        session: session.clone(),
                        socket: registration.id,
                        text,
                        reply: registration.reply.clone(),
                    })
                    .await;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break "client",
                Some(Ok(_)) => {}
            },
        }
    };
    telemetry::live_closed(cause);
    tracing::debug!(target: TARGET, session = %session.redacted(), socket = %registration.id, cause, "live socket closed");
    drop(registration);
}

#[derive(Serialize)]
struct EndEvent<'a> {
    event: &'static str,
    reason: &'a str,
}

/// Tells the browser why, then closes with the matching code.
async fn close_with(socket: &mut WebSocket, end: LiveEnd, reason: &str) {
    let event = EndEvent {
        event: end.event_name(),
        reason,
    };
    if let Ok(text) = serde_json::to_string(&event) {
        if socket.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
    close_frame(socket, end.close_code(), end.close_reason()).await;
}

async fn close_frame(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    if socket.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    // Wait briefly for the browser's close frame so the TCP close is clean.
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}
