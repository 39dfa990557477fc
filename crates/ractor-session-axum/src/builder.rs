//! [`SessionLayerBuilder`]: configures a [`SessionLayer`], checks the settings and builds it.

mod checks;

use std::fmt;

use cookie::{Key, SameSite};
use ractor::Actor;
use ractor_session::{KvSession, SessionManager};

pub use checks::{MIN_KEY_BYTES, SessionLayerError};

use crate::config::{AutoStart, LayerConfig};
use crate::cookie::CookieCodec;
use crate::creation::{CreationGate, CreationLimits};
use crate::layer::SessionLayer;

/// The cookie name used unless [`SessionLayerBuilder::with_cookie_name`] says otherwise.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::DEFAULT_COOKIE_NAME, "session_id");
/// ```
pub const DEFAULT_COOKIE_NAME: &str = "session_id";

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
    /// assert_eq!(layer.cookie_name(), "session_id");
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
/// Defaults: cookie `session_id`, `Path=/`, no `Domain`, `HttpOnly`, `SameSite=Lax`,
/// `Secure`, signed with HMAC-SHA256, no auto-start. A signing key is required unless
/// [dev mode](Self::with_dev_mode) is chosen.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::SessionManager;
/// use ractor_session_axum::{SameSite, SessionLayer};
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// let secret = [7u8; 64]; // read a real one from your secret store
/// let layer = SessionLayer::builder(manager.clone())
///     .with_key_bytes(secret)
///     .with_cookie_name("__Host-sid")
///     .with_same_site(SameSite::Strict)
///     .with_auto_start()
///     .build()?;
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct SessionLayerBuilder {
    manager: SessionManager,
    key: KeySource,
    dev_mode: bool,
    cookie_name: String,
    path: String,
    domain: Option<String>,
    secure: Option<bool>,
    same_site: SameSite,
    auto_start: Option<AutoStart>,
    creation: CreationLimits,
}

enum KeySource {
    None,
    Key(Key),
    Bytes(Vec<u8>),
}

impl fmt::Debug for SessionLayerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key is a secret: show only whether there is one.
        let key = match self.key {
            KeySource::None => "none",
            KeySource::Key(_) | KeySource::Bytes(_) => "<set>",
        };
        f.debug_struct("SessionLayerBuilder")
            .field("key", &key)
            .field("dev_mode", &self.dev_mode)
            .field("cookie_name", &self.cookie_name)
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("secure", &self.secure)
            .field("same_site", &self.same_site)
            .field("auto_start", &self.auto_start)
            .field("creation", &self.creation)
            .finish_non_exhaustive()
    }
}

impl SessionLayerBuilder {
    pub(crate) fn new(manager: SessionManager) -> Self {
        Self {
            manager,
            key: KeySource::None,
            dev_mode: false,
            cookie_name: DEFAULT_COOKIE_NAME.to_owned(),
            path: "/".to_owned(),
            domain: None,
            secure: None,
            same_site: SameSite::Lax,
            auto_start: None,
            creation: CreationLimits::default(),
        }
    }

    /// Signs cookies with `key` (HMAC-SHA256).
    ///
    /// Make one with `Key::try_from(&bytes[..])` (at least 64 bytes),
    /// `Key::derive_from(&master)` (at least 32) or `Key::generate()` (random, so cookies
    /// do not survive a restart — neither do in-memory sessions).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::{Key, SessionLayer};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone()).with_key(Key::generate()).build()?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_key(mut self, key: Key) -> Self {
        self.key = KeySource::Key(key);
        self
    }

    /// Signs cookies with a key made from `secret`: used as it is when it has 64 bytes or
    /// more, expanded with HKDF-SHA256 when it has 32 to 63. Checked by
    /// [`build`](Self::build); this never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::{SessionLayer, SessionLayerError};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// assert!(SessionLayer::builder(manager.clone()).with_key_bytes([1u8; 32]).build().is_ok());
    /// let short = SessionLayer::builder(manager.clone()).with_key_bytes(b"hunter2").build();
    /// assert!(matches!(short, Err(SessionLayerError::KeyTooShort { len: 7 })));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_key_bytes(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.key = KeySource::Bytes(secret.as_ref().to_vec());
        self
    }

    /// Insecure development mode, for `http://localhost`: cookies are not `Secure` (unless
    /// [`with_secure(true)`](Self::with_secure) says so) and, without a key, are signed with
    /// a random key made at start-up. Never use it in production: a warning is logged when
    /// the layer is built.
    ///
    /// Cookies stay signed in dev mode so that the code path is the one production runs;
    /// a per-process key costs nothing, since in-memory sessions end with the process anyway.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::SessionLayer;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone()).with_dev_mode().build()?;
    /// assert!(layer.is_dev_mode());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_dev_mode(mut self) -> Self {
        self.dev_mode = true;
        self
    }

    /// The cookie's name (default `session_id`). A `__Host-` name also makes the browser
    /// insist on `Secure`, `Path=/` and no `Domain`, which shields the cookie from
    /// sibling subdomains; `build` checks those rules.
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
        self.cookie_name = name.into();
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
    /// bad cookie name, path or domain, `SameSite=None` without `Secure`, or a broken
    /// `__Host-`/`__Secure-` prefix rule.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::SessionLayer;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone()).with_key_bytes([9u8; 64]).build()?;
    /// assert!(!layer.is_dev_mode());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn build(self) -> Result<SessionLayer, SessionLayerError> {
        let key = match self.key {
            KeySource::Key(key) => key,
            KeySource::Bytes(secret) => checks::key_from_bytes(&secret)?,
            KeySource::None if self.dev_mode => Key::generate(),
            KeySource::None => return Err(SessionLayerError::MissingKey),
        };
        let secure = self.secure.unwrap_or(!self.dev_mode);
        checks::cookie_attributes(
            &self.cookie_name,
            &self.path,
            self.domain.as_deref(),
            secure,
            self.same_site,
        )?;
        if self.dev_mode {
            tracing::warn!(
                target: "ractor_session_axum",
                secure,
                "SessionLayer in dev mode: session cookies are signed with a per-process key{}; \
                 never use dev mode in production",
                if secure { "" } else { " and are not Secure" }
            );
        }
        let cookie = CookieCodec::new(
            self.cookie_name,
            key,
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
    async fn builder_debug_hides_the_key() {
        let m = manager().await;
        let shown = format!(
            "{:?}",
            SessionLayer::builder(m.clone())
                .with_key_bytes(b"0123456789abcdef0123456789abcdef-secret")
        );
        assert!(shown.contains("<set>"));
        assert!(!shown.contains("secret"));
        m.shutdown().await;
    }
}
