//! The bounds of live sockets and their defaults: how many, how big their messages, how
//! fast, and how long a send may wait.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::Quota;

/// How many events may wait for one socket before it counts as too slow and is closed.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::DEFAULT_SOCKET_BUFFER, 64);
/// ```
pub const DEFAULT_SOCKET_BUFFER: usize = 64;

/// Live sockets one session may hold open at once (one per tab, usually).
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::DEFAULT_SOCKETS_PER_SESSION, 16);
/// ```
pub const DEFAULT_SOCKETS_PER_SESSION: usize = 16;

/// Live sockets open at once across all sessions.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::DEFAULT_MAX_SOCKETS, 10_000);
/// ```
pub const DEFAULT_MAX_SOCKETS: usize = 10_000;

/// The largest message (and frame) a browser may send on a live socket, in bytes.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::DEFAULT_MAX_MESSAGE_SIZE, 16 * 1024);
/// ```
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 * 1024;

/// How long one send to a browser may wait before the socket counts as too slow.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::DEFAULT_SEND_TIMEOUT, std::time::Duration::from_secs(10));
/// ```
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Messages per second a browser may send on one socket, on average, and in a burst.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::DEFAULT_MESSAGE_RATE, (20, 60));
/// ```
pub const DEFAULT_MESSAGE_RATE: (u32, u32) = (20, 60);

/// The bounds of live sockets, as a [`LiveSockets`](crate::LiveSockets) enforces them.
#[derive(Clone, Debug)]
pub(crate) struct SocketLimits {
    pub(crate) buffer: usize,
    pub(crate) per_session: usize,
    pub(crate) total: usize,
    pub(crate) max_message: usize,
    pub(crate) send_timeout: Duration,
    pub(crate) messages: Option<Quota>,
}

impl Default for SocketLimits {
    fn default() -> Self {
        let (per_second, burst) = DEFAULT_MESSAGE_RATE;
        Self {
            buffer: DEFAULT_SOCKET_BUFFER,
            per_session: DEFAULT_SOCKETS_PER_SESSION,
            total: DEFAULT_MAX_SOCKETS,
            max_message: DEFAULT_MAX_MESSAGE_SIZE,
            send_timeout: DEFAULT_SEND_TIMEOUT,
            messages: message_quota(per_second, burst),
        }
    }
}

pub(crate) fn message_quota(per_second: u32, burst: u32) -> Option<Quota> {
    let quota = Quota::per_second(NonZeroU32::new(per_second)?);
    Some(quota.allow_burst(NonZeroU32::new(burst)?))
}
