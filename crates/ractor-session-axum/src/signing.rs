//! The signed session cookie value: its format, signing, and verification under the
//! current key and any previous ones.
//!
//! A value is the standard base64 of an HMAC-SHA256 tag (44 characters), then the session
//! ID — the layout of the `cookie` crate's signed cookies — but the tag covers the cookie's
//! **name** as well as the ID (`name=id`), so a value signed for one cookie never verifies
//! as another one signed with the same key. The keyed HMAC state, name included, is made
//! once per layer and key rather than once per request (two of the four SHA-256 blocks of
//! a verification), and a verification allocates nothing but the verified ID.
//!
//! Several keys allow a key rollover: the first signs, every key verifies, and the layer
//! re-issues a cookie that verified under an older key signed with the current one.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use cookie::Key;
use hmac::{Hmac, Mac as _};
use ractor_session::SessionId;
use sha2::Sha256;

/// Length of the base64 HMAC-SHA256 tag before the ID.
pub(crate) const TAG_LEN: usize = 44;

/// Room for a decoded tag: base64's conservative estimate for [`TAG_LEN`] characters.
const TAG_BYTES_ROOM: usize = TAG_LEN / 4 * 3;

/// The longest value worth verifying: the tag plus the longest session ID.
const MAX_VALUE_LEN: usize = TAG_LEN + ractor_session::MAX_SESSION_ID_LEN;

/// Why a presented cookie value was not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// Not a signed session ID at all (wrong length, bytes or shape).
    Malformed,
    /// Shaped right, but the signature does not match: forged, signed with another key,
    /// or signed for a cookie of another name.
    BadSignature,
    /// Signed by us, but no live session has this ID (expired, terminated, rotated away).
    Unknown,
    /// Signed by us and live, but the request carried another live session's cookie too.
    Conflict,
}

impl Rejection {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::BadSignature => "bad_signature",
            Self::Unknown => "unknown",
            Self::Conflict => "conflict",
        }
    }
}

/// A verified value: the ID, and whether the current key signed it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Verified {
    pub(crate) id: SessionId,
    /// `false` when only a previous key verified it: the cookie should be signed anew.
    pub(crate) current_key: bool,
}

/// HMAC-SHA256 keyed with the signing half of a [`Key`], the cookie's name already fed in.
type KeyedMac = Hmac<Sha256>;

/// Signs with the current key, verifies with the current and previous keys.
pub(crate) struct Signer {
    /// Cloned (a copy of two SHA-256 states) for each signature or check.
    current: KeyedMac,
    previous: Vec<KeyedMac>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("key", &"<secret>")
            .field("previous_keys", &self.previous.len())
            .finish()
    }
}

impl Signer {
    /// Values of the cookie `name`, signed with `current`; `previous` keys still verify.
    pub(crate) fn new(name: &str, current: &Key, previous: &[Key]) -> Self {
        let keyed = |key: &Key| {
            // HMAC takes keys of any length; the signing half of a `Key` is 32 bytes.
            let mut mac =
                KeyedMac::new_from_slice(key.signing()).expect("HMAC accepts any key length");
            // A cookie name is a token, which never holds `=`: `name=id` is unambiguous.
            mac.update(name.as_bytes());
            mac.update(b"=");
            mac
        };
        Self {
            current: keyed(current),
            previous: previous.iter().map(keyed).collect(),
        }
    }

    /// The signed cookie value for `id`.
    pub(crate) fn sign(&self, id: &SessionId) -> String {
        let mut mac = self.current.clone();
        mac.update(id.as_str().as_bytes());
        let mut value = String::with_capacity(TAG_LEN + id.as_str().len());
        BASE64.encode_string(mac.finalize().into_bytes(), &mut value);
        value.push_str(id.as_str());
        value
    }

    /// Whether `value` could be a signed ID at all: checked before any HMAC is computed.
    pub(crate) fn well_formed(value: &[u8]) -> bool {
        // Every byte must be a cookie-octet (an ID byte is one), which also makes the
        // value ASCII.
        value.len() > TAG_LEN
            && value.len() <= MAX_VALUE_LEN
            && value[..TAG_LEN].iter().all(|&b| is_cookie_octet(b))
            && looks_like_id(&value[TAG_LEN..])
    }

    /// The ID in `value` if one of the keys signed it for this cookie.
    pub(crate) fn verify(&self, value: &[u8]) -> Result<Verified, Rejection> {
        if !Self::well_formed(value) {
            return Err(Rejection::Malformed);
        }
        let (tag, id) = value.split_at(TAG_LEN);
        let mut digest = [0u8; TAG_BYTES_ROOM];
        let Ok(digest_len) = BASE64.decode_slice(tag, &mut digest) else {
            return Err(Rejection::BadSignature);
        };
        let digest = &digest[..digest_len];
        // Constant-time comparisons; a digest of the wrong length fails too.
        let signed_by = |keyed: &KeyedMac| {
            let mut mac = keyed.clone();
            mac.update(id);
            mac.verify_slice(digest).is_ok()
        };
        let current_key = if signed_by(&self.current) {
            true
        } else if self.previous.iter().any(signed_by) {
            false
        } else {
            return Err(Rejection::BadSignature);
        };
        let id = std::str::from_utf8(id).map_err(|_| Rejection::Malformed)?;
        let id = SessionId::parse(id).map_err(|_| Rejection::Malformed)?;
        Ok(Verified { id, current_key })
    }
}

/// A keyed hash of a presented value, safe to log.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint(u64);

impl Fingerprint {
    /// SipHash of `value` under a key drawn once per process.
    pub(crate) fn of(value: &[u8]) -> Self {
        static KEY: OnceLock<std::hash::RandomState> = OnceLock::new();
        Self(KEY.get_or_init(std::hash::RandomState::new).hash_one(value))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A loggable stand-in for a presented value: the core's redaction when the ID part is a
/// valid session ID, so it matches the core crate's log lines; a keyed hash otherwise.
pub(crate) fn fingerprint(value: &[u8]) -> String {
    let id_part = value
        .get(TAG_LEN..)
        .and_then(|v| std::str::from_utf8(v).ok());
    match id_part.map(SessionId::parse) {
        Some(Ok(id)) => id.redacted().to_string(),
        _ => Fingerprint::of(value).to_string(),
    }
}

/// The shape of a session ID, checked without allocating (`SessionId::parse` decides).
fn looks_like_id(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes.len() <= ractor_session::MAX_SESSION_ID_LEN
        && bytes
            .iter()
            .all(|&b| BYTE_CLASSES[usize::from(b)] & ID_BYTE != 0)
}

/// RFC 6265 cookie-octet.
fn is_cookie_octet(b: u8) -> bool {
    BYTE_CLASSES[usize::from(b)] & COOKIE_OCTET != 0
}

/// [`BYTE_CLASSES`] bit: an RFC 6265 cookie-octet.
const COOKIE_OCTET: u8 = 1;
/// [`BYTE_CLASSES`] bit: a session-ID byte, `[A-Za-z0-9_-]` (all are cookie-octets).
const ID_BYTE: u8 = 2;

/// The class bits of every byte: one load per byte instead of a chain of range checks.
static BYTE_CLASSES: [u8; 256] = {
    let mut classes = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E) {
            classes[b] |= COOKIE_OCTET;
        }
        if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
            classes[b] |= ID_BYTE;
        }
        b += 1;
    }
    classes
};

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(name: &str, key: &Key) -> Signer {
        Signer::new(name, key, &[])
    }

    #[test]
    fn a_signed_id_round_trips_under_the_current_key() {
        let s = signer("sid", &Key::generate());
        let id = SessionId::generate();
        let verified = s.verify(s.sign(&id).as_bytes()).unwrap();
        assert_eq!(
            verified,
            Verified {
                id,
                current_key: true
            }
        );
    }

    #[test]
    fn the_tag_is_the_hmac_of_name_and_id_under_the_signing_half_of_the_key() {
        let key = Key::generate();
        let id = SessionId::generate();
        let mut mac = KeyedMac::new_from_slice(key.signing()).unwrap();
        mac.update(format!("sid={id}").as_bytes());
        let expected = format!("{}{id}", BASE64.encode(mac.finalize().into_bytes()));
        assert_eq!(signer("sid", &key).sign(&id), expected);
    }

    #[test]
    fn a_value_signed_for_another_cookie_name_is_a_bad_signature() {
        let key = Key::generate();
        let id = SessionId::generate();
        let value = signer("public_sid", &key).sign(&id);
        assert_eq!(
            signer("admin_sid", &key).verify(value.as_bytes()),
            Err(Rejection::BadSignature)
        );
        // Nor does the `cookie` crate's format (the value alone) verify.
        let mut jar = cookie::CookieJar::new();
        jar.signed_mut(&key)
            .add(cookie::Cookie::new("sid", id.as_str().to_owned()));
        let unbound = jar.get("sid").unwrap().value().to_owned();
        assert_eq!(
            signer("sid", &key).verify(unbound.as_bytes()),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn previous_keys_verify_but_never_sign() {
        let (old, new) = (Key::generate(), Key::generate());
        let id = SessionId::generate();
        let from_old = signer("sid", &old).sign(&id);
        let rolled = Signer::new("sid", &new, std::slice::from_ref(&old));
        assert_eq!(
            rolled.verify(from_old.as_bytes()),
            Ok(Verified {
                id: id.clone(),
                current_key: false
            })
        );
        let resigned = rolled.sign(&id);
        assert_ne!(resigned, from_old);
        assert_eq!(
            signer("sid", &new)
                .verify(resigned.as_bytes())
                .map(|v| v.id),
            Ok(id)
        );
        // Once the old key is dropped, its values stop verifying.
        assert_eq!(
            signer("sid", &new).verify(from_old.as_bytes()),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn a_tag_that_is_not_base64_or_not_32_bytes_is_a_bad_signature() {
        let s = signer("sid", &Key::generate());
        let id = SessionId::generate();
        let signed = s.sign(&id);
        // '*' is a cookie-octet but not base64.
        let not_base64 = format!("*{}", &signed[1..]);
        // 44 base64 characters without padding decode to 33 bytes.
        let too_long = format!("{}{id}", "A".repeat(TAG_LEN));
        for value in [not_base64, too_long] {
            assert_eq!(
                s.verify(value.as_bytes()),
                Err(Rejection::BadSignature),
                "{value}"
            );
        }
    }

    #[test]
    fn unsigned_garbage_oversized_and_non_utf8_values_are_malformed() {
        let s = signer("sid", &Key::generate());
        let id = SessionId::generate();
        let long = "A".repeat(10_000);
        for value in [
            id.as_str().as_bytes(),
            b"",
            b"\xff\xfe\xfd",
            long.as_bytes(),
            b"\"quoted\"",
        ] {
            assert!(!Signer::well_formed(value));
            assert_eq!(s.verify(value), Err(Rejection::Malformed));
        }
    }

    #[test]
    fn byte_classes_are_rfc_6265_cookie_octets_and_id_bytes() {
        for b in 0..=255u8 {
            let octet = matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
            assert_eq!(is_cookie_octet(b), octet, "{b:#04x}");
            let id = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
            assert_eq!(looks_like_id(&[b]), id, "{b:#04x}");
            assert!(!id || octet, "{b:#04x}: an ID byte must be a cookie-octet");
        }
        for excluded in [b' ', b'"', b',', b';', b'\\', 0x7F, 0x80, 0xFF] {
            assert!(!is_cookie_octet(excluded), "{excluded:#04x}");
        }
    }

    #[test]
    fn fingerprints_never_contain_the_value() {
        let id = SessionId::generate();
        let forged = format!("{}{}", "A".repeat(TAG_LEN), id);
        let shown = fingerprint(forged.as_bytes());
        assert_eq!(shown, id.redacted().to_string());
        assert!(!shown.contains(id.as_str()));
        assert!(!fingerprint(b"junk").contains("junk"));
    }
}
