//! The builder's request protections: the cross-site request check, the absolute lifetime
//! of the sessions the layer starts, and the grace given to a rotated ID.

use std::time::Duration;

use super::SessionLayerBuilder;

/// The absolute lifetime the layer gives every session it starts, unless
/// [`with_max_lifetime`](SessionLayerBuilder::with_max_lifetime) says otherwise: 12 hours.
///
/// ASVS 5.0 (V7.3.2) asks for an absolute lifetime after which the user signs in again,
/// whatever the activity; NIST SP 800-63B sets 12 hours for its AAL2 level. Twelve hours
/// cover a working day without a second login, while a session kept alive by a polling
/// page, or by a thief replaying a stolen cookie, still ends the same day.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// assert_eq!(ractor_session_axum::DEFAULT_MAX_LIFETIME, Duration::from_secs(12 * 3600));
/// ```
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// How long requests still carrying a just-rotated session ID are spared a cookie change,
/// unless [`with_rotation_grace`](SessionLayerBuilder::with_rotation_grace) says otherwise:
/// 30 seconds.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// assert_eq!(ractor_session_axum::DEFAULT_ROTATION_GRACE, Duration::from_secs(30));
/// ```
pub const DEFAULT_ROTATION_GRACE: Duration = Duration::from_secs(30);

impl SessionLayerBuilder {
    /// Whether unsafe requests (anything but `GET`, `HEAD`, `OPTIONS`) from other sites
    /// are refused (default: on). A refused request gets 403 with a plain-text reason
    /// before the layer reads its cookie: no session is used, started or touched, no
    /// cookie is set, and the handler never runs.
    ///
    /// A request is cross-site when its `Sec-Fetch-Site` is `cross-site` or `same-site` (a
    /// sibling subdomain is another site here), or, from browsers that send no
    /// `Sec-Fetch-Site`, when its `Origin` is not the site's own (scheme, host and port).
    /// Requests without either header (not from a browser) pass. Let particular origins
    /// in with [`with_trusted_origin`](Self::with_trusted_origin) and particular routes
    /// with [`with_csrf_exempt_path`](Self::with_csrf_exempt_path); turn it off only when
    /// something in front of the app already does this.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::SessionLayer;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone()).with_dev_mode().build()?;
    /// assert!(layer.is_csrf_protected());
    /// let off = SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_csrf_protection(false)
    ///     .build()?;
    /// assert!(!off.is_csrf_protected());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_csrf_protection(mut self, enabled: bool) -> Self {
        self.csrf_protection = enabled;
        self
    }

    /// Lets unsafe requests whose `Origin` is `origin` (`scheme://host[:port]`) through the
    /// cross-site check: a front end on another origin of yours that calls this app. Call
    /// it once per origin.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::{SessionLayer, SessionLayerError};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_trusted_origin("https://app.example.com")
    ///     .build()?;
    /// let bad = SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_trusted_origin("app.example.com")
    ///     .build();
    /// assert!(matches!(bad, Err(SessionLayerError::InvalidTrustedOrigin { .. })));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted_origins.push(origin.into());
        self
    }

    /// Skips the cross-site check for requests to `path`: an exact path (`/sso/callback`),
    /// or every path under a prefix when it ends with `/*` (`/hooks/*`). For the rare
    /// routes another site must be able to post to in the visitor's browser (an identity
    /// provider's `form_post` callback, a payment provider's return page); such a handler
    /// must check the request itself (a `state` parameter, a signature). Servers calling
    /// webhooks send no `Origin` and pass anyway.
    ///
    /// The path is matched as the request has it, before any percent-decoding, as axum's
    /// router matches it.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::{SessionLayer, SessionLayerError};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_csrf_exempt_path("/sso/callback")
    ///     .with_csrf_exempt_path("/payments/return/*")
    ///     .build()?;
    /// let bad = SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_csrf_exempt_path("/a*b")
    ///     .build();
    /// assert!(matches!(bad, Err(SessionLayerError::InvalidExemptPath { .. })));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_csrf_exempt_path(mut self, path: impl Into<String>) -> Self {
        self.csrf_exempt_paths.push(path.into());
        self
    }

    /// The absolute lifetime of every session the layer starts (default
    /// [12 hours](DEFAULT_MAX_LIFETIME)): counted from the session's start, however
    /// active it is, kept across rotations; then the session ends as expired and its live
    /// sockets are told `session_expired`. `None` leaves only the idle timeout (and the
    /// manager's own [`max_lifetime`](ractor_session::SessionConfig::max_lifetime), if
    /// any; the shorter of the two wins).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use ractor_session_axum::SessionLayer;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_max_lifetime(Some(Duration::from_secs(8 * 3600)))
    ///     .build()?;
    /// assert_eq!(layer.max_lifetime(), Some(Duration::from_secs(8 * 3600)));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_max_lifetime(mut self, max: Option<Duration>) -> Self {
        self.max_lifetime = max;
        self
    }

    /// How long after a rotation requests still carrying the old ID are spared a cookie
    /// change (default [30 s](DEFAULT_ROTATION_GRACE)): they are answered as having no
    /// session — extractors that need one answer 409 "retry" instead of starting a new
    /// session — and their responses set no cookie, so none of them can overwrite the new
    /// cookie and log the user out. The old ID never reaches the session. `Duration::ZERO`
    /// turns the grace off: such requests are then treated as carrying an unknown ID.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use ractor_session_axum::SessionLayer;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_rotation_grace(Duration::from_secs(10))
    ///     .build()?;
    /// assert_eq!(layer.rotation_grace(), Duration::from_secs(10));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_rotation_grace(mut self, grace: Duration) -> Self {
        self.rotation_grace = grace;
        self
    }
}
