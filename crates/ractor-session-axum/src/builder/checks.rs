//! The checks [`SessionLayerBuilder::build`](crate::SessionLayerBuilder::build) runs on
//! the key and the cookie's attributes, and the typed error each failure gives.

use cookie::{Key, SameSite};

use crate::origin::normalize_origin;

/// The shortest secret [`SessionLayerBuilder::with_key_bytes`](crate::SessionLayerBuilder::with_key_bytes) accepts, in bytes.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::MIN_KEY_BYTES, 32);
/// ```
pub const MIN_KEY_BYTES: usize = 32;

/// Why a [`SessionLayer`](crate::SessionLayer) could not be built.
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

    /// The secret given to [`with_key_bytes`](crate::SessionLayerBuilder::with_key_bytes) is too short.
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

    /// A trusted origin that is not `http(s)://host[:port]`.
    #[error(
        "invalid trusted origin {origin:?}: write it as the browser sends it, \
         `scheme://host[:port]` with scheme http or https and no path (e.g. `https://app.example.com`)"
    )]
    InvalidTrustedOrigin {
        /// The origin given.
        origin: String,
    },

    /// A cross-site exempt path that is not an absolute path, or has a `*` elsewhere than
    /// in a final `/*`.
    #[error(
        "invalid cross-site exempt path {path:?}: give an absolute path (`/sso/callback`) \
         or a prefix ending in `/*` (`/hooks/*`), with no spaces, `;` or other `*`"
    )]
    InvalidExemptPath {
        /// The path given.
        path: String,
    },
}

/// A key made from `secret`: used as it is when it has 64 bytes or more, expanded with
/// HKDF-SHA256 when it has 32 to 63.
pub(super) fn key_from_bytes(secret: &[u8]) -> Result<Key, SessionLayerError> {
    if secret.len() < MIN_KEY_BYTES {
        return Err(SessionLayerError::KeyTooShort { len: secret.len() });
    }
    // 64 bytes or more: a full key. 32 to 63: expanded (derive_from needs at least 32).
    Ok(Key::try_from(secret).unwrap_or_else(|_| Key::derive_from(secret)))
}

/// Checks the cookie's name, path, domain, `SameSite` and prefix rules together.
pub(super) fn cookie_attributes(
    name: &str,
    path: &str,
    domain: Option<&str>,
    secure: bool,
    same_site: SameSite,
) -> Result<(), SessionLayerError> {
    validate_name(name)?;
    validate_path(path)?;
    if let Some(domain) = domain {
        validate_domain(domain)?;
    }
    if same_site == SameSite::None && !secure {
        return Err(SessionLayerError::SameSiteNoneWithoutSecure);
    }
    validate_prefix(name, secure, path, domain.is_some())
}

/// The trusted origins, normalized.
pub(super) fn trusted_origins(origins: Vec<String>) -> Result<Vec<String>, SessionLayerError> {
    origins
        .into_iter()
        .map(|origin| {
            normalize_origin(&origin).ok_or(SessionLayerError::InvalidTrustedOrigin { origin })
        })
        .collect()
}

/// Checks the cross-site exempt paths: `/a/b` or `/a/*`.
pub(super) fn exempt_paths(paths: &[String]) -> Result<&[String], SessionLayerError> {
    for path in paths {
        let body = path.strip_suffix("/*").unwrap_or(path);
        let ok = path.starts_with('/')
            && !body.contains('*')
            && (body.is_empty() || validate_path(body).is_ok());
        if !ok {
            return Err(SessionLayerError::InvalidExemptPath { path: path.clone() });
        }
    }
    Ok(paths)
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
    use crate::SessionLayer;
    use crate::builder::tests::manager;

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
    async fn bad_trusted_origins_and_exempt_paths_are_typed_errors() {
        let m = manager().await;
        let b = || SessionLayer::builder(m.clone()).with_dev_mode();
        for origin in ["example.com", "ftp://x", "https://a/b", "null", ""] {
            assert!(
                matches!(
                    b().with_trusted_origin(origin).build(),
                    Err(SessionLayerError::InvalidTrustedOrigin { .. })
                ),
                "{origin:?}"
            );
        }
        for path in ["", "hooks", "/a*", "/*/b", "/a b", "/a;b", "/a/**"] {
            assert!(
                matches!(
                    b().with_csrf_exempt_path(path).build(),
                    Err(SessionLayerError::InvalidExemptPath { .. })
                ),
                "{path:?}"
            );
        }
        for path in ["/", "/sso/callback", "/hooks/*", "/*"] {
            assert!(b().with_csrf_exempt_path(path).build().is_ok(), "{path:?}");
        }
        assert!(
            b().with_trusted_origin("HTTPS://App.Example:443")
                .build()
                .is_ok()
        );
        m.shutdown().await;
    }
}
