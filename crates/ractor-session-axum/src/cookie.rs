//! Reading, verifying and writing the session cookie.
//!
//! Cookie headers are scanned as bytes, so a non-UTF-8 or garbled cookie elsewhere in the
//! header cannot hide or break the session cookie. Only values of a plausible length are
//! verified; the rest are rejected unread.
//!
//! The signed value is the `cookie` crate's format — the standard base64 of the
//! HMAC-SHA256 of the ID under the key's signing half, then the ID — computed here with
//! the same `hmac` and `sha2` crates, so that the keyed HMAC state is made once per layer
//! rather than once per request (two of the four SHA-256 blocks of a verification) and a
//! verification allocates nothing but the verified ID.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use cookie::{Cookie, Key, SameSite};
use hmac::{Hmac, Mac as _};
use http::header::{COOKIE, HeaderMap, HeaderValue};
use ractor_session::SessionId;
use sha2::Sha256;

/// Length of the base64 HMAC-SHA256 tag the `cookie` crate puts before a signed value.
const TAG_LEN: usize = 44;

/// Room for a decoded tag: base64's conservative estimate for [`TAG_LEN`] characters.
const TAG_BYTES_ROOM: usize = TAG_LEN / 4 * 3;

/// The longest cookie value worth verifying: the tag plus the longest session ID.
const MAX_VALUE_LEN: usize = TAG_LEN + ractor_session::MAX_SESSION_ID_LEN;

/// At most this many cookies with the session cookie's name are looked at per request.
const MAX_CANDIDATES: usize = 8;

/// Why a presented cookie value was not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// Not a signed session ID at all (wrong length, bytes or shape).
    Malformed,
    /// Shaped right, but the signature does not match: forged or signed with another key.
    BadSignature,
    /// Signed by us, but no live session has this ID (expired, terminated, rotated away).
    Unknown,
}

impl Rejection {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::BadSignature => "bad_signature",
            Self::Unknown => "unknown",
        }
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

/// What the session cookies of one request amount to.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Verified IDs, in the order presented.
    pub(crate) verified: VerifiedIds,
    /// Values that failed, with a loggable fingerprint each.
    pub(crate) rejected: Vec<(Rejection, String)>,
}

/// Verified IDs in the order presented: nearly always one, kept without a heap allocation.
#[derive(Debug, Default)]
pub(crate) struct VerifiedIds {
    first: Option<SessionId>,
    more: Vec<SessionId>,
}

impl VerifiedIds {
    fn push(&mut self, id: SessionId) {
        if self.first.is_none() {
            self.first = Some(id);
        } else {
            self.more.push(id);
        }
    }
}

impl IntoIterator for VerifiedIds {
    type Item = SessionId;
    type IntoIter =
        std::iter::Chain<std::option::IntoIter<SessionId>, std::vec::IntoIter<SessionId>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.more)
    }
}

/// HMAC-SHA256 keyed with the signing half of a [`Key`].
type KeyedMac = Hmac<Sha256>;

/// The session cookie's settings and key.
pub(crate) struct CookieCodec {
    name: String,
    /// Keyed once; cloned (a copy of two SHA-256 states) for each signature or check.
    mac: KeyedMac,
    path: String,
    domain: Option<String>,
    secure: bool,
    same_site: SameSite,
}

impl fmt::Debug for CookieCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieCodec")
            .field("name", &self.name)
            .field("key", &"<secret>")
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("secure", &self.secure)
            .field("same_site", &self.same_site)
            .finish()
    }
}

impl CookieCodec {
    pub(crate) fn new(
        name: String,
        key: Key,
        path: String,
        domain: Option<String>,
        secure: bool,
        same_site: SameSite,
    ) -> Self {
        // HMAC takes keys of any length (longer ones are hashed first); the signing half
        // of a `Key` is 32 bytes.
        let mac = KeyedMac::new_from_slice(key.signing()).expect("HMAC accepts any key length");
        Self {
            name,
            mac,
            path,
            domain,
            secure,
            same_site,
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn secure(&self) -> bool {
        self.secure
    }

    /// Finds and verifies every cookie named like ours, in every `Cookie` header.
    pub(crate) fn scan(&self, headers: &HeaderMap) -> Scan {
        let mut scan = Scan::default();
        let name = self.name.as_bytes();
        let mut seen = 0;
        for header in headers.get_all(COOKIE) {
            for pair in header.as_bytes().split(|&b| b == b';') {
                let pair = pair.trim_ascii();
                let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                    continue;
                };
                if pair[..eq].trim_ascii() != name {
                    continue;
                }
                seen += 1;
                if seen > MAX_CANDIDATES {
                    return scan;
                }
                let value = pair[eq + 1..].trim_ascii();
                match self.verify(value) {
                    Ok(id) => scan.verified.push(id),
                    Err(why) => scan.rejected.push((why, fingerprint(value))),
                }
            }
        }
        scan
    }

    fn verify(&self, value: &[u8]) -> Result<SessionId, Rejection> {
        if value.len() <= TAG_LEN || value.len() > MAX_VALUE_LEN {
            return Err(Rejection::Malformed);
        }
        // Every byte must be a cookie-octet (an ID byte is one), which also makes the
        // value ASCII.
        let (tag, id) = value.split_at(TAG_LEN);
        if !tag.iter().all(|&b| is_cookie_octet(b)) || !looks_like_id(id) {
            return Err(Rejection::Malformed);
        }
        let mut digest = [0u8; TAG_BYTES_ROOM];
        let Ok(digest_len) = BASE64.decode_slice(tag, &mut digest) else {
            return Err(Rejection::BadSignature);
        };
        let mut mac = self.mac.clone();
        mac.update(id);
        // Constant-time comparison; a digest of the wrong length fails too.
        mac.verify_slice(&digest[..digest_len])
            .map_err(|_| Rejection::BadSignature)?;
        let id = std::str::from_utf8(id).map_err(|_| Rejection::Malformed)?;
        SessionId::parse(id).map_err(|_| Rejection::Malformed)
    }

    /// The signed cookie value for `id`.
    pub(crate) fn sign(&self, id: &SessionId) -> String {
        let mut mac = self.mac.clone();
        mac.update(id.as_str().as_bytes());
        let mut value = String::with_capacity(TAG_LEN + id.as_str().len());
        BASE64.encode_string(mac.finalize().into_bytes(), &mut value);
        value.push_str(id.as_str());
        value
    }

    fn base(&self, value: String) -> Cookie<'static> {
        let mut cookie = Cookie::build((self.name.clone(), value))
            .path(self.path.clone())
            .http_only(true)
            .secure(self.secure)
            .same_site(self.same_site)
            .build();
        if let Some(domain) = &self.domain {
            cookie.set_domain(domain.clone());
        }
        cookie
    }

    /// `Set-Cookie` carrying `id`, signed.
    pub(crate) fn set_cookie(&self, id: &SessionId) -> HeaderValue {
        header(&self.base(self.sign(id)))
    }

    /// `Set-Cookie` that deletes the session cookie.
    pub(crate) fn removal(&self) -> HeaderValue {
        let mut cookie = self.base(String::new());
        cookie.make_removal();
        header(&cookie)
    }
}

fn header(cookie: &Cookie<'_>) -> HeaderValue {
    // Every part was validated at build time (token name, printable path and domain) and
    // the value is base64 plus an ID, so this always succeeds.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
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

/// A loggable stand-in for a presented value: the core's redaction when the ID part is a
/// valid session ID, so it matches the core crate's log lines; a keyed hash otherwise.
fn fingerprint(value: &[u8]) -> String {
    let id_part = value
        .get(TAG_LEN..)
        .and_then(|v| std::str::from_utf8(v).ok());
    match id_part.map(SessionId::parse) {
        Some(Ok(id)) => id.redacted().to_string(),
        _ => Fingerprint::of(value).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> CookieCodec {
        codec_with(Key::generate())
    }

    fn codec_with(key: Key) -> CookieCodec {
        CookieCodec::new("sid".into(), key, "/".into(), None, true, SameSite::Lax)
    }

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(COOKIE, HeaderValue::from_bytes(v).unwrap());
        }
        map
    }

    #[test]
    fn a_signed_id_round_trips() {
        let c = codec();
        let id = SessionId::generate();
        let value = c.sign(&id);
        let scan = c.scan(&headers(&[format!("sid={value}").as_bytes()]));
        assert_eq!(scan.verified.into_iter().collect::<Vec<_>>(), [id]);
        assert!(scan.rejected.is_empty());
    }

    #[test]
    fn values_are_those_of_the_cookie_crates_signed_jar() {
        let key = Key::generate();
        let c = codec_with(key.clone());
        let id = SessionId::generate();

        let mut jar = cookie::CookieJar::new();
        jar.signed_mut(&key)
            .add(Cookie::new("sid", id.as_str().to_owned()));
        let theirs = jar.get("sid").unwrap().value().to_owned();
        assert_eq!(c.sign(&id), theirs);

        let verified = cookie::CookieJar::new()
            .signed(&key)
            .verify(Cookie::new("sid", c.sign(&id)))
            .unwrap();
        assert_eq!(verified.value(), id.as_str());
        let scan = c.scan(&headers(&[format!("sid={theirs}").as_bytes()]));
        assert_eq!(scan.verified.into_iter().collect::<Vec<_>>(), [id]);
    }

    #[test]
    fn a_tag_that_is_not_base64_or_not_32_bytes_is_a_bad_signature() {
        let c = codec();
        let id = SessionId::generate();
        let signed = c.sign(&id);
        // '*' is a cookie-octet but not base64.
        let not_base64 = format!("*{}", &signed[1..]);
        // 44 base64 characters without padding decode to 33 bytes.
        let too_long = format!("{}{id}", "A".repeat(TAG_LEN));
        for value in [not_base64, too_long] {
            let scan = c.scan(&headers(&[format!("sid={value}").as_bytes()]));
            assert_eq!(scan.verified.into_iter().count(), 0, "{value}");
            assert_eq!(scan.rejected[0].0, Rejection::BadSignature, "{value}");
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
    fn a_second_verified_cookie_is_kept_in_order() {
        let c = codec();
        let (a, b) = (SessionId::generate(), SessionId::generate());
        let scan = c.scan(&headers(&[format!(
            "sid={}; sid={}",
            c.sign(&a),
            c.sign(&b)
        )
        .as_bytes()]));
        assert_eq!(scan.verified.into_iter().collect::<Vec<_>>(), [a, b]);
    }

    #[test]
    fn another_keys_signature_is_a_bad_signature() {
        let id = SessionId::generate();
        let value = codec().sign(&id);
        let scan = codec().scan(&headers(&[format!("sid={value}").as_bytes()]));
        assert_eq!(scan.verified.into_iter().count(), 0);
        assert_eq!(scan.rejected[0].0, Rejection::BadSignature);
    }

    #[test]
    fn an_unsigned_id_is_malformed_and_never_verified() {
        let c = codec();
        let id = SessionId::generate();
        let scan = c.scan(&headers(&[format!("sid={id}").as_bytes()]));
        assert_eq!(scan.verified.into_iter().count(), 0);
        assert_eq!(scan.rejected[0].0, Rejection::Malformed);
    }

    #[test]
    fn garbage_oversized_and_non_utf8_values_are_malformed() {
        let c = codec();
        let long = format!("sid={}", "A".repeat(10_000));
        let scan = c.scan(&headers(&[
            b"sid=",
            b"sid=\xff\xfe\xfd",
            long.as_bytes(),
            b"sid=\"quoted\"",
        ]));
        assert_eq!(scan.verified.into_iter().count(), 0);
        assert_eq!(scan.rejected.len(), 4);
        assert!(
            scan.rejected
                .iter()
                .all(|(r, _)| *r == Rejection::Malformed)
        );
    }

    #[test]
    fn the_session_cookie_is_found_among_others_and_across_headers() {
        let c = codec();
        let id = SessionId::generate();
        let value = c.sign(&id);
        let scan = c.scan(&headers(&[
            b"theme=dark; broken; =x; \xff\xfe=1",
            format!("other=1;  sid={value} ;x=y").as_bytes(),
        ]));
        assert_eq!(scan.verified.into_iter().collect::<Vec<_>>(), [id]);
        assert!(scan.rejected.is_empty());
    }

    #[test]
    fn names_must_match_exactly() {
        let c = codec();
        let value = c.sign(&SessionId::generate());
        let scan = c.scan(&headers(&[format!(
            "SID={value}; sidx={value}; xsid={value}"
        )
        .as_bytes()]));
        assert_eq!(scan.verified.into_iter().count(), 0);
        assert!(scan.rejected.is_empty());
    }

    #[test]
    fn only_a_bounded_number_of_candidates_is_checked() {
        let c = codec();
        let many = vec!["sid=junk"; 1000].join("; ");
        let scan = c.scan(&headers(&[many.as_bytes()]));
        assert_eq!(scan.rejected.len(), MAX_CANDIDATES);
    }

    #[test]
    fn fingerprints_never_contain_the_value() {
        let c = codec();
        let id = SessionId::generate();
        let forged = format!("{}{}", "A".repeat(TAG_LEN), id);
        let scan = c.scan(&headers(&[format!("sid={forged}").as_bytes()]));
        let (why, shown) = &scan.rejected[0];
        assert_eq!(*why, Rejection::BadSignature);
        assert_eq!(shown, &id.redacted().to_string());
        assert!(!shown.contains(id.as_str()));
    }

    #[test]
    fn set_cookie_has_the_security_attributes() {
        let c = codec();
        let header = c.set_cookie(&SessionId::generate());
        let text = header.to_str().unwrap();
        assert!(text.starts_with("sid="));
        for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(text.contains(attr), "{text} lacks {attr}");
        }
        let removal = c.removal();
        let text = removal.to_str().unwrap();
        assert!(text.starts_with("sid=;"), "{text}");
        assert!(text.contains("Max-Age=0"), "{text}");
    }
}
