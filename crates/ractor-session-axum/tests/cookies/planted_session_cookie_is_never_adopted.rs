//! Cookie tossing: a sibling subdomain can set cookies for the whole domain, under the
//! session cookie's name. Two attacks, over a real server:
//! - it plants the cookie of its *own* live session, hoping the victim's requests use it
//!   (the victim's actions land in the attacker's session, or the reverse): a request that
//!   names two different live sessions adopts neither, in either order, and no cookie is
//!   written in reply;
//! - it plants junk under the name, hoping to push the real cookie out of reach and log
//!   the victim out: junk never hides the real cookie.
//!
//! In secure mode the default `__Host-` name stops both in the browser; these tests run
//! the server-side rule that holds for any name.

use ractor_session_test_support::actors::CounterMsg;
use std::time::Duration;

use crate::support::*;

/// A request to `path` with the raw `Cookie` header `cookies`.
async fn send(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    cookies: &str,
) -> reqwest::Response {
    bare_client()
        .request(method, server.url(path))
        .header("cookie", cookies)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_second_live_session_cookie_makes_the_request_adopt_neither() {
    let server = start(Duration::from_secs(60)).await;
    let victim = new_session(&server, &bare_client()).await;
    let attacker = new_session(&server, &bare_client()).await;
    // The attacker's session holds a marker the victim must never see or add to.
    send(
        &server,
        reqwest::Method::POST,
        "/incr",
        &cookie_header(&attacker),
    )
    .await;
    let live_before = server.manager.count();

    for cookies in [
        format!("{}; {}", cookie_header(&attacker), cookie_header(&victim)),
        format!("{}; {}", cookie_header(&victim), cookie_header(&attacker)),
    ] {
        let read = send(&server, reqwest::Method::GET, "/count", &cookies).await;
        assert_eq!(read.status(), 400, "{cookies}");
        assert!(
            set_cookies(&read).is_empty(),
            "no cookie is written: {:?}",
            set_cookies(&read)
        );
        assert!(
            read.text()
                .await
                .unwrap()
                .contains("conflicting session cookies")
        );

        let write = send(&server, reqwest::Method::POST, "/incr", &cookies).await;
        assert_eq!(write.status(), 400);
        assert!(set_cookies(&write).is_empty());
    }
    assert_eq!(
        server.manager.count(),
        live_before,
        "no session was started for them"
    );
    let count = |value: String| {
        let manager = server.manager.clone();
        async move { manager.call(id_of(&value), CounterMsg::Get).await.unwrap() }
    };
    assert_eq!(
        count(attacker.clone()).await,
        1,
        "the attacker's session was not used"
    );
    assert_eq!(
        count(victim.clone()).await,
        0,
        "the victim's session was not used"
    );

    // Alone, each cookie still reaches its own session.
    let alone = send(
        &server,
        reqwest::Method::GET,
        "/count",
        &cookie_header(&victim),
    )
    .await;
    assert_eq!(alone.status(), 200);
    assert_eq!(json_body(alone).await["count"], 0);
    server.manager.shutdown().await;
}

#[tokio::test]
async fn the_same_cookie_twice_is_no_conflict() {
    let server = start(Duration::from_secs(60)).await;
    let value = new_session(&server, &bare_client()).await;
    let twice = format!("{}; {}", cookie_header(&value), cookie_header(&value));
    let response = send(&server, reqwest::Method::POST, "/incr", &twice).await;
    assert_eq!(response.status(), 200);
    assert!(set_cookies(&response).is_empty());
    assert_eq!(response.text().await.unwrap(), "1");
    server.manager.shutdown().await;
}

#[tokio::test]
async fn junk_cookies_ahead_of_the_real_one_do_not_log_the_user_out() {
    let server = start(Duration::from_secs(60)).await;
    let value = new_session(&server, &bare_client()).await;
    send(
        &server,
        reqwest::Method::POST,
        "/incr",
        &cookie_header(&value),
    )
    .await;

    for junk in [
        "junk".to_owned(),
        // Signed-looking but forged: the shape of a real value.
        format!("{}{}", "A".repeat(TAG_LEN), id_of(&value)),
    ] {
        let planted = vec![cookie_header(&junk); 12].join("; ");
        let cookies = format!("{planted}; {}", cookie_header(&value));
        let response = send(&server, reqwest::Method::GET, "/count", &cookies).await;
        assert_eq!(response.status(), 200);
        assert!(
            set_cookies(&response).is_empty(),
            "the real session was kept, no cookie change: {:?}",
            set_cookies(&response)
        );
        assert_eq!(
            json_body(response).await["count"],
            1,
            "the user's own session"
        );
    }
    server.manager.shutdown().await;
}
