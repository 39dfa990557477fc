//! The dashboard's socket, even with the token, opens only from the dashboard's own page
//! (or from no browser at all): a page of another origin, another scheme, or one the
//! browser marks cross-site gets 403 before any upgrade.

use ractor_session_test_support::ws::{connect, next_frame, refused_status, upgrade_request};

use crate::admin::{Admin, TOKEN};

#[tokio::test]
async fn only_the_dashboards_own_origin_opens_the_socket() {
    let admin = Admin::start().await;
    let cookie = format!("ractor_dashboard={TOKEN}");
    let url = admin.socket_url();
    let own = admin.origin().to_owned();
    let other_scheme = own.replacen("http://", "https://", 1);
    for origin in [
        "http://evil.example",
        "null",
        other_scheme.as_str(),
        "http://localhost:1",
    ] {
        assert_eq!(
            refused_status(&url, Some(&cookie), Some(origin)).await,
            403,
            "from {origin}"
        );
    }

    // From its own page: open, and greeted with the figures.
    let mut ws = connect(&url, Some(&cookie), Some(&own))
        .await
        .expect("opens");
    assert_eq!(next_frame(&mut ws).await.into_text()["event"], "hello");
    // Not from a browser (no Origin): the token is what counts.
    let mut ws = connect(&url, Some(&cookie), None).await.expect("opens");
    assert_eq!(next_frame(&mut ws).await.into_text()["event"], "hello");
}

#[tokio::test]
async fn a_request_the_browser_marks_cross_site_is_refused() {
    let admin = Admin::start().await;
    let cookie = format!("ractor_dashboard={TOKEN}");
    let mut request = upgrade_request(&admin.socket_url(), Some(&cookie), None).unwrap();
    request
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
        }
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
}
