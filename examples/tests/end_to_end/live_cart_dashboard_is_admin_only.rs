//! The demo's session dashboard: only on the loopback admin port, behind a token — made at
//! start and shown once in the printed login link, or taken from
//! `LIVE_CART_DASHBOARD_TOKEN` (then never printed); a token that can't be one stops the
//! demo with a clear message.

use reqwest::StatusCode;

use crate::support::{Demo, live_cart};

const TOKEN: &str = "an-operator-token-from-the-environment";

#[tokio::test]
async fn the_dashboard_is_on_the_admin_port_behind_a_printed_token() {
    let demo = Demo::start(&[]);
    assert_eq!(demo.dashboard_url, None, "no admin port, no dashboard");

    let demo = Demo::start(&["--metrics-port", "0"]);
    let app = reqwest::get(format!("{}/dashboard", demo.url))
        .await
        .unwrap();
    assert_eq!(
        app.status(),
        StatusCode::NOT_FOUND,
        "never on the app's port"
    );

    let login = demo
        .dashboard_url
        .clone()
        .expect("the dashboard is printed");
    let admin = demo.metrics_url.clone().unwrap().replace("/metrics", "");
    let (page, token) = login.split_once("?token=").expect("a login link");
    assert_eq!(page, format!("{admin}/dashboard"));
    let http = reqwest::Client::new();
    let figures = format!("{page}/figures");
    assert_eq!(
        http.get(&figures).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let allowed = http.get(&figures).bearer_auth(token).send().await.unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    let text = allowed.text().await.unwrap();
    assert!(text.contains(r#""sessions":{"active":0"#), "{text}");
}

#[tokio::test]
async fn a_token_from_the_environment_is_used_and_never_printed() {
    let demo = Demo::spawn(
        &["--dev", "--metrics-port", "0"],
        &[("LIVE_CART_DASHBOARD_TOKEN", TOKEN)],
    );
    let page = demo
        .dashboard_url
        .clone()
        .expect("the dashboard is printed");
    assert!(!page.contains("token"), "{page}");
    let http = reqwest::Client::new();
    let figures = format!("{page}/figures");
    let allowed = http.get(&figures).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
}

#[test]
fn a_token_that_cannot_be_one_stops_the_demo() {
    let out = live_cart()
        .args(["--port", "0", "--dev", "--metrics-port", "0"])
        .env("LIVE_CART_DASHBOARD_TOKEN", "short")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("LIVE_CART_DASHBOARD_TOKEN") && stderr.contains("too short"),
        "{stderr}"
    );
}
