//! Watching a session end: [`EndReason`] and [`SessionWatch`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

/// Why a session ended, as told to [`SessionWatch`] and to telemetry.
///
/// # Examples
///
/// ```
/// use ractor_session::EndReason;
///
/// assert_eq!(EndReason::Expired.as_str(), "expired");
/// assert_eq!(EndReason::Crashed("boom".into()).to_string(), "crashed: boom");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndReason {
    /// Stopped on request: [`terminate`](crate::SessionManager::terminate), or the actor
    /// stopped itself.
    Terminated,
    /// Idle for longer than the idle timeout, or older than the absolute lifetime.
    Expired,
    /// The actor panicked or returned an error; the text says what happened. The session
    /// is not restarted: its state would be lost silently.
    Crashed(String),
    /// The manager shut down.
    Shutdown,
    /// The session was moved to a new ID; the watched ID is no longer valid. The session
    /// itself lives on under its new ID.
    Rotated,
    /// Ended to make room for a newcomer at `max_sessions`: it was started
    /// [provisional](crate::Admission::provisional) and never used by its ID again.
    Evicted,
    /// Ended with every other session of its user by
    /// [`terminate_user`](crate::SessionManager::terminate_user) ("log out everywhere").
    LoggedOut,
    /// Moved to another activation, which has its record now: in a cluster (feature
    /// `cluster`), handed over to the node that owns it after a node joined (its state
    /// written to the store first); or fenced off, when another manager on the same store
    /// revived it and this copy's next write was refused. It lives on there.
    HandedOver,
    /// In a cluster (feature `cluster`): the node that held the session went away. Its state
    /// is in the store as of its last write; it comes back on a surviving node at its next
    /// use, so a live page should reconnect rather than start over.
    NodeLost,
}

impl EndReason {
    /// A short lowercase label, as used in metrics (`terminated`, `expired`, `crashed`,
    /// `shutdown`, `rotated`, `evicted`, `logged_out`, `handed_over`, `node_lost`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session::EndReason::Shutdown.as_str(), "shutdown");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Terminated => "terminated",
            Self::Expired => "expired",
            Self::Crashed(_) => "crashed",
            Self::Shutdown => "shutdown",
            Self::Rotated => "rotated",
            Self::Evicted => "evicted",
            Self::LoggedOut => "logged_out",
            Self::HandedOver => "handed_over",
            Self::NodeLost => "node_lost",
        }
    }
}

impl EndReason {
    /// Whether a session ending this way keeps its stored record: it ended here but lives
    /// on (after a shutdown, or on another node).
    pub(crate) fn keeps_record(&self) -> bool {
        matches!(self, Self::Shutdown | Self::HandedOver | Self::NodeLost)
    }

    /// The reason its `Display` text names (`None` for a text no reason has).
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub(crate) fn from_display(text: &str) -> Option<Self> {
        if let Some(crash) = text.strip_prefix("crashed: ") {
            return Some(Self::Crashed(crash.to_owned()));
        }
        [
            Self::Terminated,
            Self::Expired,
            Self::Shutdown,
            Self::Rotated,
            Self::Evicted,
            Self::LoggedOut,
            Self::HandedOver,
            Self::NodeLost,
        ]
        .into_iter()
        .find(|reason| reason.as_str() == text)
    }
}

impl std::fmt::Display for EndReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Crashed(text) => write!(f, "crashed: {text}"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// Resolves with the [`EndReason`] when the watched session ends (or its ID is rotated).
///
/// Made by [`SessionManager::watch`](crate::SessionManager::watch). Any number of watches
/// may be held on one session; each costs one small channel, and dropping a watch is
/// enough to stop watching.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::{EndReason, SessionConfig, SessionManager};
///
/// let manager = SessionManager::spawn(SessionConfig::default()).await?;
/// manager.start("s1").await?;
/// let watch = manager.watch("s1").await?;
/// manager.terminate("s1").await?;
/// assert_eq!(watch.await, EndReason::Terminated);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a watch does nothing unless awaited"]
pub struct SessionWatch {
    state: WatchState,
}

#[derive(Debug)]
enum WatchState {
    Waiting(oneshot::Receiver<EndReason>),
    Ready(Option<EndReason>),
}

impl SessionWatch {
    pub(crate) fn waiting(rx: oneshot::Receiver<EndReason>) -> Self {
        Self {
            state: WatchState::Waiting(rx),
        }
    }

    pub(crate) fn ready(reason: EndReason) -> Self {
        Self {
            state: WatchState::Ready(Some(reason)),
        }
    }
}

impl Future for SessionWatch {
    type Output = EndReason;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<EndReason> {
        match &mut self.state {
            WatchState::Ready(reason) => {
                Poll::Ready(reason.take().expect("SessionWatch polled after completion"))
            }
            // A dropped sender means the session's bookkeeping went away without a word,
            // which only happens when the whole manager was dropped: call that a shutdown.
            WatchState::Waiting(rx) => Pin::new(rx)
                .poll(cx)
                .map(|r| r.unwrap_or(EndReason::Shutdown)),
        }
    }
}
