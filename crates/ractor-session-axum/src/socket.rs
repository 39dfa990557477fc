//! A live socket once upgraded: [`LiveMessage`] from the browser, the loop that runs the
//! socket until it closes or its session ends, and [`LiveEnd`], why the session closed it.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use ractor_session::{EndReason, SessionId};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::live::{LiveError, LiveSockets, Outbound, Registration, SocketId};
use crate::live_target::LiveTarget;
use crate::telemetry::{self, TARGET};
use crate::throttle::{DirectLimiter, TokioClock};

/// How long a closing socket waits for the browser's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Close code when a socket falls too far behind (RFC 6455 "Try Again Later").
const CLOSE_TOO_SLOW: u16 = 1013;

/// Close code when a browser sends messages faster than its rate (RFC 6455 "Policy
/// Violation").
const CLOSE_POLICY: u16 = 1008;

/// Close code when a browser's message or frame is over the size limit (RFC 6455
/// "Message Too Big").
const CLOSE_TOO_BIG: u16 = 1009;

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
/// | `LoggedOut` | `logged_out` | 4004 | every session of its user was ended ("log out everywhere") |
/// | `Reconnect` | `reconnect` | 4005 | in a cluster, the session moved to another node (its node went away, or a node joined): reconnect |
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
    /// Every session of the session's user was ended
    /// ([`SessionManager::terminate_user`](ractor_session::SessionManager::terminate_user)):
    /// show the login page.
    LoggedOut,
    /// The session lives on, on another node of the cluster (its node went away, or it
    /// was handed over to a node that joined): reconnect, and the new socket finds it.
    Reconnect,
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
    /// The close code of [`LiveEnd::LoggedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session_axum::LiveEnd::LOGGED_OUT_CODE, 4004);
    /// ```
    pub const LOGGED_OUT_CODE: u16 = 4004;

    /// The close code of [`LiveEnd::Reconnect`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session_axum::LiveEnd::RECONNECT_CODE, 4005);
    /// ```
    pub const RECONNECT_CODE: u16 = 4005;

    /// The websocket close code (4001 to 4005).
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
            Self::LoggedOut => Self::LOGGED_OUT_CODE,
            Self::Reconnect => Self::RECONNECT_CODE,
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
            Self::LoggedOut => "logged_out",
            Self::Reconnect => "reconnect",
        }
    }

    fn close_reason(self) -> &'static str {
        match self {
            Self::Expired => "session expired",
            Self::Rotated => "session rotated",
            Self::Shutdown => "server shutting down",
            Self::LoggedOut => "logged out",
            Self::Reconnect => "session moved to another node",
        }
    }
}

impl From<&EndReason> for LiveEnd {
    fn from(reason: &EndReason) -> Self {
        match reason {
            EndReason::Rotated => Self::Rotated,
            EndReason::Shutdown => Self::Shutdown,
            EndReason::LoggedOut => Self::LoggedOut,
            EndReason::NodeLost | EndReason::HandedOver => Self::Reconnect,
            _ => Self::Expired,
        }
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
pub struct LiveMessage {
    session: SessionId,
    socket: SocketId,
    text: Utf8Bytes,
    reply: mpsc::WeakSender<Outbound>,
}

impl fmt::Debug for LiveMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The session ID is a bearer secret: show its hash only; the text is the browser's.
        f.debug_struct("LiveMessage")
            .field("session", &self.session.redacted())
            .field("socket", &self.socket)
            .field("text_len", &self.text.len())
            .finish_non_exhaustive()
    }
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

/// Runs one live socket until it closes, its session ends, or it breaks a bound.
///
/// Every send — events, replies, the close frame — has a timeout, so a browser that stops
/// reading cannot hold the task: the socket is closed as too slow (1013) and, when even
/// the close frame cannot go, dropped. The app's message handler is raced with the
/// session's end, so the socket ends with its session whatever the handler awaits.
pub(crate) async fn run_socket<H, Fut>(
    mut socket: WebSocket,
    live: LiveSockets,
    target: LiveTarget,
    (registration, mut outbound): (Registration, mpsc::Receiver<Outbound>),
    mut handler: H,
) where
    H: FnMut(LiveMessage) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let session = target.id().clone();
    let limits = live.limits();
    let timeout = limits.send_timeout;
    let rate = limits
        .messages
        .map(|quota| DirectLimiter::direct_with_clock(quota, TokioClock));
    // An open socket keeps its session active: never parked by passivation.
    let _pin = target.pin();
    let mut ended = match target.watch() {
        Ok(watch) => watch,
        // It ended between the upgrade check and now.
        Err(_) => {
            close_with(&mut socket, LiveEnd::Expired, "gone", timeout).await;
            return;
        }
    };
    tracing::debug!(target: TARGET, session = %session.redacted(), socket = %registration.id, "live socket open");
    let cause = loop {
        tokio::select! {
            biased;
            reason = &mut ended => break session_ended(&mut socket, &reason, timeout).await,
            event = outbound.recv() => match event {
                Some(Outbound::Text(text)) => {
                    // A send to a browser that has stopped reading waits: the session's
                    // end must still get through.
                    let sent = tokio::select! {
                        biased;
                        reason = &mut ended => Err(reason),
                        sent = send(&mut socket, Message::Text(text), timeout) => Ok(sent),
                    };
                    match sent {
                        Ok(Ok(())) => {}
                        Ok(Err(Unsent::TimedOut)) => {
                            close_frame(&mut socket, CLOSE_TOO_SLOW, "too slow", timeout).await;
                            break "too_slow";
                        }
                        Ok(Err(Unsent::Failed)) => break "send_failed",
                        Err(reason) => break session_ended(&mut socket, &reason, timeout).await,
                    }
                }
                // A push found its queue full and dropped it.
                None => {
                    close_frame(&mut socket, CLOSE_TOO_SLOW, "too slow", timeout).await;
                    break "too_slow";
                }
            },
            incoming = socket.recv() => {
                let message = match incoming {
                    Some(Ok(Message::Close(_))) | None => break "client",
                    Some(Ok(message)) => message,
                    Some(Err(error)) if is_too_big(&error) => {
                        close_frame(&mut socket, CLOSE_TOO_BIG, "message too big", timeout).await;
                        break "too_big";
                    }
                    Some(Err(_)) => break "client",
                };
                // Every message counts, pings included: each costs the server work.
                if rate.as_ref().is_some_and(|rate| rate.check().is_err()) {
                    close_frame(&mut socket, CLOSE_POLICY, "too many messages", timeout).await;
                    break "too_many_messages";
                }
                let Message::Text(text) = message else { continue };
                let message = LiveMessage {
                    session: session.clone(),
                    socket: registration.id,
                    text,
                    reply: registration.reply.clone(),
                };
                tokio::select! {
                    biased;
                    reason = &mut ended => break session_ended(&mut socket, &reason, timeout).await,
                    () = handler(message) => {}
                }
            }
        }
    };
    telemetry::live_closed(cause);
    tracing::debug!(target: TARGET, session = %session.redacted(), socket = %registration.id, cause, "live socket closed");
    drop(registration);
}

/// Tells the browser its session ended and closes; the cause for telemetry.
async fn session_ended(
    socket: &mut WebSocket,
    reason: &EndReason,
    timeout: Duration,
) -> &'static str {
    let end = LiveEnd::from(reason);
    close_with(socket, end, reason.as_str(), timeout).await;
    end.event_name()
}

/// Whether a receive failed because the browser's message or frame was over the limit.
fn is_too_big(error: &axum::Error) -> bool {
    // axum's error wraps tungstenite's, which its `source` is.
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<tungstenite::Error>())
        .is_some_and(|error| matches!(error, tungstenite::Error::Capacity(_)))
}

/// Why a send did not go.
enum Unsent {
    /// The browser did not take it in time.
    TimedOut,
    /// The connection is gone.
    Failed,
}

async fn send(socket: &mut WebSocket, message: Message, timeout: Duration) -> Result<(), Unsent> {
    match tokio::time::timeout(timeout, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Unsent::Failed),
        Err(_) => Err(Unsent::TimedOut),
    }
}

#[derive(Serialize)]
struct EndEvent<'a> {
    event: &'static str,
    reason: &'a str,
}

/// Tells the browser why, then closes with the matching code.
async fn close_with(socket: &mut WebSocket, end: LiveEnd, reason: &str, timeout: Duration) {
    let event = EndEvent {
        event: end.event_name(),
        reason,
    };
    if let Ok(text) = serde_json::to_string(&event)
        && send(socket, Message::Text(text.into()), timeout)
            .await
            .is_err()
    {
        return;
    }
    close_frame(socket, end.close_code(), end.close_reason(), timeout).await;
}

async fn close_frame(socket: &mut WebSocket, code: u16, reason: &'static str, timeout: Duration) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    if send(socket, Message::Close(Some(frame)), timeout)
        .await
        .is_err()
    {
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
