//! The `Origin` checks: of live sockets (the page's own origin by default, or an
//! allow-list), and the same-origin comparison the cross-site request check shares.
//!
//! "The page's own origin" is `scheme://host[:port]` with the host the request was sent to
//! (the URI's authority, else `Host`) and the scheme the site is served over, which the
//! layer knows from its cookie: `https` when cookies are `Secure`, `http` otherwise. The
//! request itself can't say: behind a TLS-terminating proxy the app hears plain HTTP.

use http::HeaderMap;
use http::header::{HOST, ORIGIN};

/// Which origins may open a live socket.
#[derive(Debug, Default)]
pub(crate) struct OriginPolicy {
    /// Normalized `scheme://host[:port]`; empty means "same origin as the request".
    allowed: Vec<String>,
    require: bool,
}

impl OriginPolicy {
    /// `allowed` holds origins already normalized by [`normalize_origin`].
    pub(crate) fn new(allowed: Vec<String>, require: bool) -> Self {
        Self { allowed, require }
    }

    /// Whether a websocket request with these headers (and this URI authority) may open,
    /// on a site served over `scheme`.
    pub(crate) fn allows(
        &self,
        headers: &HeaderMap,
        authority: Option<&str>,
        scheme: &str,
    ) -> bool {
        let origin = match request_origin(headers) {
            // No Origin: not a browser.
            Ok(None) => return !self.require,
            Ok(Some(origin)) => origin,
            Err(BadOrigin) => return false,
        };
        if !self.allowed.is_empty() {
            return self.allowed.contains(&origin);
        }
        is_same_origin(&origin, headers, authority, scheme)
    }
}

/// Several `Origin` headers, `null`, or one that is not `http(s)://host[:port]`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadOrigin;

/// The request's one `Origin` header, normalized; `Ok(None)` without one.
pub(crate) fn request_origin(headers: &HeaderMap) -> Result<Option<String>, BadOrigin> {
    let mut origins = headers.get_all(ORIGIN).iter();
    match (origins.next(), origins.next()) {
        (None, _) => Ok(None),
        (Some(origin), None) => origin
            .to_str()
            .ok()
            .and_then(normalize_origin)
            .map(Some)
            .ok_or(BadOrigin),
        (Some(_), Some(_)) => Err(BadOrigin),
    }
}

/// Whether the normalized `origin` is the request's own: `scheme`, and the host and port
/// the request was sent to.
pub(crate) fn is_same_origin(
    origin: &str,
    headers: &HeaderMap,
    authority: Option<&str>,
    scheme: &str,
) -> bool {
    let host = authority.or_else(|| headers.get(HOST).and_then(|h| h.to_str().ok()));
    let Some(host) = host else {
        return false;
    };
    let Some((origin_scheme, origin_authority)) = origin.split_once("://") else {
        return false;
    };
    origin_scheme == scheme
        && strip_default_port(scheme, &host.to_ascii_lowercase()) == origin_authority
}

/// `scheme://host[:port]` in lowercase with the scheme's default port dropped, or `None`.
pub(crate) fn normalize_origin(origin: &str) -> Option<String> {
    let origin = origin.trim().to_ascii_lowercase();
    let origin = origin.strip_suffix('/').unwrap_or(&origin);
    let (scheme, authority) = origin.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let valid = !authority.is_empty()
        && authority.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
        });
    if !valid {
        return None;
    }
    Some(format!(
        "{scheme}://{}",
        strip_default_port(scheme, authority)
    ))
}

fn strip_default_port<'a>(scheme: &str, authority: &'a str) -> &'a str {
    let default = match scheme {
        "http" => ":80",
        "https" => ":443",
        _ => return authority,
    };
    authority.strip_suffix(default).unwrap_or(authority)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn same_origin_is_the_default() {
        let p = OriginPolicy::default();
        let allows = |origin, host| p.allows(&headers(origin, host), None, "http");
        assert!(allows(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"));
        assert!(allows(Some("HTTP://LocalHost"), "localhost:80"));
        assert!(!allows(Some("http://evil.example"), "127.0.0.1:3000"));
        assert!(!allows(Some("http://127.0.0.1:3001"), "127.0.0.1:3000"));
        assert!(!allows(Some("null"), "127.0.0.1:3000"));
        assert!(allows(None, "127.0.0.1:3000"));
    }

    #[test]
    fn the_scheme_must_be_the_sites_too() {
        let p = OriginPolicy::default();
        let h = |origin| headers(Some(origin), "shop.example:8443");
        // A Secure site is served over https: a plain-http page of the same host (one a
        // network attacker can write) is another origin.
        assert!(p.allows(&h("https://shop.example:8443"), None, "https"));
        assert!(!p.allows(&h("http://shop.example:8443"), None, "https"));
        assert!(!p.allows(&h("https://shop.example:8443"), None, "http"));
        // Default ports are the scheme's own.
        let h = headers(Some("https://shop.example"), "shop.example:443");
        assert!(p.allows(&h, None, "https"));
        assert!(!p.allows(&h, None, "http"));
    }

    #[test]
    fn the_uri_authority_wins_over_host() {
        let p = OriginPolicy::default();
        let h = headers(Some("https://a.example"), "b.example");
        assert!(p.allows(&h, Some("a.example"), "https"));
        assert!(!p.allows(&h, None, "https"));
    }

    #[test]
    fn duplicate_or_non_ascii_origins_are_refused() {
        let p = OriginPolicy::default();
        let mut h = headers(Some("http://a"), "a");
        h.append(ORIGIN, HeaderValue::from_static("http://a"));
        assert!(!p.allows(&h, None, "http"));
        assert_eq!(request_origin(&h), Err(BadOrigin));
        let mut h = headers(None, "a");
        h.insert(ORIGIN, HeaderValue::from_bytes(b"http://\xffa").unwrap());
        assert!(!p.allows(&h, None, "http"));
    }

    #[test]
    fn an_allow_list_replaces_the_default() {
        let allowed = normalize_origin("https://Example.com:443/").unwrap();
        let p = OriginPolicy::new(vec![allowed], true);
        let allows = |origin, host| p.allows(&headers(origin, host), None, "https");
        assert!(allows(Some("https://example.com"), "internal:8080"));
        assert!(!allows(Some("http://example.com"), "example.com"));
        assert!(!allows(None, "example.com"));
    }
}
