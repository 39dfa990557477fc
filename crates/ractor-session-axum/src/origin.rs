//! The `Origin` check of live sockets: the page's own origin by default, or an allow-list.

use http::HeaderMap;
use http::header::{HOST, ORIGIN};

/// Which origins may open a live socket.
#[derive(Debug, Default)]
pub(crate) struct OriginPolicy {
    /// Normalized `scheme://host[:port]`; empty means "same host as the request".
    allowed: Vec<String>,
    require: bool,
}

impl OriginPolicy {
    /// `allowed` holds origins already normalized by [`normalize_origin`].
    pub(crate) fn new(allowed: Vec<String>, require: bool) -> Self {
        Self { allowed, require }
    }

    /// Whether a websocket request with these headers (and this URI authority) may open.
    pub(crate) fn allows(&self, headers: &HeaderMap, authority: Option<&str>) -> bool {
        let mut origins = headers.get_all(ORIGIN).iter();
        let (Some(origin), None) = (origins.next(), origins.next()) else {
            // No Origin: not a browser. Several: malformed.
            return headers.get(ORIGIN).is_none() && !self.require;
        };
        let Some(origin) = origin.to_str().ok().and_then(normalize_origin) else {
            return false; // "null", non-ASCII, or not http(s)
        };
        if !self.allowed.is_empty() {
            return self.allowed.contains(&origin);
        }
        // Same-origin default: compare host and port with the request's own.
        let host = authority.map(str::to_owned).or_else(|| {
            headers
                .get(HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        });
        let Some(host) = host else {
            return false;
        };
        let (scheme, origin_authority) = origin.split_once("://").unwrap_or(("", ""));
        strip_default_port(scheme, &host.to_ascii_lowercase()) == origin_authority
    }
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
        assert!(p.allows(
            &headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"),
            None
        ));
        assert!(p.allows(&headers(Some("HTTP://LocalHost"), "localhost:80"), None));
        assert!(!p.allows(
            &headers(Some("http://evil.example"), "127.0.0.1:3000"),
            None
        ));
        assert!(!p.allows(
            &headers(Some("http://127.0.0.1:3001"), "127.0.0.1:3000"),
            None
        ));
        assert!(!p.allows(&headers(Some("null"), "127.0.0.1:3000"), None));
        assert!(p.allows(&headers(None, "127.0.0.1:3000"), None));
    }

    #[test]
    fn duplicate_or_non_ascii_origins_are_refused() {
        let p = OriginPolicy::default();
        let mut h = headers(Some("http://a"), "a");
        h.append(ORIGIN, HeaderValue::from_static("http://a"));
        assert!(!p.allows(&h, None));
        let mut h = headers(None, "a");
        h.insert(ORIGIN, HeaderValue::from_bytes(b"http://\xffa").unwrap());
        assert!(!p.allows(&h, None));
    }

    #[test]
    fn an_allow_list_replaces_the_default() {
        let allowed = normalize_origin("https://Example.com:443/").unwrap();
        let p = OriginPolicy::new(vec![allowed], true);
        assert!(p.allows(&headers(Some("https://example.com"), "internal:8080"), None));
        assert!(!p.allows(&headers(Some("http://example.com"), "example.com"), None));
        assert!(!p.allows(&headers(None, "example.com"), None));
    }
}
