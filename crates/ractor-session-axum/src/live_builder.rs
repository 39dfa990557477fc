//! [`LiveSocketsBuilder`]: the origin rules and the bounds of live sockets — how many,
//! how big their messages, how fast, and how long a send may wait.

use std::time::Duration;

use crate::live::LiveSockets;
use crate::origin::{OriginPolicy, normalize_origin};
use crate::socket_limits::{SocketLimits, message_quota};

/// Why a [`LiveSockets`] configuration was refused.
///
/// # Examples
///
/// ```
/// use ractor_session_axum::{LiveConfigError, LiveSockets};
///
/// let err = LiveSockets::builder().with_allowed_origin("example.com").build().unwrap_err();
/// assert!(matches!(err, LiveConfigError::InvalidOrigin { .. }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveConfigError {
    /// An allowed origin is not `http(s)://host[:port]`.
    #[error(
        "invalid allowed origin {origin:?}: write it as the browser sends it, \
         `scheme://host[:port]` with scheme http or https and no path (e.g. `https://example.com`)"
    )]
    InvalidOrigin {
        /// The origin given.
        origin: String,
    },
    /// A zero socket buffer.
    #[error("the live socket buffer must hold at least one event")]
    ZeroBuffer,
    /// A bound of zero where at least one is needed.
    #[error("`{setting}` must be greater than zero")]
    Zero {
        /// The setting.
        setting: &'static str,
    },
}

/// Configures [`LiveSockets`]; made by [`LiveSockets::builder`].
///
/// | setting | default | when exceeded |
/// |---|---|---|
/// | [`with_max_per_session`](Self::with_max_per_session) | 16 sockets | the upgrade is refused with 429 |
/// | [`with_max_total`](Self::with_max_total) | 10,000 sockets | the upgrade is refused with 503 |
/// | [`with_max_message_size`](Self::with_max_message_size) | 16 KiB (messages and frames) | closed with 1009 |
/// | [`with_message_rate`](Self::with_message_rate) | 20 messages/s, bursts of 60 | closed with 1008 |
/// | [`with_buffer`](Self::with_buffer) | 64 queued events | closed with 1013 |
/// | [`with_send_timeout`](Self::with_send_timeout) | 10 s per send | closed with 1013 (or dropped, if even the close frame can't go) |
///
/// # Examples
///
/// ```
/// let live = ractor_session_axum::LiveSockets::builder()
///     .with_allowed_origin("http://127.0.0.1:3000")
///     .with_allowed_origin("http://localhost:3000")
///     .with_buffer(16)
///     .with_max_per_session(4)
///     .build()?;
/// # Ok::<(), ractor_session_axum::LiveConfigError>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct LiveSocketsBuilder {
    origins: Vec<String>,
    require_origin: bool,
    limits: SocketLimits,
}

impl LiveSockets {
    /// Configures origins, buffering and the bounds of sockets.
    ///
    /// # Examples
    ///
    /// ```
    /// let live = ractor_session_axum::LiveSockets::builder().with_require_origin(true).build()?;
    /// # Ok::<(), ractor_session_axum::LiveConfigError>(())
    /// ```
    pub fn builder() -> LiveSocketsBuilder {
        LiveSocketsBuilder {
            origins: Vec::new(),
            require_origin: false,
            limits: SocketLimits::default(),
        }
    }
}

impl LiveSocketsBuilder {
    /// Accepts websockets from `origin` (`scheme://host[:port]`). Once any origin is
    /// listed, only listed origins are accepted.
    ///
    /// # Examples
    ///
    /// ```
    /// let live = ractor_session_axum::LiveSockets::builder()
    ///     .with_allowed_origin("https://example.com")
    ///     .build()?;
    /// # Ok::<(), ractor_session_axum::LiveConfigError>(())
    /// ```
    pub fn with_allowed_origin(mut self, origin: impl Into<String>) -> Self {
        self.origins.push(origin.into());
        self
    }

    /// Refuses (403) websocket requests without an `Origin` header. Browsers always send
    /// one; other clients can send any, so this mostly turns away non-browser clients.
    ///
    /// # Examples
    ///
    /// ```
    /// let live = ractor_session_axum::LiveSockets::builder().with_require_origin(true).build()?;
    /// # Ok::<(), ractor_session_axum::LiveConfigError>(())
    /// ```
    pub fn with_require_origin(mut self, require: bool) -> Self {
        self.require_origin = require;
        self
    }

    /// How many events may wait for one socket (default 64) before it is closed as too slow.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = ractor_session_axum::LiveSockets::builder().with_buffer(0).build();
    /// assert!(err.is_err());
    /// ```
    pub fn with_buffer(mut self, events: usize) -> Self {
        self.limits.buffer = events;
        self
    }

    /// How many live sockets one session may hold open (default 16); one more is refused
    /// with 429 before the upgrade.
    ///
    /// # Examples
    ///
    /// ```
    /// let live = ractor_session_axum::LiveSockets::builder().with_max_per_session(4).build()?;
    /// # Ok::<(), ractor_session_axum::LiveConfigError>(())
    /// ```
    pub fn with_max_per_session(mut self, sockets: usize) -> Self {
        self.limits.per_session = sockets;
        self
    }

    /// How many live sockets may be open at once across all sessions (default 10,000);
    /// one more is refused with 503 before the upgrade.
    ///
    /// # Examples
    ///
    /// ```
    /// let live = ractor_session_axum::LiveSockets::builder().with_max_total(50_000).build()?;
    /// # Ok::<(), ractor_session_axum::LiveConfigError>(())
    /// ```
    pub fn with_max_total(mut self, sockets: usize) -> Self {
        self.limits.total = sockets;
        self
    }

    /// The largest message, and frame, a browser may send, in bytes (default 16 KiB); a
    /// larger one closes the socket with 1009 ("message too big").
    ///
    /// # Examples
    ///
    /// ```
    /// let live = ractor_session_axum::LiveSockets::builder().with_max_message_size(64 * 1024).build()?;
    /// # Ok::<(), ractor_session_axum::LiveConfigError>(())
    /// ```
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.limits.max_message = bytes;
        self
    }

    /// How many messages per second a browser may send on one socket, on average, and in
    /// a burst (default 20 and 60); past that the socket is closed with 1008 ("policy
    /// violation"). `0` for either turns the limit off.
    ///
    /// This bounds what [`LiveUpgrade::forward`](crate::LiveUpgrade::forward) casts into
    /// the session's mailbox, which has no bound of its own.
    ///
    /// # Examples
    ///
    /// ```
    /// let live = ractor_session_axum::LiveSockets::builder().with_message_rate(5, 10).build()?;
    /// # Ok::<(), ractor_session_axum::LiveConfigError>(())
    /// ```
    pub fn with_message_rate(mut self, per_second: u32, burst: u32) -> Self {
        self.limits.messages = message_quota(per_second, burst);
        self
    }

    /// How long one send to the browser may wait (default 10 s). A browser that stops
    /// reading fills the connection's buffers, and then a send waits: past this, the
    /// socket is closed with 1013 — or dropped, if even the close frame cannot be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let live = ractor_session_axum::LiveSockets::builder()
    ///     .with_send_timeout(Duration::from_secs(5))
    ///     .build()?;
    /// # Ok::<(), ractor_session_axum::LiveConfigError>(())
    /// ```
    pub fn with_send_timeout(mut self, timeout: Duration) -> Self {
        self.limits.send_timeout = timeout;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`LiveConfigError::InvalidOrigin`] for an origin that is not
    /// `http(s)://host[:port]`; [`LiveConfigError::ZeroBuffer`]; [`LiveConfigError::Zero`]
    /// for a zero socket cap, message size or send timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// let live = ractor_session_axum::LiveSockets::builder().build()?;
    /// let zero = ractor_session_axum::LiveSockets::builder().with_max_total(0).build();
    /// assert!(zero.is_err());
    /// # Ok::<(), ractor_session_axum::LiveConfigError>(())
    /// ```
    pub fn build(self) -> Result<LiveSockets, LiveConfigError> {
        let limits = self.limits;
        if limits.buffer == 0 {
            return Err(LiveConfigError::ZeroBuffer);
        }
        let zero = [
            ("with_max_per_session", limits.per_session == 0),
            ("with_max_total", limits.total == 0),
            ("with_max_message_size", limits.max_message == 0),
            ("with_send_timeout", limits.send_timeout.is_zero()),
        ];
        if let Some((setting, _)) = zero.into_iter().find(|(_, is_zero)| *is_zero) {
            return Err(LiveConfigError::Zero { setting });
        }
        let allowed = self
            .origins
            .iter()
            .map(|o| {
                normalize_origin(o)
                    .ok_or_else(|| LiveConfigError::InvalidOrigin { origin: o.clone() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LiveSockets::from_parts(
            OriginPolicy::new(allowed, self.require_origin),
            limits,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_allowed_origins_are_typed_errors() {
        for bad in [
            "example.com",
            "ftp://x",
            "https://",
            "https://a/b",
            "https://a b",
        ] {
            assert!(
                matches!(
                    LiveSockets::builder().with_allowed_origin(bad).build(),
                    Err(LiveConfigError::InvalidOrigin { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn zero_bounds_are_typed_errors() {
        let b = LiveSockets::builder;
        for (built, setting) in [
            (b().with_max_per_session(0).build(), "with_max_per_session"),
            (b().with_max_total(0).build(), "with_max_total"),
            (
                b().with_max_message_size(0).build(),
                "with_max_message_size",
            ),
            (
                b().with_send_timeout(Duration::ZERO).build(),
                "with_send_timeout",
            ),
        ] {
            assert!(
                matches!(built, Err(LiveConfigError::Zero { setting: s }) if s == setting),
                "{setting}"
            );
        }
        assert!(
            b().with_message_rate(0, 0).build().is_ok(),
            "0 turns the rate off"
        );
    }
}
