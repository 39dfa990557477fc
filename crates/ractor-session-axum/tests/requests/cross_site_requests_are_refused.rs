//! CSRF: an unsafe request from another site is refused by the layer (403) before it reads
//! the cookie. It neither acts with the visitor's session nor starts one and sets its
//! cookie (login CSRF: the documented login-then-rotate handler would otherwise sign the
//! victim into the attacker's account). Over a real server, with the headers browsers send.

use ractor_session_test_support::actors::CounterMsg;
use std::time::Duration;

use crate::support::*;

const EVIL: &str = "https://evil.example";

/// A POST to `path` with the given headers.
async fn post(server: &Server, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = bare_client().post(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_cross_site_login_creates_no_session_and_sets_no_cookie() {
    let server = start(Duration::from_secs(60)).await;
    for headers in [
        &[("sec-fetch-site", "cross-site"), ("origin", EVIL)][..],
        // A sibling subdomain is another site too.
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "http://sub.127.0.0.1"),
        ][..],
        // A browser without Fetch Metadata: its Origin decides.
        &[("origin", EVIL)][..],
        &[("origin", "null")][..],
    ] {
        let response = post(&server, "/login", headers).await;
        assert_eq!(response.status(), 403, "{headers:?}");
        assert!(set_cookies(&response).is_empty(), "{headers:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains("cross-site request refused"), "{body}");
    }
    assert_eq!(server.manager.count(), 0, "no session was started");
    server.manager.shutdown().await;
}

#[tokio::test]
async fn a_cross_site_post_cannot_act_with_the_visitors_session() {
    let server = start(Duration::from_secs(60)).await;
    let value = new_session(&server, &bare_client()).await;
    let cookie = cookie_header(&value);
    for headers in [
        &[
            ("cookie", cookie.as_str()),
            ("sec-fetch-site", "cross-site"),
            ("origin", EVIL),
        ][..],
        &[("cookie", cookie.as_str()), ("origin", EVIL)][..],
        &[("cookie", cookie.as_str()), ("origin", "https://127.0.0.1")][..],
    ] {
        let response = post(&server, "/incr", headers).await;
        assert_eq!(response.status(), 403, "{headers:?}");
        assert!(set_cookies(&response).is_empty());
        let logout = post(&server, "/logout", headers).await;
        assert_eq!(logout.status(), 403);
    }
    let count = server
        .manager
        .call(id_of(&value), CounterMsg::Get)
        .await
        .expect("the session is still live");
    assert_eq!(count, 0, "no cross-site increment reached the session");
    server.manager.shutdown().await;
}

#[tokio::test]
async fn same_origin_navigation_and_non_browser_requests_pass() {
    let server = start(Duration::from_secs(60)).await;
    let value = new_session(&server, &bare_client()).await;
    let cookie = cookie_header(&value);
    let origin = server.origin();
    for headers in [
        &[
            ("cookie", cookie.as_str()),
            ("sec-fetch-site", "same-origin"),
            ("origin", origin.as_str()),
        ][..],
        // Typed into the address bar or a bookmark.
        &[("cookie", cookie.as_str()), ("sec-fetch-site", "none")][..],
        // An older browser, on the page's own origin.
        &[("cookie", cookie.as_str()), ("origin", origin.as_str())][..],
        // Not a browser: no Origin, no Fetch Metadata.
        &[("cookie", cookie.as_str())][..],
    ] {
        let response = post(&server, "/incr", headers).await;
        assert_eq!(response.status(), 200, "{headers:?}");
    }
    // Safe methods are never checked: a cross-site link still lands signed in.
    let read = bare_client()
        .get(server.url("/count"))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .header("origin", EVIL)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(json_body(read).await["count"], 4);
    server.manager.shutdown().await;
}
