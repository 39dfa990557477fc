//! Building a [`SessionLayer`]: the builder, its checks and its typed errors.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use cookie::{Key, SameSite};
use ractor::Actor;
use ractor_session::{KvSession, SessionError, SessionId, SessionManager};

use crate::cookie::CookieCodec;
use crate::layer::SessionLayer;

/// The cookie name used unless [`SessionLayerBuilder::with_cookie_name`] says otherwise.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::DEFAULT_COOKIE_NAME, "session_id");
/// ```
pub const DEFAULT_COOKIE_NAME: &str = "session_id";

/// The shortest secret [`SessionLayerBuilder::with_key_bytes`] accepts, in bytes.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::MIN_KEY_BYTES, 32);
/// ```
pub const MIN_KEY_BYTES: usize = 32;

/// Why a [`SessionLayer`] could not be built.
///
/// Every message says what to change.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::SessionManager;
/// use ractor_session_axum::{SessionLayer, SessionLayerError};
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// let err = SessionLayer::builder(manager.clone()).build().unwrap_err();
/// assert!(matches!(err, SessionLayerError::MissingKey));
/// assert!(err.to_string().contains("with_dev_mode"));
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionLayerError {
    /// No signing key was given and dev mode was not chosen.
    #[error(
        "SessionLayer has no cookie signing key: call `.with_key_bytes(secret)` with a secret \
         of at least 32 random bytes (e.g. read from an environment variable) or \
         `.with_key(Key::generate())`; for local development over plain HTTP only, call \
         `.with_dev_mode()` instead"
    )]
    MissingKey,

    /// The secret given to [`SessionLayerBuilder::with_key_bytes`] is too short.
    #[error(
        "the cookie signing secret is {len} bytes long; it needs at least 32 random bytes \
         (64 or more are used as they are, 32 to 63 are expanded with HKDF)"
    )]
    KeyTooShort {
        /// The length of the secret given.
        len: usize,
    },

    /// The cookie name is not an RFC 6265 token.
    #[error(
        "invalid session cookie name {name:?}: use 1 to 64 letters, digits or `!#$%&'*+-.^_`|~`"
    )]
    InvalidCookieName {
        /// The name given (escaped when shown).
        name: String,
    },

    /// The cookie path is not an absolute path of printable ASCII without `;`.
    #[error(
        "invalid session cookie path {path:?}: it must start with `/` and hold no `;`, spaces or control characters"
    )]
    InvalidPath {
        /// The path given.
        path: String,
    },

    /// The cookie domain is empty or holds characters a domain can't.
    #[error("invalid session cookie domain {domain:?}: give a host name such as `example.com`")]
    InvalidDomain {
        /// The domain given.
        domain: String,
    },

    /// `SameSite=None` was chosen without `Secure`; browsers drop such cookies.
    #[error(
        "`SameSite=None` requires a Secure cookie: drop `.with_secure(false)` or dev mode, or use `SameSite::Lax`"
    )]
    SameSiteNoneWithoutSecure,

    /// A `__Host-` or `__Secure-` cookie name whose rules the other settings break.
    #[error("the cookie name {name:?} has a browser-enforced prefix: {rule}")]
    PrefixRule {
        /// The cookie name.
        name: String,
        /// The rule that is broken.
        rule: &'static str,
    },
}

/// Starts a session actor under an ID for the layer's auto-start.
type StartFn = dyn Fn(SessionManager, SessionId) -> Pin<Box<dyn Future<Output = Result<(), SessionError>> + Send>>
    + Send
    + Sync;

/// How the layer starts a session on first use, when auto-start is on.
#[derive(Clone)]
pub(crate) struct AutoStart {
    start: Arc<StartFn>,
    session_type: &'static str,
}

impl AutoStart {
    fn new<A, F>(make: F) -> Self
    where
        A: Actor,
        F: Fn() -> (A, A::Arguments) + Send + Sync + 'static,
    {
        let make = Arc::new(make);
        Self {
            start: Arc::new(move |manager: SessionManager, id: SessionId| {
                let make = Arc::clone(&make);
                Box::pin(async move {
                    manager
                        .get_or_start_with(&id, move || make())
                        .await
                        .map(|_| ())
                })
            }),
            session_type: std::any::type_name::<A>(),
        }
    }

    pub(crate) async fn start(
        &self,
        manager: &SessionManager,
        id: &SessionId,
    ) -> Result<(), SessionError> {
        (self.start)(manager.clone(), id.clone()).await
    }
}

impl fmt::Debug for AutoStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AutoStart")
            .field("session_type", &self.session_type)
            .finish()
    }
}

/// Everything a [`SessionLayer`] and its extractors share, behind one `Arc`.
#[derive(Debug)]
pub(crate) struct LayerConfig {
    pub(crate) manager: SessionManager,
    pub(crate) cookie: CookieCodec,
    pub(crate) auto_start: Option<AutoStart>,
    pub(crate) dev_mode: bool,
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
            KeySource::Bytes(secret) => key_from_bytes(&secret)?,
            KeySource::None if self.dev_mode => Key::generate(),
            KeySource::None => return Err(SessionLayerError::MissingKey),
        };
        let secure = self.secure.unwrap_or(!self.dev_mode);
        validate_name(&self.cookie_name)?;
        validate_path(&self.path)?;
        if let Some(domain) = &self.domain {
            validate_domain(domain)?;
        }
        if self.same_site == SameSite::None && !secure {
            return Err(SessionLayerError::SameSiteNoneWithoutSecure);
        }
        validate_prefix(&self.cookie_name, secure, &self.path, self.domain.is_some())?;
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
        }))
    }
}

fn key_from_bytes(secret: &[u8]) -> Result<Key, SessionLayerError> {
    if secret.len() < MIN_KEY_BYTES {
        return Err(SessionLayerError::KeyTooShort { len: secret.len() });
    }
    // 64 bytes or more: a full key. 32 to 63: expanded (derive_from needs at least 32).
    Ok(Key::try_from(secret).unwrap_or_else(|_| Key::derive_from(secret)))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn validate_name(name: &str) -> Result<(), SessionLayerError> {
    if name.is_empty() || name.len() > 64 || !name.bytes().all(is_token_byte) {
        return Err(SessionLayerError::InvalidCookieName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

fn validate_path(path: &str) -> Result<(), SessionLayerError> {
    let printable = path.bytes().all(|b| b.is_ascii_graphic() && b != b';');
    if !path.starts_with('/') || !printable {
        return Err(SessionLayerError::InvalidPath {
            path: path.to_owned(),
        });
    }
    Ok(())
}

fn validate_domain(domain: &str) -> Result<(), SessionLayerError> {
    let host = domain.strip_prefix('.').unwrap_or(domain);
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !ok {
        return Err(SessionLayerError::InvalidDomain {
            domain: domain.to_owned(),
        });
    }
    Ok(())
}

fn validate_prefix(
    name: &str,
    secure: bool,
    path: &str,
    has_domain: bool,
) -> Result<(), SessionLayerError> {
    let rule = |rule| {
        Err(SessionLayerError::PrefixRule {
            name: name.to_owned(),
            rule,
        })
    };
    // Browsers match these prefixes case-insensitively.
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("__host-") {
        if !secure {
            return rule("`__Host-` cookies must be Secure (not in dev mode)");
        }
        if path != "/" {
            return rule("`__Host-` cookies must have `Path=/`");
        }
        if has_domain {
            return rule("`__Host-` cookies must not have a `Domain`");
        }
    } else if lower.starts_with("__secure-") && !secure {
        return rule("`__Secure-` cookies must be Secure (not in dev mode)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn manager() -> SessionManager {
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
    async fn short_secrets_are_refused_without_panicking() {
        let m = manager().await;
        for len in [0, 1, 31] {
            let err = SessionLayer::builder(m.clone())
                .with_key_bytes(vec![1u8; len])
                .build()
                .unwrap_err();
            assert!(matches!(err, SessionLayerError::KeyTooShort { len: l } if l == len));
        }
        for len in [32, 63, 64, 200] {
            assert!(
                SessionLayer::builder(m.clone())
                    .with_key_bytes(vec![1u8; len])
                    .build()
                    .is_ok(),
                "{len} bytes"
            );
        }
        m.shutdown().await;
    }

    #[tokio::test]
    async fn bad_cookie_settings_are_typed_errors() {
        let m = manager().await;
        let b = || SessionLayer::builder(m.clone()).with_dev_mode();
        for name in ["", "a b", "sid;", "x=y", "é", &"n".repeat(65)] {
            assert!(
                matches!(
                    b().with_cookie_name(name).build(),
                    Err(SessionLayerError::InvalidCookieName { .. })
                ),
                "{name:?}"
            );
        }
        for path in ["", "app", "/a;b", "/a b", "/\n"] {
            assert!(
                matches!(
                    b().with_path(path).build(),
                    Err(SessionLayerError::InvalidPath { .. })
                ),
                "{path:?}"
            );
        }
        for domain in ["", ".", "a;b", "exa mple.com"] {
            assert!(
                matches!(
                    b().with_domain(domain).build(),
                    Err(SessionLayerError::InvalidDomain { .. })
                ),
                "{domain:?}"
            );
        }
        assert!(matches!(
            b().with_same_site(SameSite::None).build(),
            Err(SessionLayerError::SameSiteNoneWithoutSecure)
        ));
        assert!(matches!(
            b().with_cookie_name("__Host-sid").build(),
            Err(SessionLayerError::PrefixRule { .. })
        ));
        assert!(matches!(
            b().with_cookie_name("__Host-sid")
                .with_secure(true)
                .with_path("/app")
                .build(),
            Err(SessionLayerError::PrefixRule { .. })
        ));
        assert!(matches!(
            b().with_cookie_name("__secure-sid").build(),
            Err(SessionLayerError::PrefixRule { .. })
        ));
        assert!(
            b().with_cookie_name("__Host-sid")
                .with_secure(true)
                .build()
                .is_ok()
        );
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
