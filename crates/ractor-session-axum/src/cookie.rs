//! Reading the session cookies of a request and writing the session cookie.
//!
//! Cookie headers are scanned as bytes, so a non-UTF-8 or garbled cookie elsewhere in the
//! header cannot hide or break the session cookie. Values that cannot be a signed ID are
//! refused unread, at the cost of a byte scan; only well-formed ones are verified (see
//! [`Signer`]), a bounded number per request.

use std::fmt;

use cookie::{Cookie, Key, SameSite};
use http::header::{COOKIE, HeaderMap, HeaderValue};
use ractor_session::SessionId;

use crate::signing::{Rejection, Signer, Verified, fingerprint};

/// At most this many well-formed values with the session cookie's name are verified per
/// request. Malformed ones cost no HMAC and do not count, so junk cookies planted ahead of
/// the real one cannot push it out of reach; only this many forged, well-formed ones can
/// (an attacker able to plant that many can overflow the browser's cookie jar anyway).
const MAX_VERIFIED: usize = 16;

/// At most this many refused values are reported (logged) per request.
const MAX_REPORTED: usize = 8;

/// What the session cookies of one request amount to.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Verified IDs, in the order presented.
    pub(crate) verified: VerifiedIds,
    /// Values that failed, with a loggable fingerprint each (at most [`MAX_REPORTED`]).
    pub(crate) rejected: Vec<(Rejection, String)>,
}

/// Verified IDs in the order presented: nearly always one, kept without a heap allocation.
#[derive(Debug, Default)]
pub(crate) struct VerifiedIds {
    first: Option<Verified>,
    more: Vec<Verified>,
}

impl VerifiedIds {
    fn push(&mut self, verified: Verified) {
        if self.first.is_none() {
            self.first = Some(verified);
        } else {
            self.more.push(verified);
        }
    }
}

impl IntoIterator for VerifiedIds {
    type Item = Verified;
    type IntoIter = std::iter::Chain<std::option::IntoIter<Verified>, std::vec::IntoIter<Verified>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.more)
    }
}

/// The session cookie's settings and keys.
pub(crate) struct CookieCodec {
    name: String,
    signer: Signer,
    path: String,
    domain: Option<String>,
    secure: bool,
    same_site: SameSite,
}

impl fmt::Debug for CookieCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieCodec")
            .field("name", &self.name)
            .field("signer", &self.signer)
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
        keys: (&Key, &[Key]),
        path: String,
        domain: Option<String>,
        secure: bool,
        same_site: SameSite,
    ) -> Self {
        Self {
            signer: Signer::new(&name, keys.0, keys.1),
            name,
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

    /// Finds every cookie named like ours, in every `Cookie` header, and verifies the
    /// well-formed ones.
    pub(crate) fn scan(&self, headers: &HeaderMap) -> Scan {
        let mut scan = Scan::default();
        let name = self.name.as_bytes();
        let mut verifications = 0;
        for header in headers.get_all(COOKIE) {
            for pair in header.as_bytes().split(|&b| b == b';') {
                let pair = pair.trim_ascii();
                let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                    continue;
                };
                if pair[..eq].trim_ascii() != name {
                    continue;
                }
                let value = pair[eq + 1..].trim_ascii();
                let outcome = if !Signer::well_formed(value) {
                    Err(Rejection::Malformed)
                } else if verifications < MAX_VERIFIED {
                    verifications += 1;
                    self.signer.verify(value)
                } else {
                    continue;
                };
                match outcome {
                    Ok(verified) => scan.verified.push(verified),
                    Err(why) if scan.rejected.len() < MAX_REPORTED => {
                        scan.rejected.push((why, fingerprint(value)));
                    }
                    Err(_) => {}
                }
            }
        }
        scan
    }

    /// The signed cookie value for `id`.
    #[cfg(test)]
    pub(crate) fn sign(&self, id: &SessionId) -> String {
        self.signer.sign(id)
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
        header(&self.base(self.signer.sign(id)))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> CookieCodec {
        CookieCodec::new(
            "sid".into(),
            (&Key::generate(), &[]),
            "/".into(),
            None,
            true,
            SameSite::Lax,
        )
    }

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(COOKIE, HeaderValue::from_bytes(v).unwrap());
        }
        map
    }

    fn ids(scan: Scan) -> Vec<SessionId> {
        scan.verified.into_iter().map(|v| v.id).collect()
    }

    #[test]
    fn a_signed_id_round_trips() {
        let c = codec();
        let id = SessionId::generate();
        let value = c.sign(&id);
        let scan = c.scan(&headers(&[format!("sid={value}").as_bytes()]));
        assert!(scan.rejected.is_empty());
        assert_eq!(ids(scan), [id]);
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
        assert_eq!(ids(scan), [a, b]);
    }

    #[test]
    fn another_keys_signature_is_a_bad_signature() {
        let id = SessionId::generate();
        let value = codec().sign(&id);
        let scan = codec().scan(&headers(&[format!("sid={value}").as_bytes()]));
        assert_eq!(scan.rejected[0].0, Rejection::BadSignature);
        assert!(ids(scan).is_empty());
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
        assert_eq!(scan.rejected.len(), 4);
        assert!(
            scan.rejected
                .iter()
                .all(|(r, _)| *r == Rejection::Malformed)
        );
        assert!(ids(scan).is_empty());
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
        assert!(scan.rejected.is_empty());
        assert_eq!(ids(scan), [id]);
    }

    #[test]
    fn names_must_match_exactly() {
        let c = codec();
        let value = c.sign(&SessionId::generate());
        let scan = c.scan(&headers(&[format!(
            "SID={value}; sidx={value}; xsid={value}"
        )
        .as_bytes()]));
        assert!(scan.rejected.is_empty());
        assert!(ids(scan).is_empty());
    }

    #[test]
    fn malformed_junk_never_hides_the_real_cookie() {
        let c = codec();
        let id = SessionId::generate();
        let junk = vec!["sid=junk"; 1000].join("; ");
        let scan = c.scan(&headers(&[
            junk.as_bytes(),
            format!("sid={}", c.sign(&id)).as_bytes(),
        ]));
        assert_eq!(scan.rejected.len(), MAX_REPORTED, "reports are bounded");
        assert_eq!(ids(scan), [id]);
    }

    #[test]
    fn only_a_bounded_number_of_well_formed_values_is_verified() {
        let c = codec();
        let forged = format!("sid={}{}", "A".repeat(43) + "=", SessionId::generate());
        let many = vec![forged.as_str(); 100].join("; ");
        let real = SessionId::generate();
        let scan = c.scan(&headers(&[
            many.as_bytes(),
            format!("sid={}", c.sign(&real)).as_bytes(),
        ]));
        // Past the bound nothing more is verified, the real value included.
        assert!(ids(scan).is_empty());
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
