//! Session identifiers: validated on the way in, generated from the OS CSPRNG.

use std::borrow::Borrow;
use std::fmt;
use std::hash::BuildHasher;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The longest accepted session ID, in bytes.
pub const MAX_SESSION_ID_LEN: usize = 64;

/// Random bytes in a generated ID: 192 bits, encoded as 32 base64url characters.
const GENERATED_ID_BYTES: usize = 24;

/// How much of an offending value an error message quotes.
const QUOTED_PREFIX: usize = 80;

/// A validated session ID: 1 to 64 bytes of `[A-Za-z0-9_-]`.
///
/// Session IDs are bearer secrets: whoever presents one acts as that user. Telemetry in
/// this crate therefore never records a raw ID, only [`SessionId::redacted`], a short keyed
/// hash. Cloning is cheap (a reference count).
///
/// # Examples
///
/// ```
/// use ractor_session::SessionId;
///
/// let id: SessionId = "user-42_cart".parse()?;
/// assert_eq!(id.as_str(), "user-42_cart");
///
/// assert!(SessionId::parse("not valid!").is_err());
///
/// let fresh = SessionId::generate();
/// assert_eq!(fresh.as_str().len(), 32);
/// # Ok::<(), ractor_session::InvalidSessionId>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(Arc<str>);

impl SessionId {
    /// Validates `value` and wraps it.
    ///
    /// # Errors
    ///
    /// [`InvalidSessionId`] when `value` is empty, longer than 64 bytes, or holds a byte
    /// outside `[A-Za-z0-9_-]` (a trailing newline included).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::SessionId;
    ///
    /// assert!(SessionId::parse("test-session_id").is_ok());
    /// assert!(SessionId::parse("abc\n").is_err());
    /// ```
    pub fn parse(value: &str) -> Result<Self, InvalidSessionId> {
        validate(value)?;
        Ok(Self(Arc::from(value)))
    }

    /// A fresh ID: 192 bits from the operating system's CSPRNG, base64url without padding
    /// (32 characters).
    ///
    /// # Panics
    ///
    /// Panics if the operating system cannot provide randomness, which leaves no safe way
    /// to make a session secret.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::SessionId;
    ///
    /// let a = SessionId::generate();
    /// let b = SessionId::generate();
    /// assert_ne!(a, b);
    /// assert!(SessionId::parse(a.as_str()).is_ok());
    /// ```
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = [0u8; GENERATED_ID_BYTES];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        Self(Arc::from(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The ID as text.
    ///
    /// # Examples
    ///
    /// ```
    /// let id = ractor_session::SessionId::parse("abc")?;
    /// assert_eq!(id.as_str(), "abc");
    /// # Ok::<(), ractor_session::InvalidSessionId>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A short keyed hash of the ID, safe to log: 16 hex digits of SipHash under a key
    /// drawn at random once per process. Equal IDs give equal hashes within one process,
    /// so log lines about one session can be correlated without revealing it.
    ///
    /// # Examples
    ///
    /// ```
    /// let id = ractor_session::SessionId::parse("secret-value")?;
    /// let shown = id.redacted().to_string();
    /// assert_eq!(shown.len(), 16);
    /// assert!(!shown.contains("secret"));
    /// # Ok::<(), ractor_session::InvalidSessionId>(())
    /// ```
    #[must_use]
    pub fn redacted(&self) -> RedactedId {
        redact(&self.0)
    }
}

/// The keyed hash of a session ID, as shown in logs. See [`SessionId::redacted`].
///
/// # Examples
///
/// ```
/// let id = ractor_session::SessionId::generate();
/// tracing::info!(session = %id.redacted(), "user signed in");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RedactedId(u64);

impl fmt::Display for RedactedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for RedactedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedactedId({self})")
    }
}

/// Hashes any presented value (valid or not) for logging.
pub(crate) fn redact(value: &str) -> RedactedId {
    static KEY: OnceLock<std::hash::RandomState> = OnceLock::new();
    RedactedId(KEY.get_or_init(std::hash::RandomState::new).hash_one(value))
}

fn validate(value: &str) -> Result<(), InvalidSessionId> {
    let ok = !value.is_empty()
        && value.len() <= MAX_SESSION_ID_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(InvalidSessionId::new(value))
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SessionId").field(&&*self.0).finish()
    }
}

impl FromStr for SessionId {
    type Err = InvalidSessionId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for SessionId {
    type Error = InvalidSessionId;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl TryFrom<String> for SessionId {
    type Error = InvalidSessionId;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        validate(&value)?;
        Ok(Self(Arc::from(value)))
    }
}

impl AsRef<str> for SessionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SessionId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for SessionId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for SessionId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl serde::Serialize for SessionId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SessionId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A value that is not a valid session ID. Its message quotes the value, escaped and
/// truncated, as in `Invalid session ID format: "invalid@session"`.
///
/// # Examples
///
/// ```
/// let err = ractor_session::SessionId::parse("invalid@session").unwrap_err();
/// assert_eq!(err.to_string(), r#"Invalid session ID format: "invalid@session""#);
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid session ID format: {quoted}")]
pub struct InvalidSessionId {
    quoted: String,
}

impl InvalidSessionId {
    fn new(value: &str) -> Self {
        let mut end = value.len().min(QUOTED_PREFIX);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        let mut quoted = format!("{:?}", &value[..end]);
        if end < value.len() {
            quoted.push_str(&format!("… ({} bytes)", value.len()));
        }
        Self { quoted }
    }

    /// The offending value as quoted in the message (escaped, truncated to 80 bytes).
    ///
    /// # Examples
    ///
    /// ```
    /// let err = ractor_session::SessionId::parse("a b").unwrap_err();
    /// assert_eq!(err.quoted(), "\"a b\"");
    /// ```
    #[must_use]
    pub fn quoted(&self) -> &str {
        &self.quoted
    }
}

impl fmt::Debug for InvalidSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvalidSessionId")
            .field("quoted", &self.quoted)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn rejects_every_malformed_value_and_quotes_it() {
        let long = "a".repeat(65);
        for bad in [
            "",
            "invalid@session",
            "a b",
            "a.b",
            "a/b",
            long.as_str(),
            "abc\n",
        ] {
            let err = SessionId::parse(bad).expect_err(bad);
            let quoted = format!("{bad:?}");
            assert_eq!(
                err.to_string(),
                format!("Invalid session ID format: {quoted}")
            );
        }
    }

    #[test]
    fn accepts_the_boundary_values() {
        assert!(SessionId::parse(&"a".repeat(64)).is_ok());
        assert!(SessionId::parse("test-session_id").is_ok());
        assert!(SessionId::parse("A").is_ok());
    }

    #[test]
    fn long_values_are_truncated_in_messages() {
        let err = SessionId::parse(&"x".repeat(10_000)).unwrap_err();
        assert!(err.to_string().len() < 200, "{err}");
        assert!(err.to_string().contains("10000 bytes"));
    }

    #[test]
    fn generated_ids_are_distinct_valid_and_url_safe() {
        let ids: HashSet<SessionId> = (0..10_000).map(|_| SessionId::generate()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in &ids {
            assert_eq!(id.as_str().len(), 32);
            assert!(SessionId::parse(id.as_str()).is_ok());
            assert!(
                id.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
        }
    }

    #[test]
    fn serde_validates_on_the_way_in() {
        let id: SessionId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"abc\"");
        let err = serde_json::from_str::<SessionId>("\"a b\"").unwrap_err();
        assert!(
            err.to_string().contains("Invalid session ID format"),
            "{err}"
        );
    }

    #[test]
    fn redaction_is_stable_and_hides_the_value() {
        let id = SessionId::parse("abcdef").unwrap();
        assert_eq!(id.redacted(), id.redacted());
        assert_ne!(
            id.redacted(),
            SessionId::parse("abcdeg").unwrap().redacted()
        );
        assert!(!id.redacted().to_string().contains("abcdef"));
    }
}
