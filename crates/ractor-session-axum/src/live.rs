//! [`LiveSockets`]: the websockets open per session, their settings, and pushing.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::SystemTime;

use axum::extract::ws::Utf8Bytes;
use dashmap::DashMap;
use http::HeaderMap;
use ractor_session::SessionId;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::origin::OriginPolicy;
use crate::socket_limits::SocketLimits;
use crate::telemetry;
use crate::throttle::LogThrottle;

/// Identifies one live socket within a [`LiveSockets`].
///
/// # Examples
///
/// ```
/// use ractor_session_axum::{LiveSockets, SocketId};
///
/// fn ids(live: &LiveSockets, session: &ractor_session::SessionId) -> Vec<SocketId> {
///     live.sockets(session).into_iter().map(|s| s.id).collect()
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(u64);

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One row of [`LiveSockets::sockets`].
///
/// # Examples
///
/// ```
/// use ractor_session_axum::LiveSockets;
///
/// fn oldest(live: &LiveSockets, session: &ractor_session::SessionId) -> Option<std::time::SystemTime> {
///     live.sockets(session).iter().map(|s| s.connected_at).min()
/// }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LiveSocketInfo {
    /// The socket.
    pub id: SocketId,
    /// When it was opened.
    pub connected_at: SystemTime,
}

/// Why an event could not be pushed or a reply sent.
///
/// # Examples
///
/// ```
/// let err = ractor_session_axum::LiveError::SocketGone;
/// assert_eq!(err.to_string(), "the live socket has closed");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// The event could not be serialized to JSON.
    #[error("the live event could not be serialized: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The socket has closed (or was closed for falling behind).
    #[error("the live socket has closed")]
    SocketGone,
}

/// Why a socket could not be registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Full {
    /// Its session holds its maximum of sockets.
    Session,
    /// The maximum of sockets across all sessions is open.
    Total,
}

/// Outgoing frames queued for one socket.
#[derive(Debug)]
pub(crate) enum Outbound {
    Text(Utf8Bytes),
}

#[derive(Debug)]
struct SocketEntry {
    id: SocketId,
    tx: mpsc::Sender<Outbound>,
    connected_at: SystemTime,
}

struct Inner {
    sessions: DashMap<SessionId, Vec<SocketEntry>>,
    next_id: AtomicU64,
    total: AtomicUsize,
    origins: OriginPolicy,
    limits: SocketLimits,
    logs: LogThrottle,
    /// The cluster a push also goes out to.
    #[cfg(feature = "cluster")]
    cluster: std::sync::OnceLock<ractor_session::cluster::Cluster>,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The map is keyed by session IDs, which are secrets: show figures only.
        f.debug_struct("LiveSockets")
            .field("sessions", &self.sessions.len())
            .field("total", &self.total.load(Ordering::Relaxed))
            .field("origins", &self.origins)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The live websockets of every session, and the rules for opening one.
///
/// Put it in the router's state (the [`LiveUpgrade`](crate::LiveUpgrade) extractor finds
/// it through `FromRef`). Sockets register themselves when they open and leave when they
/// close; when their session ends each is told why and closed (see
/// [`LiveEnd`](crate::LiveEnd)). [`push`](Self::push) sends a JSON event to every socket of
/// a session. Cloning is cheap; all clones share the same sockets.
///
/// Origins: with no allow-list (the default), a websocket is accepted only from the page's
/// own origin (the `Origin` header's host and port equal the request's `Host`, and its
/// scheme is the site's: `https` when the session cookie is `Secure`, `http` otherwise);
/// with [`with_allowed_origin`](crate::LiveSocketsBuilder::with_allowed_origin), only from
/// the listed origins. A request without `Origin` (not a browser) is accepted unless
/// [`with_require_origin`](crate::LiveSocketsBuilder::with_require_origin) is set.
///
/// # Examples
///
/// ```
/// use ractor_session_axum::LiveSockets;
///
/// let live = LiveSockets::builder()
///     .with_allowed_origin("https://shop.example.com")
///     .build()?;
/// assert_eq!(live.total(), 0);
/// # Ok::<(), ractor_session_axum::LiveConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct LiveSockets {
    inner: Arc<Inner>,
}

impl Default for LiveSockets {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveSockets {
    /// Live sockets accepting the page's own origin only, with the default buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// let live = ractor_session_axum::LiveSockets::new();
    /// assert_eq!(live.total(), 0);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::from_parts(OriginPolicy::default(), SocketLimits::default())
    }

    pub(crate) fn from_parts(origins: OriginPolicy, limits: SocketLimits) -> Self {
        Self {
            inner: Arc::new(Inner {
                sessions: DashMap::new(),
                next_id: AtomicU64::new(1),
                total: AtomicUsize::new(0),
                origins,
                limits,
                logs: LogThrottle::default(),
                #[cfg(feature = "cluster")]
                cluster: std::sync::OnceLock::new(),
            }),
        }
    }

    /// How many live sockets `session` has.
    ///
    /// # Examples
    ///
    /// ```
    /// let live = ractor_session_axum::LiveSockets::new();
    /// assert_eq!(live.count("no-such-session"), 0);
    /// ```
    #[must_use]
    pub fn count(&self, session: impl AsRef<str>) -> usize {
        self.inner
            .sessions
            .get(session.as_ref())
            .map_or(0, |sockets| sockets.len())
    }

    /// The live sockets of `session`.
    ///
    /// # Examples
    ///
    /// ```
    /// let live = ractor_session_axum::LiveSockets::new();
    /// assert!(live.sockets("no-such-session").is_empty());
    /// ```
    #[must_use]
    pub fn sockets(&self, session: impl AsRef<str>) -> Vec<LiveSocketInfo> {
        self.inner
            .sessions
            .get(session.as_ref())
            .map(|sockets| {
                sockets
                    .iter()
                    .map(|s| LiveSocketInfo {
                        id: s.id,
                        connected_at: s.connected_at,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Live sockets across all sessions.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session_axum::LiveSockets::new().total(), 0);
    /// ```
    #[must_use]
    pub fn total(&self) -> usize {
        self.inner.total.load(Ordering::Relaxed)
    }

    /// Sends `event`, serialized to JSON text once, to every live socket of `session`;
    /// returns how many sockets it was queued for. A socket whose queue is full is closed
    /// (code 1013) rather than left to fall further behind.
    ///
    /// # Errors
    ///
    /// [`LiveError::Serialize`] if `event` does not serialize.
    ///
    /// # Examples
    ///
    /// ```
    /// use serde_json::json;
    ///
    /// let live = ractor_session_axum::LiveSockets::new();
    /// let reached = live.push("some-session", &json!({"event": "cart", "items": ["apple"]}))?;
    /// assert_eq!(reached, 0);
    /// # Ok::<(), ractor_session_axum::LiveError>(())
    /// ```
    pub fn push<T: Serialize + ?Sized>(
        &self,
        session: impl AsRef<str>,
        event: &T,
    ) -> Result<usize, LiveError> {
        let text = serde_json::to_string(event)?;
        Ok(self.push_text(session, text))
    }

    /// Sends `text` as is to every live socket of `session`; returns how many it was
    /// queued for.
    ///
    /// # Examples
    ///
    /// ```
    /// let live = ractor_session_axum::LiveSockets::new();
    /// assert_eq!(live.push_text("some-session", r#"{"event":"ping"}"#), 0);
    /// ```
    pub fn push_text(&self, session: impl AsRef<str>, text: impl Into<String>) -> usize {
        let text = text.into();
        #[cfg(feature = "cluster")]
        if let Some(cluster) = self.inner.cluster.get()
            && let Ok(id) = SessionId::parse(session.as_ref())
        {
            // The session's sockets on other nodes, through the nodes that watch it.
            cluster.publish(&id, &text);
        }
        self.deliver(session.as_ref(), text)
    }

    /// Queues `text` for every socket of `session` on this node.
    fn deliver(&self, session: &str, text: String) -> usize {
        let Some(mut sockets) = self.inner.sessions.get_mut(session) else {
            return 0;
        };
        let text = Utf8Bytes::from(text);
        let mut reached = 0;
        let before = sockets.len();
        sockets.retain(
            |socket| match socket.tx.try_send(Outbound::Text(text.clone())) {
                Ok(()) => {
                    reached += 1;
                    true
                }
                // Dropping its only sender makes the socket close itself as too slow.
                Err(mpsc::error::TrySendError::Full(_)) => false,
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            },
        );
        self.left(before - sockets.len());
        reached
    }

    /// Joins these live sockets to `cluster`: a push here also reaches the session's
    /// sockets on the other nodes, and the pushes of sessions owned elsewhere reach the
    /// sockets connected here. A socket whose session is owned by another node watches it
    /// there; when that node goes away the socket is closed with
    /// [`LiveEnd::Reconnect`](crate::LiveEnd::Reconnect), and the page's new socket finds
    /// the session on a surviving node. `false` when they already joined one.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn example(live: &ractor_session_axum::LiveSockets, cluster: &ractor_session::cluster::Cluster) {
    /// assert!(live.join_cluster(cluster));
    /// # }
    /// ```
    #[cfg(feature = "cluster")]
    pub fn join_cluster(&self, cluster: &ractor_session::cluster::Cluster) -> bool {
        if self.inner.cluster.set(cluster.clone()).is_err() {
            return false;
        }
        // Weak: the cluster holds its listener for as long as it lives.
        let inner = Arc::downgrade(&self.inner);
        cluster.on_published(move |id, text| {
            if let Some(inner) = inner.upgrade() {
                Self { inner }.deliver(id.as_str(), text.to_owned());
            }
        })
    }

    /// The cluster these live sockets joined.
    #[cfg(feature = "cluster")]
    pub(crate) fn cluster(&self) -> Option<&ractor_session::cluster::Cluster> {
        self.inner.cluster.get()
    }

    /// `count` sockets left the map: the total follows, so `total()` is always the sum
    /// of every session's `count()`.
    fn left(&self, count: usize) {
        for _ in 0..count {
            self.inner.total.fetch_sub(1, Ordering::Relaxed);
            telemetry::live_left();
        }
    }

    /// Registers a new socket of `session`, within the per-session and total caps; it
    /// leaves when the guard drops.
    pub(crate) fn register(
        &self,
        session: &SessionId,
    ) -> Result<(Registration, mpsc::Receiver<Outbound>), Full> {
        let inner = &self.inner;
        let limits = &inner.limits;
        // The session's shard lock is held from the count to the push, and the total is
        // reserved by compare-and-swap: racing upgrades never exceed either cap.
        let mut sockets = inner.sessions.entry(session.clone()).or_default();
        if sockets.len() >= limits.per_session {
            return Err(Full::Session);
        }
        let reserved = inner
            .total
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < limits.total).then_some(n + 1)
            });
        if reserved.is_err() {
            return Err(Full::Total);
        }
        let (tx, rx) = mpsc::channel(limits.buffer);
        let id = SocketId(inner.next_id.fetch_add(1, Ordering::Relaxed));
        let reply = tx.downgrade();
        sockets.push(SocketEntry {
            id,
            tx,
            connected_at: SystemTime::now(),
        });
        drop(sockets);
        telemetry::live_opened();
        let registration = Registration {
            live: self.clone(),
            session: session.clone(),
            id,
            reply,
        };
        Ok((registration, rx))
    }

    /// The most sockets any one session holds: a walk over the sessions that hold any.
    #[cfg(feature = "dashboard")]
    pub(crate) fn busiest(&self) -> usize {
        let sessions = self.inner.sessions.iter();
        sessions.map(|sockets| sockets.len()).max().unwrap_or(0)
    }

    pub(crate) fn limits(&self) -> &SocketLimits {
        &self.inner.limits
    }

    pub(crate) fn logs(&self) -> &LogThrottle {
        &self.inner.logs
    }

    pub(crate) fn origin_allowed(
        &self,
        headers: &HeaderMap,
        authority: Option<&str>,
        scheme: &str,
    ) -> bool {
        self.inner.origins.allows(headers, authority, scheme)
    }
}

/// A socket's place in [`LiveSockets`]; dropping it takes the socket out.
pub(crate) struct Registration {
    live: LiveSockets,
    session: SessionId,
    pub(crate) id: SocketId,
    /// Lets the app answer this socket without keeping its queue open.
    pub(crate) reply: mpsc::WeakSender<Outbound>,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("session", &self.session.redacted())
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let sessions = &self.live.inner.sessions;
        let mut removed = 0;
        if let Some(mut sockets) = sessions.get_mut(&self.session) {
            let before = sockets.len();
            sockets.retain(|s| s.id != self.id);
            removed = before - sockets.len();
        }
        // The shard guard above is gone: removing under the same shard is safe now.
        sessions.remove_if(&self.session, |_, sockets| sockets.is_empty());
        // A socket a push dropped for falling behind has left the count already.
        self.live.left(removed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sockets_register_push_and_leave() {
        let live = LiveSockets::new();
        let a = SessionId::generate();
        let b = SessionId::generate();
        let (ra, mut rxa) = live.register(&a).unwrap();
        let (rb, mut rxb) = live.register(&b).unwrap();
        assert_eq!((live.count(&a), live.count(&b), live.total()), (1, 1, 2));
        assert_eq!(live.push_text(&a, "hi"), 1);
        let Some(Outbound::Text(text)) = rxa.recv().await else {
            panic!("no event")
        };
        assert_eq!(text.as_str(), "hi");
        assert!(rxb.try_recv().is_err());
        drop(ra);
        assert_eq!(live.count(&a), 0);
        assert!(live.inner.sessions.get(&a).is_none());
        drop(rb);
        assert_eq!(live.total(), 0);
    }

    #[tokio::test]
    async fn a_socket_that_falls_behind_is_dropped() {
        let live = LiveSockets::builder().with_buffer(2).build().unwrap();
        let s = SessionId::generate();
        let (reg, mut rx) = live.register(&s).unwrap();
        assert_eq!(live.push_text(&s, "1"), 1);
        assert_eq!(live.push_text(&s, "2"), 1);
        assert_eq!(live.push_text(&s, "3"), 0);
        assert_eq!(
            (live.count(&s), live.total()),
            (0, 0),
            "count and total agree"
        );
        drop(reg);
        assert_eq!(live.total(), 0, "it left once");
        assert!(rx.recv().await.is_some());
        assert!(rx.recv().await.is_some());
        assert!(rx.recv().await.is_none(), "the queue closes once drained");
    }

    #[test]
    fn the_caps_hold_per_session_and_in_total() {
        let live = LiveSockets::builder()
            .with_max_per_session(2)
            .with_max_total(3)
            .build()
            .unwrap();
        let (a, b) = (SessionId::generate(), SessionId::generate());
        let a1 = live.register(&a).unwrap();
        let _a2 = live.register(&a).unwrap();
        assert_eq!(live.register(&a).err(), Some(Full::Session));
        let _b1 = live.register(&b).unwrap();
        assert_eq!(live.register(&b).err(), Some(Full::Total));
        assert_eq!(live.total(), 3);
        drop(a1);
        assert!(live.register(&b).is_ok(), "a place is free again");
    }
}
