//! [`SessionLayerBuilder`]: configures a [`SessionLayer`], checks the settings and builds it.
//!
//! The builder's settings are grouped by concern: the cookie and auto-start here, the
//! signing keys in `keys`, the request protections (cross-site check, absolute lifetime,
//! rotation grace) in `protection`, and the checks `build` runs in `checks`.

mod checks;
mod keys;
mod protection;

use std::fmt;
use std::time::Duration;

use cookie::SameSite;
use ractor::Actor;
use ractor_session::{KvSession, SessionManager};

pub use checks::{MIN_KEY_BYTES, SessionLayerError};
pub use protection::{DEFAULT_MAX_LIFETIME, DEFAULT_ROTATION_GRACE};

use crate::config::{AutoStart, LayerConfig};
use crate::cookie::CookieCodec;
use crate::creation::{CreationGate, CreationLimits};
use crate::cross_site::{CrossSitePolicy, ExemptPath};
use crate::layer::SessionLayer;
use crate::rotation_grace::RecentRotations;
use keys::KeySource;

/// The cookie name used by default when the cookie is `Secure` with `Path=/` and no
/// `Domain` (the default outside dev mode).
///
/// The `__Host-` prefix makes the browser accept the cookie only from this very host,
/// over HTTPS, for the whole site: a sibling subdomain can then neither set nor shadow
/// it (cookie tossing). Without `Secure` (dev mode over plain HTTP) browsers refuse
/// `__Host-` cookies, and the name is [`PLAIN_COOKIE_NAME`]; a `Secure` cookie with a
/// `Path` or a `Domain` is named `__Secure-session_id`.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::DEFAULT_COOKIE_NAME, "__Host-session_id");
/// ```
pub const DEFAULT_COOKIE_NAME: &str = "__Host-session_id";

/// The cookie name used by default when the cookie is not `Secure` (dev mode).
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::PLAIN_COOKIE_NAME, "session_id");
/// ```
pub const PLAIN_COOKIE_NAME: &str = "session_id";

/// The default name of a `Secure` cookie whose `Path` or `Domain` rules out `__Host-`.
const SECURE_COOKIE_NAME: &str = "__Secure-session_id";

impl SessionLayer {
    /// Starts configuring a layer over `manager`'s sessions.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::SessionLayer;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone()).with_dev_mode().build()?;
    /// assert_eq!(layer.cookie_name(), "session_id"); // no `__Host-` over plain HTTP
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(manager: SessionManager) -> SessionLayerBuilder {
        SessionLayerBuilder::new(manager)
    }
}

/// Configures a [`SessionLayer`]; made by [`SessionLayer::builder`].
///
/// Defaults: cookie [`__Host-session_id`](DEFAULT_COOKIE_NAME) (`session_id` in dev mode),
/// `Path=/`, no `Domain`, `HttpOnly`, `SameSite=Lax`, `Secure`, signed with HMAC-SHA256
/// over its name and value; unsafe cross-site requests refused (403); an absolute
/// lifetime of [12 hours](DEFAULT_MAX_LIFETIME) for the sessions the layer starts; a
/// [30 s](DEFAULT_ROTATION_GRACE) grace for requests still carrying a rotated ID; session
/// starts limited per client, with eviction at `max_sessions` ([`CreationLimits`]); no
/// auto-start. A signing key is required unless [dev mode](Self::with_dev_mode) is
/// chosen. `docs/axum.md` lists every default and why.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::SessionManager;
/// use ractor_session_axum::{Key, SameSite, SessionLayer};
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// let layer = SessionLayer::builder(manager.clone())
///     .with_key(Key::generate()) // or `.with_key_bytes(secret)` from your secret store
///     .with_same_site(SameSite::Strict)
///     .with_auto_start()
///     .build()?;
/// assert_eq!(layer.cookie_name(), "__Host-session_id");
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct SessionLayerBuilder {
    manager: SessionManager,
    key: KeySource,
    previous_keys: Vec<KeySource>,
    dev_mode: bool,
    cookie_name: Option<String>,
    path: String,
    domain: Option<String>,
    secure: Option<bool>,
    same_site: SameSite,
    auto_start: Option<AutoStart>,
    creation: CreationLimits,
    csrf_protection: bool,
    trusted_origins: Vec<String>,
    csrf_exempt_paths: Vec<String>,
    max_lifetime: Option<Duration>,
    rotation_grace: Duration,
}

impl fmt::Debug for SessionLayerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are secrets: show only whether there are some.
        f.debug_struct("SessionLayerBuilder")
            .field("key", &self.key)
            .field("previous_keys", &self.previous_keys.len())
            .field("dev_mode", &self.dev_mode)
            .field("cookie_name", &self.cookie_name)
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("secure", &self.secure)
            .field("same_site", &self.same_site)
            .field("auto_start", &self.auto_start)
            .field("creation", &self.creation)
            .field("csrf_protection", &self.csrf_protection)
            .field("trusted_origins", &self.trusted_origins)
            .field("csrf_exempt_paths", &self.csrf_exempt_paths)
            .field("max_lifetime", &self.max_lifetime)
            .field("rotation_grace", &self.rotation_grace)
            .finish_non_exhaustive()
    }
}

impl SessionLayerBuilder {
    pub(crate) fn new(manager: SessionManager) -> Self {
        Self {
            manager,
            key: KeySource::None,
            previous_keys: Vec::new(),
            dev_mode: false,
            cookie_name: None,
            path: "/".to_owned(),
            domain: None,
            secure: None,
            same_site: SameSite::Lax,
            auto_start: None,
            creation: CreationLimits::default(),
            csrf_protection: true,
            trusted_origins: Vec::new(),
            csrf_exempt_paths: Vec::new(),
            max_lifetime: Some(DEFAULT_MAX_LIFETIME),
            rotation_grace: DEFAULT_ROTATION_GRACE,
        }
    }

    /// The cookie's name (default [`__Host-session_id`](DEFAULT_COOKIE_NAME), or
    /// [`session_id`](PLAIN_COOKIE_NAME) when the cookie is not `Secure`). A `__Host-`
    /// name makes the browser insist on `Secure`, `Path=/` and no `Domain`, which shields
    /// the cookie from sibling subdomains; `build` checks those rules. Use a distinct name
    /// per layer when several share a key: each cookie's signature covers its name.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::SessionLayer;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let bad = SessionLayer::builder(manager.clone()).with_dev_mode().with_cookie_name("a b").build();
    /// assert!(bad.is_err());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = Some(name.into());
        self
    }

    /// The cookie's `Path` (default `/`).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::SessionLayer;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone()).with_dev_mode().with_path("/app").build()?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The cookie's `Domain` (default none: the cookie goes back only to the host that set
    /// it, which OWASP recommends).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::SessionLayer;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_domain("example.com")
    ///     .build()?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Whether the cookie is `Secure` (sent over HTTPS only). Default: on, or off in dev mode.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::{Key, SessionLayer};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// // Behind a TLS-terminating proxy that talks plain HTTP to the app, keep it on.
    /// let layer = SessionLayer::builder(manager.clone())
    ///     .with_key(Key::generate())
    ///     .with_secure(true)
    ///     .build()?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_secure(mut self, secure: bool) -> Self {
        self.secure = Some(secure);
        self
    }

    /// The cookie's `SameSite` (default `Lax`: sent on top-level navigation from other
    /// sites, not on their sub-requests or form posts).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::{SameSite, SessionLayer};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_same_site(SameSite::Strict)
    ///     .build()?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// Starts a [`KvSession`] the first time a request needs a session and has none (see
    /// [`Session`](crate::Session)). Off by default: then a handler starts sessions with
    /// [`NewSession`](crate::NewSession).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::SessionLayer;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone()).with_dev_mode().with_auto_start().build()?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_auto_start(self) -> Self {
        self.with_auto_start_with(|| (KvSession, Default::default()))
    }

    /// Starts the actor `make` returns the first time a request needs a session and has
    /// none; `make` is called once per new session.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::KvSession;
    /// use ractor_session_axum::SessionLayer;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_auto_start_with(|| (KvSession, Default::default()))
    ///     .build()?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_auto_start_with<A, F>(mut self, make: F) -> Self
    where
        A: Actor,
        F: Fn() -> (A, A::Arguments) + Send + Sync + 'static,
    {
        self.auto_start = Some(AutoStart::new(make));
        self
    }

    /// How the layer admits the sessions it starts: a limit per client, whether it also
    /// draws on the manager's shared rate limit, and eviction at `max_sessions`. The
    /// defaults let no client lock others out; see [`CreationLimits`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::{CreationLimits, SessionLayer};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_auto_start()
    ///     .with_creation_limits(CreationLimits::new().with_per_client(30, 10))
    ///     .build()?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_creation_limits(mut self, limits: CreationLimits) -> Self {
        self.creation = limits;
        self
    }

    /// Checks the settings and builds the layer.
    ///
    /// # Errors
    ///
    /// A [`SessionLayerError`] naming what to fix: no key outside dev mode, a short key, a
    /// bad cookie name, path or domain, `SameSite=None` without `Secure`, a broken
    /// `__Host-`/`__Secure-` prefix rule, or a bad trusted origin or exempt path.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::{Key, SessionLayer};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone()).with_key(Key::generate()).build()?;
    /// assert!(!layer.is_dev_mode());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn build(self) -> Result<SessionLayer, SessionLayerError> {
        let generated_key = matches!(self.key, KeySource::None);
        let (key, previous) = keys::resolve(self.key, self.previous_keys, self.dev_mode)?;
        let secure = self.secure.unwrap_or(!self.dev_mode);
        let cookie_name = self.cookie_name.unwrap_or_else(|| {
            let name = match (secure, self.path == "/" && self.domain.is_none()) {
                (true, true) => DEFAULT_COOKIE_NAME,
                (true, false) => SECURE_COOKIE_NAME,
                (false, _) => PLAIN_COOKIE_NAME,
            };
            name.to_owned()
        });
        checks::cookie_attributes(
            &cookie_name,
            &self.path,
            self.domain.as_deref(),
            secure,
            self.same_site,
        )?;
        let trusted = checks::trusted_origins(self.trusted_origins)?;
        let exempt = checks::exempt_paths(&self.csrf_exempt_paths)?;
        if self.dev_mode {
            tracing::warn!(
                target: "ractor_session_axum",
                secure,
                "SessionLayer in dev mode: session cookies are signed with {}{}; \
                 never use dev mode in production",
                if generated_key { "a per-process key" } else { "the configured key" },
                if secure { "" } else { " and are not Secure" }
            );
            if generated_key && self.manager.has_store() {
                // Stored sessions outlive the process; cookies signed with its key do not.
                tracing::warn!(
                    target: "ractor_session_axum",
                    "SessionLayer in dev mode without a key over a manager with a session \
                     store: after a restart, no cookie verifies and the stored sessions are \
                     unreachable; configure a key that outlives the process"
                );
            }
        }
        let cookie = CookieCodec::new(
            cookie_name,
            (&key, &previous),
            self.path,
            self.domain,
            secure,
            self.same_site,
        );
        Ok(SessionLayer::from_config(LayerConfig {
            manager: self.manager,
            cookie,
            auto_start: self.auto_start,
            dev_mode: self.dev_mode,
            cross_site: CrossSitePolicy::new(
                self.csrf_protection,
                trusted,
                exempt.iter().map(|p| ExemptPath::parse(p)).collect(),
            ),
            max_lifetime: self.max_lifetime,
            rotations: RecentRotations::new(self.rotation_grace),
            creation: CreationGate::new(self.creation),
            logs: Default::default(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manager for building layers in the builder's tests.
    pub(super) async fn manager() -> SessionManager {
        SessionManager::spawn(Default::default()).await.unwrap()
    }

    #[tokio::test]
    async fn missing_key_is_a_typed_error_that_names_the_fix() {
        let m = manager().await;
        let err = SessionLayer::builder(m.clone()).build().unwrap_err();
        assert!(matches!(err, SessionLayerError::MissingKey));
        assert!(err.to_string().contains("with_key_bytes"));
        m.shutdown().await;
    }

    #[tokio::test]
    async fn the_default_cookie_name_has_the_strongest_prefix_the_settings_allow() {
        let m = manager().await;
        let name = |b: SessionLayerBuilder| b.build().unwrap().cookie_name().to_owned();
        let keyed = || SessionLayer::builder(m.clone()).with_key(cookie::Key::generate());
        let dev = || SessionLayer::builder(m.clone()).with_dev_mode();
        assert_eq!(name(keyed()), DEFAULT_COOKIE_NAME);
        assert_eq!(name(keyed().with_path("/app")), "__Secure-session_id");
        assert_eq!(
            name(keyed().with_domain("example.com")),
            "__Secure-session_id"
        );
        assert_eq!(name(keyed().with_secure(false)), PLAIN_COOKIE_NAME);
        assert_eq!(name(dev()), PLAIN_COOKIE_NAME);
        assert_eq!(name(dev().with_secure(true)), DEFAULT_COOKIE_NAME);
        assert_eq!(name(keyed().with_cookie_name("sid")), "sid");
        m.shutdown().await;
    }

    #[tokio::test]
    async fn builder_debug_hides_the_key() {
        let m = manager().await;
        let shown = format!(
            "{:?}",
            SessionLayer::builder(m.clone())
                .with_key_bytes(b"0123456789abcdef0123456789abcdef-secret")
                .with_previous_key_bytes(b"0123456789abcdef0123456789abcdef-older")
        );
        assert!(shown.contains("<set>"));
        assert!(
            !shown.contains("secret") && !shown.contains("older"),
            "{shown}"
        );
        assert!(shown.contains("previous_keys: 1"), "{shown}");
        m.shutdown().await;
    }
}
