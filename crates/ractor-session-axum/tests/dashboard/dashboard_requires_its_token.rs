//! Every dashboard request passes its authorization hook: without the token (or with a
//! wrong one) the page, its files, its figures and its socket answer 401 and nothing else;
//! the token is taken from an `Authorization: Bearer` header, from the login link (which
//! sets the cookie and drops the token from the address) and from that cookie.

use axum::Router;
use http::request::Parts;
use ractor_session_axum::LiveSockets;
use ractor_session_axum::dashboard;
use ractor_session_test_support::ws::refused_status;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::admin::{Admin, TOKEN};
use crate::support::{bare_client, serve, set_cookies};

const PATHS: [&str; 6] = [
    "",
    "/dashboard.js",
    "/dashboard.css",
    "/dashboard.svg",
    "/figures",
    "/live",
];

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client builds")
}

async fn assert_refused(response: reqwest::Response, what: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="dashboard""#,
        "{what}"
    );
    assert!(set_cookies(&response).is_empty(), "{what}: no cookie");
    let body = response.text().await.expect("body");
    assert!(body.contains("needs its token"), "{what}: {body}");
    for figure in ["active", "sessions", "\"event\"", "<html", "function"] {
        assert!(!body.contains(figure), "{what} leaked {figure:?}: {body}");
    }
}

#[tokio::test]
async fn requests_without_the_token_get_401_and_no_data() {
    let admin = Admin::start().await;
    let http = bare_client();
    let wrong = [
        (
            "authorization",
            "Bearer not-the-token-0123456789".to_owned(),
        ),
        ("authorization", format!("Basic {TOKEN}")),
        (
            "cookie",
            "ractor_dashboard=not-the-token-0123456789".to_owned(),
        ),
        ("cookie", format!("other={TOKEN}")),
    ];
    for path in PATHS {
        let url = admin.url(path);
        assert_refused(http.get(&url).send().await.unwrap(), &url).await;
        for (name, value) in &wrong {
            let response = http.get(&url).header(*name, value).send().await.unwrap();
            assert_refused(response, &format!("{url} with {name}: {value}")).await;
        }
    }
    // The socket is refused before its upgrade, its cookie or Origin notwithstanding.
    let cookie = "ractor_dashboard=not-the-token-0123456789";
    let status = refused_status(&admin.socket_url(), Some(cookie), Some(admin.origin())).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_bearer_header_opens_every_route() {
    let admin = Admin::start().await;
    for (path, kind) in [
        ("", "text/html"),
        ("/dashboard.js", "text/javascript"),
        ("/dashboard.css", "text/css"),
        ("/dashboard.svg", "image/svg+xml"),
        ("/figures", "application/json"),
    ] {
        let response = admin.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        assert!(headers["content-type"].to_str().unwrap().starts_with(kind));
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    }
}

#[tokio::test]
async fn the_login_link_sets_the_cookie_and_drops_the_token_from_the_address() {
    let admin = Admin::start().await;
    let http = no_redirects();

    let refused = http
        .get(format!("{}?token=not-the-token-0123456789", admin.url("")))
        .send()
        .await
        .unwrap();
    assert_refused(refused, "a login link with a wrong token").await;

    let login = http
        .get(format!("{}?token={TOKEN}", admin.url("")))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(login.headers()["location"], "./dashboard");
    let cookies = set_cookies(&login);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    assert!(
        cookie.starts_with(&format!("ractor_dashboard={TOKEN}")),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/dashboard"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP by default: {cookie}"
    );

    // The browser then comes back with the cookie alone.
    let page = http
        .get(admin.url(""))
        .header("cookie", format!("ractor_dashboard={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains(r#"<script src="/dashboard/dashboard.js" defer></script>"#));
    assert!(!page.contains(TOKEN), "the page does not repeat the token");
}

#[tokio::test]
async fn a_hook_decides_on_the_request_as_it_sees_fit() {
    // A hook of the app's own: an operator header set by a proxy in front.
    let operators = |request: &Parts| request.headers.get("x-operator").is_some();
    let manager = crate::support::manager(std::time::Duration::from_secs(60)).await;
    let dashboard = dashboard::router(manager.clone(), LiveSockets::new(), operators);
    let addr = serve(Router::new().nest("/ops", dashboard)).await;
    let http = bare_client();
    let figures = format!("http://{addr}/ops/figures");

    let refused = http.get(&figures).bearer_auth(TOKEN).send().await.unwrap();
    assert_refused(refused, "a token this hook does not know").await;

    let allowed = http
        .get(&figures)
        .header("x-operator", "ana")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    let page = http
        .get(format!("http://{addr}/ops"))
        .header("x-operator", "ana")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"href="/ops/dashboard.css""#),
        "links under the mount: {page}"
    );
    manager.shutdown().await;
}
