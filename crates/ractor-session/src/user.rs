//! User keys: who a session belongs to after login, validated on the way in.

use std::fmt;
use std::sync::Arc;

use crate::id::{RedactedId, redact, validated_text};

/// The longest accepted user key, in bytes.
pub const MAX_USER_KEY_LEN: usize = 256;

/// The user a session belongs to, once it is bound at login
/// ([`SessionManager::bind_user`](crate::SessionManager::bind_user)): 1 to 256 bytes of
/// text without control characters — an account ID, an e-mail address, a user name.
///
/// A user key names a person, so it is kept out of logs as session IDs are: telemetry never
/// records it, and `Debug` shows only [`redacted`](Self::redacted), a keyed hash that still
/// correlates lines. `Display` and [`as_str`](Self::as_str) give the key itself. Cloning is
/// cheap (a reference count).
///
/// # Examples
///
/// ```
/// use ractor_session::UserKey;
///
/// let user = UserKey::parse("alice@example.com")?;
/// assert_eq!(user.as_str(), "alice@example.com");
/// assert!(!format!("{user:?}").contains("alice"));
///
/// assert!(UserKey::parse("").is_err());
/// assert!(UserKey::parse("alice\n").is_err());
/// # Ok::<(), ractor_session::InvalidUserKey>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserKey(Arc<str>);

impl UserKey {
    /// Validates `value` and wraps it.
    ///
    /// # Errors
    ///
    /// [`InvalidUserKey`] when `value` is empty, longer than [`MAX_USER_KEY_LEN`] bytes, or
    /// holds a control character (a newline, a tab, NUL, DEL, …).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::{InvalidUserKeyReason, UserKey};
    ///
    /// assert!(UserKey::parse("user-42").is_ok());
    /// let err = UserKey::parse("a\tb").unwrap_err();
    /// assert_eq!(err.reason(), InvalidUserKeyReason::ControlCharacter { position: 1 });
    /// ```
    pub fn parse(value: &str) -> Result<Self, InvalidUserKey> {
        check(value).map_err(|reason| InvalidUserKey {
            reason,
            redacted: redact(value),
        })?;
        Ok(Self(Arc::from(value)))
    }

    /// The key as text.
    ///
    /// # Examples
    ///
    /// ```
    /// let user = ractor_session::UserKey::parse("bob")?;
    /// assert_eq!(user.as_str(), "bob");
    /// # Ok::<(), ractor_session::InvalidUserKey>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A short keyed hash of the key, safe to log (the same hash as
    /// [`SessionId::redacted`](crate::SessionId::redacted) gives: keyed once per process).
    ///
    /// # Examples
    ///
    /// ```
    /// let user = ractor_session::UserKey::parse("carol")?;
    /// tracing::info!(user = %user.redacted(), "signed in");
    /// assert!(!user.redacted().to_string().contains("carol"));
    /// # Ok::<(), ractor_session::InvalidUserKey>(())
    /// ```
    #[must_use]
    pub fn redacted(&self) -> RedactedId {
        redact(&self.0)
    }
}

/// Why `value` is not a user key, if it is not. Length first: a value too long is refused
/// without reading it.
fn check(value: &str) -> Result<(), InvalidUserKeyReason> {
    if value.is_empty() {
        return Err(InvalidUserKeyReason::Empty);
    }
    if value.len() > MAX_USER_KEY_LEN {
        return Err(InvalidUserKeyReason::TooLong { len: value.len() });
    }
    match value.char_indices().find(|(_, c)| c.is_control()) {
        None => Ok(()),
        Some((position, _)) => Err(InvalidUserKeyReason::ControlCharacter { position }),
    }
}

validated_text!(UserKey, InvalidUserKey);

/// Redacted: `Debug` output ends up in logs and panic messages.
impl fmt::Debug for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UserKey").field(&self.redacted()).finish()
    }
}

/// A value that is not a valid user key, and why. Its message says what is wrong but does
/// not quote the value (it may be someone's name or address); its `Debug` shows the
/// value's [keyed hash](UserKey::redacted).
///
/// # Examples
///
/// ```
/// use ractor_session::{InvalidUserKeyReason, UserKey};
///
/// let err = UserKey::parse("").unwrap_err();
/// assert_eq!(err.reason(), InvalidUserKeyReason::Empty);
/// assert_eq!(err.to_string(), "Invalid user key: the value is empty");
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid user key: {reason}")]
pub struct InvalidUserKey {
    reason: InvalidUserKeyReason,
    redacted: RedactedId,
}

impl InvalidUserKey {
    /// Why the value is not a user key.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::{InvalidUserKeyReason, UserKey};
    ///
    /// let long = "x".repeat(300);
    /// assert_eq!(UserKey::parse(&long).unwrap_err().reason(), InvalidUserKeyReason::TooLong { len: 300 });
    /// ```
    #[must_use]
    pub fn reason(&self) -> InvalidUserKeyReason {
        self.reason
    }

    /// The offending value's keyed hash, safe to log.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = ractor_session::UserKey::parse("dave\r").unwrap_err();
    /// tracing::warn!(value = %err.redacted(), reason = %err.reason(), "refused a user key");
    /// ```
    #[must_use]
    pub fn redacted(&self) -> RedactedId {
        self.redacted
    }
}

impl fmt::Debug for InvalidUserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvalidUserKey")
            .field("reason", &self.reason)
            .field("value", &self.redacted)
            .finish()
    }
}

/// Why a value is not a user key: the first rule it breaks, checked in this order.
///
/// # Examples
///
/// ```
/// use ractor_session::{InvalidUserKeyReason, UserKey};
///
/// let reason = UserKey::parse("bob\u{7f}").unwrap_err().reason();
/// assert_eq!(reason, InvalidUserKeyReason::ControlCharacter { position: 3 });
/// assert_eq!(reason.as_str(), "control_character");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidUserKeyReason {
    /// The value is empty.
    Empty,
    /// The value is longer than [`MAX_USER_KEY_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The value holds a control character; `position` is its byte offset.
    ControlCharacter {
        /// The byte offset of the first control character, from 0.
        position: usize,
    },
}

impl InvalidUserKeyReason {
    /// A short lowercase label: `empty`, `too_long`, `control_character`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session::InvalidUserKeyReason::Empty.as_str(), "empty");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooLong { .. } => "too_long",
            Self::ControlCharacter { .. } => "control_character",
        }
    }
}

impl fmt::Display for InvalidUserKeyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the value is empty"),
            Self::TooLong { len } => write!(
                f,
                "the value is {len} bytes long; at most {MAX_USER_KEY_LEN} are allowed"
            ),
            Self::ControlCharacter { position } => {
                write!(f, "a control character at byte {position}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_within_the_rules_are_accepted_as_given() {
        for value in [
            "a",
            "alice@example.com",
            "Zoë Ω",
            &"x".repeat(MAX_USER_KEY_LEN),
        ] {
            assert_eq!(UserKey::parse(value).unwrap().as_str(), value);
        }
    }

    #[test]
    fn each_broken_rule_is_its_own_reason() {
        let reason = |value: &str| UserKey::parse(value).unwrap_err().reason();
        assert_eq!(reason(""), InvalidUserKeyReason::Empty);
        assert_eq!(
            reason(&"x".repeat(MAX_USER_KEY_LEN + 1)),
            InvalidUserKeyReason::TooLong { len: 257 }
        );
        for (value, position) in [("bob\n", 3), ("\0", 0), ("é\u{85}", 2), ("a\u{1b}[0m", 1)] {
            assert_eq!(
                reason(value),
                InvalidUserKeyReason::ControlCharacter { position },
                "{value:?}"
            );
        }
    }

    #[test]
    fn neither_the_key_nor_a_refused_value_shows_in_debug_or_messages() {
        let user = UserKey::parse("secret-person").unwrap();
        assert!(!format!("{user:?}").contains("secret"));
        let err = UserKey::parse("secret-person\n").unwrap_err();
        assert!(!format!("{err:?}").contains("secret"));
        assert!(!err.to_string().contains("secret"));
    }

    #[test]
    fn serde_validates_on_the_way_in() {
        let user: UserKey = serde_json::from_str("\"alice\"").unwrap();
        assert_eq!(serde_json::to_string(&user).unwrap(), "\"alice\"");
        assert!(serde_json::from_str::<UserKey>("\"a\\nb\"").is_err());
    }
}
