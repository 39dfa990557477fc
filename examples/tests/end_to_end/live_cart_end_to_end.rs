//! The live cart demo driven over HTTP and websockets. An item added in one connection shows
//! up on every socket of the same session (and on no other session's); when the session
//! expires its sockets are told `session_expired` and closed with 4001, and the old cookie
//! then gets a fresh, empty cart.

use std::sync::Arc;

use futures_util::SinkExt;
use ractor_session_test_support::ws::{Ws, connect, expect_end, next_frame};
use reqwest::cookie::{CookieStore, Jar};
use serde_json::{Value, json};

use crate::support::{Demo, live_cart};

/// A browser: a cookie jar and a client that uses it.
pub(crate) struct Visitor {
    pub(crate) http: reqwest::Client,
    jar: Arc<Jar>,
}

impl Visitor {
    pub(crate) fn new() -> Self {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .build()
            .unwrap();
        Self { http, jar }
    }

    pub(crate) fn cookie(&self, demo: &Demo) -> String {
        let url = demo.url.parse().unwrap();
        self.jar
            .cookies(&url)
            .expect("the visitor has a session cookie")
            .to_str()
            .unwrap()
            .to_owned()
    }

    pub(crate) async fn socket(&self, demo: &Demo) -> Ws {
        let (url, cookie) = (demo.ws_url("/live"), self.cookie(demo));
        connect(&url, Some(&cookie), Some(&demo.url)).await.unwrap()
    }

    pub(crate) async fn get(&self, demo: &Demo, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", demo.url))
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn add(&self, demo: &Demo, item: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/api/cart/items", demo.url))
            .header("content-type", "application/json")
            .body(json!({ "item": item }).to_string())
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn cart(&self, demo: &Demo) -> Value {
        let body = self.get(demo, "/api/cart").await.text().await.unwrap();
        serde_json::from_str(&body).unwrap()
    }
}

/// The next event, as JSON.
pub(crate) async fn next_event(ws: &mut Ws) -> Value {
    next_frame(ws).await.into_text()
}

fn names(cart: &Value) -> Vec<(String, u64)> {
    cart["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_owned(),
                l["quantity"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_show_up_on_every_socket_of_the_session_and_expiry_is_announced() {
    let demo = Demo::start(&["--idle-ttl", "3s", "--metrics-port", "0"]);
    let alice = Visitor::new();
    let page = alice.get(&demo, "/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Live cart") && html.contains("/app.js"));
    assert!(
        alice
            .get(&demo, "/app.js")
            .await
            .text()
            .await
            .unwrap()
            .contains("session_expired")
    );

    let mut tab1 = alice.socket(&demo).await;
    let mut tab2 = alice.socket(&demo).await;
    let bob = Visitor::new();
    bob.get(&demo, "/").await;
    let mut bob_tab = bob.socket(&demo).await;

    // Over HTTP: both of Alice's tabs hear it.
    assert_eq!(alice.add(&demo, "apple").await.status(), 200);
    for tab in [&mut tab1, &mut tab2] {
        let event = next_event(tab).await;
        assert_eq!(event["event"], "cart");
        assert_eq!(names(&event), [("apple".to_owned(), 1)]);
    }

    // Over one socket: the other socket hears it.
    tab1.send(json!({"op": "add", "item": "pear"}).to_string().into())
        .await
        .unwrap();
    let event = next_event(&mut tab2).await;
    assert_eq!(
        names(&event),
        [("apple".to_owned(), 1), ("pear".to_owned(), 1)]
    );
    assert_eq!(names(&next_event(&mut tab1).await), names(&event));

    // A refused command is answered on its own socket only.
    tab1.send(json!({"op": "remove", "item": "kiwi"}).to_string().into())
        .await
        .unwrap();
    let refusal = next_event(&mut tab1).await;
    assert_eq!(refusal["event"], "error");

    // Bob's tab heard none of it: his first event is his own.
    assert_eq!(bob.add(&demo, "coffee").await.status(), 200);
    let bobs = next_event(&mut bob_tab).await;
    assert_eq!(names(&bobs), [("coffee".to_owned(), 1)]);
    assert_eq!(names(&alice.cart(&demo).await["cart"]), names(&event));

    // Prometheus text, on the admin port.
    let metrics = demo.metrics_text().await;
    assert!(
        metrics.contains("ractor_session_started_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ractor_session_axum_live_sockets"),
        "{metrics}"
    );

    // Left alone, the session expires and every tab is told so.
    let old_cookie = alice.cookie(&demo);
    for tab in [&mut tab1, &mut tab2] {
        expect_end(tab, "session_expired", 4001).await;
    }

    // The page reloads into a fresh session: a new cookie and an empty cart.
    let reload = alice.get(&demo, "/").await;
    assert_eq!(reload.status(), 200);
    assert_ne!(alice.cookie(&demo), old_cookie);
    assert!(names(&alice.cart(&demo).await["cart"]).is_empty());
}

#[cfg(unix)]
#[tokio::test]
async fn stopping_the_demo_tells_live_tabs_shutdown_with_4003() {
    let mut demo = Demo::start(&[]);
    let visitor = Visitor::new();
    visitor.get(&demo, "/").await;
    let mut tab = visitor.socket(&demo).await;
    // The socket is registered once the demo answers a push-triggering command on it.
    tab.send(json!({"op": "add", "item": "tea"}).to_string().into())
        .await
        .unwrap();
    assert_eq!(next_event(&mut tab).await["event"], "cart");

    let stopper = tokio::spawn(async move {
        let clean = demo.terminate().await;
        (demo, clean)
    });
    expect_end(&mut tab, "shutdown", 4003).await;
    let (_demo, clean) = stopper.await.unwrap();
    assert!(
        clean,
        "the demo exits with success after a graceful shutdown"
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_clear_errors() {
    let demo = Demo::start(&[]);
    let visitor = Visitor::new();
    let long = "x".repeat(41);
    for item in ["", "   ", long.as_str()] {
        let response = visitor.add(&demo, item).await;
        assert_eq!(response.status(), 422, "{item:?}");
        assert!(response.text().await.unwrap().contains("error"));
    }
    let not_json = visitor
        .http
        .post(format!("{}/api/cart/items", demo.url))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert!(not_json.status().is_client_error());
    let missing = visitor
        .http
        .delete(format!("{}/api/cart/items/ghost", demo.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    // A socket needs a session first.
    let refused = tokio_tungstenite::connect_async(demo.ws_url("/live")).await;
    assert!(refused.is_err());
}

#[test]
fn bad_flags_and_a_missing_key_stop_the_demo_with_a_clear_message() {
    let run = |args: &[&str]| live_cart().args(args).output().expect("the binary runs");
    let out = run(&["--port", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'nope' for '--port"));

    let out = run(&["--port", "0", "--no-dev"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LIVE_CART_KEY"), "{stderr}");

    let out = run(&["--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--idle-ttl"));
}

#[tokio::test]
async fn a_key_from_the_environment_runs_without_dev_mode() {
    let demo = Demo::spawn(
        &["--no-dev"],
        &[(
            "LIVE_CART_KEY",
            "a-test-secret-that-is-long-enough-for-hkdf",
        )],
    );
    let response = reqwest::get(format!("{}/", demo.url)).await.unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("the page starts a session")
        .to_str()
        .unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.starts_with("__Host-session_id="), "{cookie}");
}
