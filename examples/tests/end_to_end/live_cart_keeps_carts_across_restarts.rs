//! The demo keeps its carts in its SQLite store: stopped and started again in the same
//! working directory, it shows a returning browser's cookie the same cart. A graceful stop
//! (SIGTERM) loses nothing; a kill (`kill -9`) loses nothing acknowledged with
//! `--write-through`, and, with the default write-behind, nothing that a completed write
//! of the store covered (docs/durability.md: at most the changes since the last completed
//! flush began). A session whose idle deadline passed while the demo was down is not
//! revived: its cookie gets a fresh ID and an empty cart.

use std::path::Path;

use ractor_session::SessionId;
use ractor_session::durable::{SessionStore, SqliteStore};
use ractor_session_test_support::poll::eventually;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::Demo;

/// The session cookie's name in dev mode.
const COOKIE: &str = "session_id";

/// Length of the signature before the ID in a signed cookie value.
const TAG_LEN: usize = 44;

/// A browser that keeps its session cookie across the demo's restarts.
struct Shopper {
    http: reqwest::Client,
    /// `session_id=…`, once the demo has set it.
    cookie: Option<String>,
}

impl Shopper {
    fn new() -> Self {
        Self {
            http: reqwest::Client::new(),
            cookie: None,
        }
    }

    /// Sends `request` with the cookie, and keeps any new cookie it sets.
    async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let request = match &self.cookie {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        };
        let response = request.send().await.expect("the demo answers");
        let set = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .find(|pair| pair.starts_with(&format!("{COOKIE}=")));
        if let Some(pair) = set {
            self.cookie = Some(pair);
        }
        response
    }

    /// Opens the page: the demo starts a session and sets its cookie.
    async fn visit(&mut self, demo: &Demo) {
        let response = self.send(self.http.get(&demo.url)).await;
        assert_eq!(response.status(), 200);
        assert!(self.cookie.is_some(), "the page sets the session cookie");
    }

    /// Adds `item`; returns once the demo has acknowledged it.
    async fn add(&mut self, demo: &Demo, item: &str) {
        let request = self
            .http
            .post(format!("{}/api/cart/items", demo.url))
            .header("content-type", "application/json")
            .body(json!({ "item": item }).to_string());
        let response = self.send(request).await;
        assert_eq!(response.status(), 200, "{item} is acknowledged");
    }

    /// The cart's item names, in the demo's order (by name).
    async fn items(&mut self, demo: &Demo) -> Vec<String> {
        let request = self.http.get(format!("{}/api/cart", demo.url));
        let text = self.send(request).await.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap();
        body["cart"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| line["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The session ID inside the cookie.
    fn id(&self) -> SessionId {
        let cookie = self.cookie.as_deref().expect("a session cookie");
        let value = &cookie[COOKIE.len() + 1..];
        SessionId::parse(&value[TAG_LEN..]).expect("a session ID after the signature")
    }
}

/// `names`, sorted as the cart lists them.
fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|&n| n.to_owned()).collect();
    names.sort();
    names
}

/// The demo started in `dir` (again) with `args`.
fn demo_in(dir: &TempDir, args: &[&str]) -> Demo {
    let mut all = vec!["--dev"];
    all.extend_from_slice(args);
    Demo::spawn_in(dir.path(), &all, &[])
}

/// The demo's store in `dir`, opened by the test.
async fn store_in(dir: &Path) -> SqliteStore {
    SqliteStore::open(dir.join("live_cart.db"))
        .await
        .expect("the demo's SQLite file opens")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_write_through_a_kill_loses_no_acknowledged_item() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = demo_in(&dir, &["--write-through"]);
    let mut shopper = Shopper::new();
    shopper.visit(&demo).await;
    let added = ["apple", "bread", "cheese", "dates", "eggs"];
    for item in added {
        shopper.add(&demo, item).await;
    }
    demo.kill();

    let demo = demo_in(&dir, &["--write-through"]);
    assert_eq!(shopper.items(&demo).await, sorted(&added));
    assert!(
        dir.path().join("live_cart.db.key").exists(),
        "the dev key is kept next to the store"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_write_behind_a_kill_keeps_everything_a_completed_write_covered() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = demo_in(&dir, &["--metrics-port", "0"]);
    let mut shopper = Shopper::new();
    shopper.visit(&demo).await;
    let written = ["apple", "bread", "cheese"];
    for item in written {
        shopper.add(&demo, item).await;
    }
    // Every change recorded so far has been written once nothing waits to be written.
    eventually("a write covers the acknowledged items", || async {
        demo.metric("ractor_session_store_pending").await == 0
    })
    .await;
    let maybe = ["figs", "grapes"];
    for item in maybe {
        shopper.add(&demo, item).await;
    }
    demo.kill();

    let demo = demo_in(&dir, &[]);
    let items = shopper.items(&demo).await;
    // A state the cart went through: the written items, then a prefix of the others.
    let lost = (0..=maybe.len()).find(|&kept| {
        let mut names = written.to_vec();
        names.extend_from_slice(&maybe[..kept]);
        items == sorted(&names)
    });
    assert!(
        lost.is_some(),
        "not a state the cart went through: {items:?}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_then_a_restart_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = demo_in(&dir, &[]);
    let mut shopper = Shopper::new();
    shopper.visit(&demo).await;
    let added = ["apple", "bread", "cheese"];
    for item in added {
        shopper.add(&demo, item).await;
    }
    assert!(demo.terminate().await, "the demo exits cleanly on SIGTERM");

    let demo = demo_in(&dir, &[]);
    let cookie = shopper.cookie.clone();
    assert_eq!(shopper.items(&demo).await, sorted(&added));
    assert_eq!(shopper.cookie, cookie, "the same cookie, not a fresh one");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_idle_past_its_deadline_while_the_demo_was_down_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = demo_in(&dir, &["--idle-ttl", "1s"]);
    let mut shopper = Shopper::new();
    shopper.visit(&demo).await;
    shopper.add(&demo, "apple").await;
    assert!(demo.terminate().await);
    let id = shopper.id();
    let store = store_in(dir.path()).await;
    assert!(
        store.load(&id).await.unwrap().is_some(),
        "kept by the graceful stop"
    );
    // While the demo is down, the session's idle deadline passes.
    eventually("the stored session expires", || async {
        store.load(&id).await.unwrap().is_none()
    })
    .await;
    drop(store);

    let demo = demo_in(&dir, &["--idle-ttl", "1s"]);
    assert!(shopper.items(&demo).await.is_empty(), "an empty cart");
    assert_ne!(shopper.id(), id, "a fresh session ID");
}
