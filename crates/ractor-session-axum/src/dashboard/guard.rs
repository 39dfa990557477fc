//! The gate every dashboard request passes: the login link, the cookie, the
//! [`Authorize`](super::Authorize) hook, and the headers on every response.
//!
//! A browser can't put a header on the page's own requests, so the dashboard turns the two
//! ways a browser holds a token into the header a hook checks: `GET <page>?token=T` (the
//! login link) is asked as `Authorization: Bearer T` and, if allowed, answered with a
//! redirect to the page without the token and the cookie `ractor_dashboard=T`
//! (`HttpOnly`, `SameSite=Strict`, scoped to the dashboard's path); a later request
//! without an `Authorization` header but with that cookie is asked as if it had one.

use std::sync::Arc;

use axum::extract::{OriginalUri, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};
use http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, HeaderName, LOCATION,
    REFERRER_POLICY, SET_COOKIE, WWW_AUTHENTICATE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::request::Parts;
use http::{HeaderValue, Method, StatusCode};

use super::board::Board;
use super::token::is_token_byte;

/// The cookie a browser keeps the dashboard's token in.
pub(super) const COOKIE_NAME: &str = "ractor_dashboard";

/// The page's script, style and icon come from the dashboard itself, its socket goes to
/// it, and nothing may frame it or be inlined into it.
const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

/// Checks the request against the board's hook; see the module's documentation.
pub(super) async fn guard(
    State(board): State<Arc<Board>>,
    request: Request,
    next: Next,
) -> Response {
    board.start_sampler();
    let (mut parts, body) = request.into_parts();
    let response = if let Some(token) = login_token(&parts) {
        log_in(&board, &mut parts, &token)
    } else {
        if !parts.headers.contains_key(AUTHORIZATION)
            && let Some(token) = cookie_token(&parts)
        {
            parts.headers.insert(AUTHORIZATION, bearer(&token));
        }
        if board.authorize.authorize(&parts) {
            next.run(Request::from_parts(parts, body)).await
        } else {
            unauthorized()
        }
    };
    with_safety_headers(response)
}

/// The token of a login link: `GET <page>?token=T`.
fn login_token(parts: &Parts) -> Option<String> {
    if parts.method != Method::GET || parts.uri.path() != "/" {
        return None;
    }
    let query = parts.uri.query()?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .map(str::to_owned)
}

/// Answers a login link: a redirect to the page with the token in the cookie, if the hook
/// allows its bearer; otherwise 401.
fn log_in(board: &Board, parts: &mut Parts, token: &str) -> Response {
    if !token.bytes().all(is_token_byte) || token.is_empty() {
        return unauthorized();
    }
    parts.headers.remove(AUTHORIZATION);
    parts.headers.insert(AUTHORIZATION, bearer(token));
    if !board.authorize.authorize(parts) {
        return unauthorized();
    }
    let (prefix, page) = mount(parts);
    let mut cookie = Cookie::new(COOKIE_NAME, token.to_owned());
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_secure(board.secure);
    cookie.set_path(if prefix.is_empty() { "/" } else { prefix });
    // The page's last segment, relative (`./dashboard`): a path can't make it point off
    // this site, and the token leaves the address bar and the history.
    let location = format!("./{}", page.rsplit('/').next().unwrap_or_default());
    let headers = [
        (LOCATION, HeaderValue::from_str(&location)),
        (SET_COOKIE, HeaderValue::from_str(&cookie.to_string())),
    ];
    let mut response = StatusCode::SEE_OTHER.into_response();
    for (name, value) in headers {
        match value {
            Ok(value) => response.headers_mut().insert(name, value),
            Err(_) => return StatusCode::BAD_REQUEST.into_response(),
        };
    }
    response
}

/// Where the dashboard is mounted: its prefix (`/dashboard`, or empty at the root) and its
/// page's path (the prefix, or `/`), from the path the request came in under. Both empty
/// of anything but `A-Z a-z 0-9 - . _ ~ / %`, or the root.
pub(super) fn mount(parts: &Parts) -> (&str, &str) {
    let inner = parts.uri.path();
    let original = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(inner, |original| original.0.path());
    let prefix = if inner == "/" {
        original.trim_end_matches('/')
    } else {
        original.strip_suffix(inner).unwrap_or_default()
    };
    let plain = prefix
        .bytes()
        .all(|b| is_token_byte(b) || b == b'/' || b == b'%');
    match (plain, prefix) {
        (true, "") | (false, _) => ("", "/"),
        (true, prefix) => (prefix, prefix),
    }
}

/// The dashboard's cookie, if it holds something that could be a token.
fn cookie_token(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == COOKIE_NAME)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| !value.is_empty() && value.bytes().all(is_token_byte))
}

fn bearer(token: &str) -> HeaderValue {
    // Token bytes only (checked by the callers), so always a valid header value.
    HeaderValue::from_str(&format!("Bearer {token}")).unwrap_or(HeaderValue::from_static(""))
}

/// 401, saying how to get in, and nothing else.
fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(WWW_AUTHENTICATE, r#"Bearer realm="dashboard""#)],
        "This dashboard needs its token: open its login link (the page's address with \
         ?token=...) or send an Authorization: Bearer header.\n",
    )
        .into_response()
}

/// Headers on every dashboard response, whatever the app adds: nothing is cached, framed,
/// sniffed, or sent on as a referrer.
fn with_safety_headers(mut response: Response) -> Response {
    let headers: [(HeaderName, &'static str); 5] = [
        (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
        (CACHE_CONTROL, "no-store"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in headers {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(original: &str, inner: &str) -> Parts {
        let mut parts = http::Request::get(inner).body(()).unwrap().into_parts().0;
        parts
            .extensions
            .insert(OriginalUri(original.parse().unwrap()));
        parts
    }

    #[test]
    fn the_mount_is_found_from_the_original_path() {
        assert_eq!(
            mount(&parts("/dashboard", "/")),
            ("/dashboard", "/dashboard")
        );
        assert_eq!(
            mount(&parts("/admin/dashboard/live", "/live")),
            ("/admin/dashboard", "/admin/dashboard")
        );
        assert_eq!(mount(&parts("/", "/")), ("", "/"));
        assert_eq!(mount(&parts("/live", "/live")), ("", "/"));
        assert_eq!(mount(&parts("/a;b=c/live", "/live")), ("", "/"));
    }

    #[test]
    fn only_a_page_request_logs_in() {
        let login = |uri: &str, method: Method| {
            let request = http::Request::builder().method(method).uri(uri);
            login_token(&request.body(()).unwrap().into_parts().0)
        };
        assert_eq!(
            login("/?a=1&token=abc", Method::GET).as_deref(),
            Some("abc")
        );
        assert_eq!(login("/live?token=abc", Method::GET), None);
        assert_eq!(login("/?token=abc", Method::POST), None);
        assert_eq!(login("/", Method::GET), None);
    }

    #[test]
    fn the_cookie_is_read_only_if_it_could_be_a_token() {
        let with = |cookie: &str| {
            let request = http::Request::get("/").header(COOKIE, cookie);
            cookie_token(&request.body(()).unwrap().into_parts().0)
        };
        assert_eq!(
            with("a=b; ractor_dashboard=t0k-en").as_deref(),
            Some("t0k-en")
        );
        assert_eq!(with("ractor_dashboard=a b"), None);
        assert_eq!(with("ractor_dashboard="), None);
        assert_eq!(with("other=x"), None);
    }
}
