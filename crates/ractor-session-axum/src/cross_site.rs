//! The cross-site request check (CSRF): an unsafe request from another site is refused
//! before the layer reads its cookie, so it can neither act with the visitor's session nor
//! start one and set its cookie (login CSRF).
//!
//! The rule is the one Go 1.25's `net/http.CrossOriginProtection` ships, after Filippo
//! Valsorda's analysis, and needs no token:
//! 1. `GET`, `HEAD` and `OPTIONS` pass (they must not change state);
//! 2. so does a path exempted by the app, and a request whose `Origin` the app trusts;
//! 3. with `Sec-Fetch-Site` (every browser since 2023), only `same-origin` and `none` (a
//!    navigation the user started) pass: `cross-site`, and `same-site` too, since a sibling
//!    subdomain is exactly the attacker of cookie tossing;
//! 4. without it, a request without `Origin` passes (it is not from a browser);
//! 5. otherwise the `Origin` must be the request's own origin (scheme, host and port).

use http::header::HeaderName;
use http::{HeaderMap, Method, Uri};

use crate::origin::{BadOrigin, is_same_origin, request_origin};

/// `Sec-Fetch-Site` (not among `http`'s constants).
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Which unsafe requests from other origins the layer lets through.
#[derive(Debug)]
pub(crate) struct CrossSitePolicy {
    enabled: bool,
    /// Normalized origins whose requests pass.
    trusted: Vec<String>,
    exempt: Vec<ExemptPath>,
}

/// A path the check skips: exact, or every path under a prefix (`/hooks/*`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ExemptPath {
    Exact(String),
    Under(String),
}

impl ExemptPath {
    /// `/a/b` or `/a/*`; the builder has checked the shape.
    pub(crate) fn parse(pattern: &str) -> Self {
        match pattern.strip_suffix('*') {
            Some(prefix) => Self::Under(prefix.to_owned()),
            None => Self::Exact(pattern.to_owned()),
        }
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            Self::Exact(exact) => path == exact,
            Self::Under(prefix) => path.starts_with(prefix.as_str()),
        }
    }
}

/// Why a request was refused as cross-site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CrossSiteRefusal {
    /// `Sec-Fetch-Site` says `cross-site` or `same-site`.
    FetchMetadata,
    /// No `Sec-Fetch-Site`, and an `Origin` that is not the request's own.
    Origin,
}

impl CrossSiteRefusal {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::FetchMetadata => "sec_fetch_site",
            Self::Origin => "origin",
        }
    }
}

impl CrossSitePolicy {
    pub(crate) fn new(enabled: bool, trusted: Vec<String>, exempt: Vec<ExemptPath>) -> Self {
        Self {
            enabled,
            trusted,
            exempt,
        }
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Checks a request to a site served over `scheme` (see the `origin` module).
    pub(crate) fn check(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        scheme: &str,
    ) -> Result<(), CrossSiteRefusal> {
        if !self.enabled
            || matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
            || self.exempt.iter().any(|exempt| exempt.matches(uri.path()))
        {
            return Ok(());
        }
        let origin = request_origin(headers);
        if matches!(&origin, Ok(Some(origin)) if self.trusted.contains(origin)) {
            return Ok(());
        }
        if let Some(site) = headers.get(SEC_FETCH_SITE) {
            return match site.as_bytes() {
                b"same-origin" | b"none" => Ok(()),
                _ => Err(CrossSiteRefusal::FetchMetadata),
            };
        }
        match origin {
            Ok(None) => Ok(()),
            Ok(Some(origin))
                if is_same_origin(
                    &origin,
                    headers,
                    uri.authority().map(|a| a.as_str()),
                    scheme,
                ) =>
            {
                Ok(())
            }
            Ok(Some(_)) | Err(BadOrigin) => Err(CrossSiteRefusal::Origin),
        }
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use http::header::{HOST, ORIGIN};

    use super::*;

    fn policy() -> CrossSitePolicy {
        CrossSitePolicy::new(true, Vec::new(), Vec::new())
    }

    fn check(
        policy: &CrossSitePolicy,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<(), CrossSiteRefusal> {
        let mut map = HeaderMap::new();
        map.insert(HOST, HeaderValue::from_static("shop.example"));
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        policy.check(&method, &path.parse().unwrap(), &map, "https")
    }

    const CROSS: (&str, &str) = ("sec-fetch-site", "cross-site");
    const EVIL: (&str, &str) = ("origin", "https://evil.example");

    #[test]
    fn safe_methods_always_pass() {
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert_eq!(check(&policy(), method, "/", &[CROSS, EVIL]), Ok(()));
        }
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        let p = policy();
        for (site, verdict) in [
            ("same-origin", Ok(())),
            ("none", Ok(())),
            ("same-site", Err(CrossSiteRefusal::FetchMetadata)),
            ("cross-site", Err(CrossSiteRefusal::FetchMetadata)),
            ("bogus", Err(CrossSiteRefusal::FetchMetadata)),
        ] {
            let headers = [("sec-fetch-site", site), ("origin", "https://shop.example")];
            assert_eq!(check(&p, Method::POST, "/", &headers), verdict, "{site}");
        }
    }

    #[test]
    fn without_fetch_metadata_the_origin_must_be_the_requests_own() {
        let p = policy();
        assert_eq!(check(&p, Method::POST, "/", &[]), Ok(()), "not a browser");
        let own = ("origin", "https://shop.example");
        assert_eq!(check(&p, Method::DELETE, "/", &[own]), Ok(()));
        for origin in ["https://evil.example", "http://shop.example", "null"] {
            assert_eq!(
                check(&p, Method::PUT, "/", &[("origin", origin)]),
                Err(CrossSiteRefusal::Origin),
                "{origin}"
            );
        }
        let twice = [own, own];
        assert_eq!(
            check(&p, Method::POST, "/", &twice),
            Err(CrossSiteRefusal::Origin)
        );
    }

    #[test]
    fn trusted_origins_and_exempt_paths_pass() {
        let p = CrossSitePolicy::new(
            true,
            vec!["https://app.example".to_owned()],
            vec![
                ExemptPath::parse("/sso/callback"),
                ExemptPath::parse("/hooks/*"),
            ],
        );
        let app = [
            ("sec-fetch-site", "same-site"),
            ("origin", "https://app.example"),
        ];
        assert_eq!(check(&p, Method::POST, "/cart", &app), Ok(()));
        assert_eq!(
            check(&p, Method::POST, "/sso/callback", &[CROSS, EVIL]),
            Ok(())
        );
        assert_eq!(
            check(&p, Method::POST, "/hooks/a/b", &[CROSS, EVIL]),
            Ok(())
        );
        for path in ["/sso/callback/x", "/hooks", "/cart"] {
            assert_eq!(
                check(&p, Method::POST, path, &[CROSS, EVIL]),
                Err(CrossSiteRefusal::FetchMetadata),
                "{path}"
            );
        }
    }

    #[test]
    fn a_disabled_check_passes_everything() {
        let p = CrossSitePolicy::new(false, Vec::new(), Vec::new());
        assert_eq!(check(&p, Method::POST, "/", &[CROSS, EVIL]), Ok(()));
        assert!(!p.is_enabled());
        let mut h = HeaderMap::new();
        h.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert_eq!(
            policy().check(&Method::POST, &"/".parse().unwrap(), &h, "https"),
            Err(CrossSiteRefusal::Origin),
            "no Host: nothing is same-origin"
        );
    }
}
