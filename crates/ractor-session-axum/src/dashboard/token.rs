//! [`Authorize`], the hook every dashboard request passes, and [`BearerToken`], a ready one.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use http::header::AUTHORIZATION;
use http::request::Parts;
use sha2::Sha256;

/// Decides whether a request may see the dashboard: every request to it, page, script and
/// socket alike, passes this hook first, and a refused one gets **401** and no data.
///
/// Any `Fn(&Parts) -> bool` is a hook (`true`: allow); [`BearerToken`] is a ready one. A
/// bearer token the browser holds in the dashboard's cookie, or brings in the login link's
/// `?token=`, reaches the hook as an `Authorization: Bearer` header: a hook that checks
/// that header covers browsers too (see the [module documentation](super)).
///
/// # Examples
///
/// ```
/// use http::request::Parts;
/// use ractor_session_axum::dashboard::Authorize;
///
/// // A reverse proxy that has authenticated the operator says so in a header it sets
/// // (and strips from what clients send).
/// let behind_sso = |request: &Parts| request.headers.get("x-operator").is_some();
///
/// let (request, ()) = http::Request::builder().header("x-operator", "ana").body(()).unwrap().into_parts();
/// assert!(behind_sso.authorize(&request));
/// ```
pub trait Authorize: Send + Sync + 'static {
    /// Whether `request` may see the dashboard.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::dashboard::{Authorize, BearerToken};
    ///
    /// let token = BearerToken::new("correct-horse-battery-staple")?;
    /// let (request, ()) = http::Request::new(()).into_parts();
    /// assert!(!token.authorize(&request));
    /// # Ok::<(), ractor_session_axum::dashboard::TokenError>(())
    /// ```
    fn authorize(&self, request: &Parts) -> bool;
}

impl<F> Authorize for F
where
    F: Fn(&Parts) -> bool + Send + Sync + 'static,
{
    fn authorize(&self, request: &Parts) -> bool {
        self(request)
    }
}

/// The shortest token [`BearerToken::new`] accepts, in characters: a token is the only
/// thing between the dashboard and whoever can reach its port.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::dashboard::MIN_TOKEN_LEN, 16);
/// ```
pub const MIN_TOKEN_LEN: usize = 16;

/// The longest token [`BearerToken::new`] accepts, in characters.
const MAX_TOKEN_LEN: usize = 512;

/// Why a token was refused.
///
/// # Examples
///
/// ```
/// use ractor_session_axum::dashboard::{BearerToken, TokenError};
///
/// assert!(matches!(BearerToken::new("short"), Err(TokenError::TooShort { .. })));
/// assert!(matches!(BearerToken::new("a token with spaces"), Err(TokenError::BadCharacter)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Fewer than [`MIN_TOKEN_LEN`] characters.
    #[error("the dashboard token is too short: {len} characters, at least {min} needed")]
    TooShort {
        /// The token's length.
        len: usize,
        /// [`MIN_TOKEN_LEN`].
        min: usize,
    },
    /// More than 512 characters.
    #[error("the dashboard token is too long: {len} characters, at most {max}")]
    TooLong {
        /// The token's length.
        len: usize,
        /// The longest accepted.
        max: usize,
    },
    /// A character outside `A-Z a-z 0-9 - . _ ~`.
    #[error(
        "the dashboard token may hold only A-Z, a-z, 0-9 and - . _ ~ \
         (it travels in a header, a cookie and a URL unencoded)"
    )]
    BadCharacter,
}

/// An [`Authorize`] hook that allows requests bearing one secret token: in an
/// `Authorization: Bearer` header (scripts, `curl -H`), or, in a browser, through the
/// dashboard's login link and cookie.
///
/// The token is compared in constant time (as HMACs under a key of this process), and
/// never shown: `Debug` prints `BearerToken(..)`; [`reveal`](Self::reveal) is the one way to
/// read it, to hand it to the operator.
///
/// # Examples
///
/// ```
/// use ractor_session_axum::dashboard::{Authorize, BearerToken};
///
/// let token = BearerToken::generate();
/// let bearer = format!("Bearer {}", token.reveal());
/// let (request, ()) = http::Request::builder().header("authorization", bearer).body(()).unwrap().into_parts();
/// assert!(token.authorize(&request));
/// assert_eq!(format!("{token:?}"), "BearerToken(..)");
/// ```
#[derive(Clone)]
pub struct BearerToken {
    token: String,
    /// A key of this process, and the token's MAC under it: a presented token is checked
    /// by its MAC, in constant time whatever it holds.
    key: [u8; 32],
    mac: [u8; 32],
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(..)")
    }
}

impl BearerToken {
    /// A hook that allows the bearers of `token`.
    ///
    /// # Errors
    ///
    /// [`TokenError`] for a token shorter than [`MIN_TOKEN_LEN`], longer than 512
    /// characters, or with a character other than `A-Z a-z 0-9 - . _ ~`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::dashboard::BearerToken;
    ///
    /// let token = BearerToken::new("a-secret-from-the-secret-store")?;
    /// assert!(BearerToken::new("too-short").is_err());
    /// # Ok::<(), ractor_session_axum::dashboard::TokenError>(())
    /// ```
    pub fn new(token: impl Into<String>) -> Result<Self, TokenError> {
        let token = token.into();
        let len = token.chars().count();
        if len < MIN_TOKEN_LEN {
            return Err(TokenError::TooShort {
                len,
                min: MIN_TOKEN_LEN,
            });
        }
        if len > MAX_TOKEN_LEN {
            return Err(TokenError::TooLong {
                len,
                max: MAX_TOKEN_LEN,
            });
        }
        if !token.bytes().all(is_token_byte) {
            return Err(TokenError::BadCharacter);
        }
        Ok(Self::valid(token))
    }

    /// A hook for `token`, already checked.
    fn valid(token: String) -> Self {
        let key = random_bytes();
        let mac = mac(&key, token.as_bytes()).finalize().into_bytes().into();
        Self { token, key, mac }
    }

    /// A hook with a fresh token of 256 random bits from the operating system (43
    /// characters), to print once for the operator.
    ///
    /// # Panics
    ///
    /// When the operating system's random source fails, as
    /// [`SessionId::generate`](ractor_session::SessionId::generate) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::dashboard::BearerToken;
    ///
    /// let token = BearerToken::generate();
    /// assert_eq!(token.reveal().len(), 43);
    /// assert_ne!(token.reveal(), BearerToken::generate().reveal());
    /// ```
    #[must_use]
    pub fn generate() -> Self {
        // 43 base64url characters: a token as `new` would accept it.
        Self::valid(URL_SAFE_NO_PAD.encode(random_bytes()))
    }

    /// The token itself: to show the operator once, never to log.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = ractor_session_axum::dashboard::BearerToken::new("0123456789abcdef")?;
    /// assert_eq!(token.reveal(), "0123456789abcdef");
    /// # Ok::<(), ractor_session_axum::dashboard::TokenError>(())
    /// ```
    #[must_use]
    pub fn reveal(&self) -> &str {
        &self.token
    }

    /// Whether `presented` is the token, in time that depends on its length only.
    fn matches(&self, presented: &[u8]) -> bool {
        mac(&self.key, presented).verify_slice(&self.mac).is_ok()
    }
}

impl Authorize for BearerToken {
    fn authorize(&self, request: &Parts) -> bool {
        bearer(request).is_some_and(|presented| self.matches(presented))
    }
}

/// The token of the request's one `Authorization: Bearer` header, if it has exactly one.
fn bearer(request: &Parts) -> Option<&[u8]> {
    let mut headers = request.headers.get_all(AUTHORIZATION).iter();
    let (Some(header), None) = (headers.next(), headers.next()) else {
        return None;
    };
    let value = header.as_bytes();
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let (scheme, token) = value.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| token.trim_ascii())
}

/// The characters of a token: URL-unreserved, so that it goes into a header, a cookie
/// and a query string as it is.
pub(super) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn mac(key: &[u8; 32], data: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| {
        unreachable!("HMAC takes keys of any length");
    });
    mac.update(data);
    mac
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(authorization: &[&str]) -> Parts {
        let mut builder = http::Request::builder();
        for value in authorization {
            builder = builder.header(AUTHORIZATION, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_the_token_itself_is_allowed() {
        let token = BearerToken::new("0123456789abcdef").unwrap();
        assert!(token.authorize(&request(&["Bearer 0123456789abcdef"])));
        assert!(token.authorize(&request(&["bearer  0123456789abcdef "])));
        for refused in [
            &[][..],
            &["Bearer 0123456789abcdeF"][..],
            &["Bearer 0123456789abcde"][..],
            &["Bearer 0123456789abcdef0"][..],
            &["Basic 0123456789abcdef"][..],
            &["0123456789abcdef"][..],
            &["Bearer"][..],
            // Two headers: which one counts is anybody's guess, so neither does.
            &["Bearer 0123456789abcdef", "Bearer 0123456789abcdef"][..],
        ] {
            assert!(!token.authorize(&request(refused)), "{refused:?}");
        }
    }

    #[test]
    fn tokens_are_checked_when_made() {
        assert_eq!(
            BearerToken::new("x".repeat(15)).unwrap_err(),
            TokenError::TooShort { len: 15, min: 16 }
        );
        assert!(BearerToken::new("x".repeat(16)).is_ok());
        assert!(matches!(
            BearerToken::new("x".repeat(513)),
            Err(TokenError::TooLong { len: 513, .. })
        ));
        for bad in ["0123456789abcde=", "0123456789abcde%", "0123456789abcdé0"] {
            assert_eq!(
                BearerToken::new(bad).unwrap_err(),
                TokenError::BadCharacter,
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_token() {
        let token = BearerToken::generate();
        let debug = format!("{token:?}");
        assert!(!debug.contains(token.reveal()));
        assert!(token.reveal().bytes().all(is_token_byte));
    }
}
