//! Session identifiers: validated on the way in, generated from the OS CSPRNG.

use std::fmt;
use std::hash::BuildHasher;
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
/// hash, and `Debug` shows that hash too (so does the `Debug` of every type holding an
/// ID). `Display` and [`as_str`](Self::as_str) give the ID itself, for setting a cookie.
/// Cloning is cheap (a reference count).
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
/// assert!(!format!("{fresh:?}").contains(fresh.as_str()));
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

/// Which bytes a session ID may hold: `[A-Za-z0-9_-]`. One table lookup per byte instead
/// of a chain of range comparisons: validation runs on every request that carries an ID.
const ALLOWED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < table.len() {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        byte += 1;
    }
    table
};

fn validate(value: &str) -> Result<(), InvalidSessionId> {
    check(value.as_bytes()).map_err(|reason| InvalidSessionId::new(value, reason))
}

/// Why `bytes` is not a session ID, if it is not. Length first: a value too long is
/// refused without reading it.
fn check(bytes: &[u8]) -> Result<(), InvalidIdReason> {
    if bytes.is_empty() {
        return Err(InvalidIdReason::Empty);
    }
    if bytes.len() > MAX_SESSION_ID_LEN {
        return Err(InvalidIdReason::TooLong { len: bytes.len() });
    }
    match bytes.iter().position(|&b| !ALLOWED[usize::from(b)]) {
        None => Ok(()),
        Some(position) => Err(InvalidIdReason::BadByte {
            byte: bytes[position],
            position,
        }),
    }
}

/// `Display`, `FromStr`, `TryFrom<&str>`, `AsRef<str>`, `Borrow<str>` and serde (validating
/// on the way in) for a text newtype `$ty(Arc<str>)` whose `parse` returns
/// `Result<Self, $err>`: session IDs and user keys.
macro_rules! validated_text {
    ($ty:ty, $err:ty) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $err;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = $err;

            fn try_from(value: &str) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $ty {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use validated_text;

validated_text!(SessionId, InvalidSessionId);

/// Redacted: Debug output ends up in logs and panic messages, and an ID is a bearer
/// secret. Shows the [keyed hash](SessionId::redacted), which still correlates lines.
impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SessionId").field(&self.redacted()).finish()
    }
}

impl TryFrom<String> for SessionId {
    type Error = InvalidSessionId;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        validate(&value)?;
        Ok(Self(Arc::from(value)))
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

/// A value that is not a valid session ID, and why. Its message quotes the value, escaped
/// and truncated, as in `Invalid session ID format: "invalid@session"`; its
/// [`reason`](Self::reason) says what is wrong with it.
///
/// Its `Debug` output shows the reason and the value's [keyed hash](SessionId::redacted),
/// not the value: a value refused for one stray byte is all but a real ID.
///
/// # Examples
///
/// ```
/// use ractor_session::{InvalidIdReason, SessionId};
///
/// let err = SessionId::parse("invalid@session").unwrap_err();
/// assert_eq!(err.to_string(), r#"Invalid session ID format: "invalid@session""#);
/// assert_eq!(err.reason(), InvalidIdReason::BadByte { byte: b'@', position: 7 });
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid session ID format: {quoted}")]
pub struct InvalidSessionId {
    quoted: String,
    reason: InvalidIdReason,
    redacted: RedactedId,
}

impl InvalidSessionId {
    fn new(value: &str, reason: InvalidIdReason) -> Self {
        let mut end = value.len().min(QUOTED_PREFIX);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        let mut quoted = format!("{:?}", &value[..end]);
        if end < value.len() {
            quoted.push_str(&format!("… ({} bytes)", value.len()));
        }
        Self {
            quoted,
            reason,
            redacted: redact(value),
        }
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

    /// Why the value is not a session ID.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::{InvalidIdReason, SessionId};
    ///
    /// assert_eq!(SessionId::parse("").unwrap_err().reason(), InvalidIdReason::Empty);
    /// assert_eq!(
    ///     SessionId::parse(&"a".repeat(65)).unwrap_err().reason(),
    ///     InvalidIdReason::TooLong { len: 65 },
    /// );
    /// ```
    #[must_use]
    pub fn reason(&self) -> InvalidIdReason {
        self.reason
    }

    /// The offending value's keyed hash, safe to log, as [`SessionId::redacted`] gives for
    /// a valid one: equal values give equal hashes within one process.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = ractor_session::SessionId::parse("secret\n").unwrap_err();
    /// tracing::warn!(value = %err.redacted(), reason = %err.reason(), "refused a session ID");
    /// assert!(!err.redacted().to_string().contains("secret"));
    /// ```
    #[must_use]
    pub fn redacted(&self) -> RedactedId {
        self.redacted
    }
}

impl fmt::Debug for InvalidSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvalidSessionId")
            .field("reason", &self.reason)
            .field("value", &self.redacted)
            .finish()
    }
}

/// Why a value is not a session ID: the first rule it breaks, checked in this order.
///
/// # Examples
///
/// ```
/// use ractor_session::{InvalidIdReason, SessionId};
///
/// let reason = SessionId::parse("abc\n").unwrap_err().reason();
/// assert_eq!(reason, InvalidIdReason::BadByte { byte: b'\n', position: 3 });
/// assert_eq!(reason.as_str(), "bad_byte");
/// assert_eq!(reason.to_string(), "byte 0x0a at position 3 is not one of A-Z a-z 0-9 - _");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidIdReason {
    /// The value is empty.
    Empty,
    /// The value is longer than [`MAX_SESSION_ID_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The value holds a byte outside `[A-Za-z0-9_-]`: the first such byte and where it is
    /// (a byte offset; for a non-ASCII character, the first byte of its UTF-8 encoding).
    BadByte {
        /// The byte.
        byte: u8,
        /// Its offset in the value, from 0.
        position: usize,
    },
}

impl InvalidIdReason {
    /// A short lowercase label, as used in metrics: `empty`, `too_long`, `bad_byte`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session::InvalidIdReason::Empty.as_str(), "empty");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooLong { .. } => "too_long",
            Self::BadByte { .. } => "bad_byte",
        }
    }
}

impl fmt::Display for InvalidIdReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the value is empty"),
            Self::TooLong { len } => write!(
                f,
                "the value is {len} bytes long; at most {MAX_SESSION_ID_LEN} are allowed"
            ),
            Self::BadByte { byte, position } if byte.is_ascii_graphic() => write!(
                f,
                "byte {:?} at position {position} is not one of A-Z a-z 0-9 - _",
                char::from(*byte)
            ),
            Self::BadByte { byte, position } => write!(
                f,
                "byte 0x{byte:02x} at position {position} is not one of A-Z a-z 0-9 - _"
            ),
        }
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
    fn each_refusal_says_why() {
        let reason = |value: &str| SessionId::parse(value).unwrap_err().reason();
        assert_eq!(reason(""), InvalidIdReason::Empty);
        assert_eq!(
            reason(&"a".repeat(65)),
            InvalidIdReason::TooLong { len: 65 }
        );
        assert_eq!(
            reason(&"@".repeat(65)),
            InvalidIdReason::TooLong { len: 65 },
            "length is checked first"
        );
        assert_eq!(
            reason("invalid@session"),
            InvalidIdReason::BadByte {
                byte: b'@',
                position: 7
            }
        );
        assert_eq!(
            reason("ab.c/d"),
            InvalidIdReason::BadByte {
                byte: b'.',
                position: 2
            },
            "the first bad byte"
        );
        assert_eq!(
            reason("xé"),
            InvalidIdReason::BadByte {
                byte: 0xc3,
                position: 1
            }
        );
    }

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(InvalidIdReason::Empty.to_string(), "the value is empty");
        assert_eq!(
            InvalidIdReason::TooLong { len: 70 }.to_string(),
            "the value is 70 bytes long; at most 64 are allowed"
        );
        assert_eq!(
            InvalidIdReason::BadByte {
                byte: b'@',
                position: 7
            }
            .to_string(),
            "byte '@' at position 7 is not one of A-Z a-z 0-9 - _"
        );
    }

    #[test]
    fn the_table_allows_exactly_the_id_alphabet() {
        for byte in 0..=u8::MAX {
            let expected = byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-';
            assert_eq!(ALLOWED[usize::from(byte)], expected, "byte {byte:#04x}");
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
        assert_eq!(format!("{id:?}"), format!("SessionId({:?})", id.redacted()));
    }
}
