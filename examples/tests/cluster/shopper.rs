//! A browser behind a load balancer without sticky sessions: one cookie jar, requests to
//! whichever node. Cookies are kept per host, not per port, so the cookie a node sets on
//! 127.0.0.1 goes to every node.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::cookie::{CookieStore as _, Jar};
use serde_json::{Value, json};

use crate::nodes::Endpoint;

/// How long a request may take before the client gives up: past a node's call timeout
/// (15 s) and its hop margin, so that a request the cluster answers at all is answered
/// within it. A request that reaches it hung.
pub(crate) const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Item names and quantities, as the cart lists them.
pub(crate) type Cart = BTreeMap<String, u64>;

/// A browser with its cookie jar; clones share the jar.
#[derive(Clone)]
pub(crate) struct Shopper {
    http: reqwest::Client,
    jar: Arc<Jar>,
}

impl Shopper {
    pub(crate) fn new() -> Self {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .timeout(CLIENT_TIMEOUT)
            .build()
            .expect("a client");
        Self { http, jar }
    }

    /// Opens the page on `node`, which starts a session and sets its cookie.
    pub(crate) async fn visit(&self, node: &Endpoint) {
        let response = self.send(node, self.http.get(&node.url)).await;
        assert_eq!(response.status(), 200, "the page through {}", node.name);
        assert!(self.cookie().is_some(), "the page sets the session cookie");
    }

    /// The `Cookie` header the jar sends to 127.0.0.1 (any node).
    pub(crate) fn cookie(&self) -> Option<String> {
        let url: reqwest::Url = "http://127.0.0.1/".parse().expect("a URL");
        let header = self.jar.cookies(&url)?;
        Some(header.to_str().expect("an ASCII cookie").to_owned())
    }

    /// Adds one `item` through `node`; the status of the answer (200: acknowledged).
    pub(crate) async fn add(&self, node: &Endpoint, item: &str) -> StatusCode {
        let request = self
            .http
            .post(format!("{}/api/cart/items", node.url))
            .header("origin", &node.url)
            .header("content-type", "application/json")
            .body(json!({ "item": item }).to_string());
        self.send(node, request).await.status()
    }

    /// Removes `item` through `node`; the status of the answer.
    pub(crate) async fn remove(&self, node: &Endpoint, item: &str) -> StatusCode {
        let request = self
            .http
            .delete(format!("{}/api/cart/items/{item}", node.url))
            .header("origin", &node.url);
        self.send(node, request).await.status()
    }

    /// The cart, read through `node`.
    pub(crate) async fn cart(&self, node: &Endpoint) -> Cart {
        let request = self.http.get(format!("{}/api/cart", node.url));
        let response = self.send(node, request).await;
        let status = response.status();
        let text = response.text().await.expect("the cart's body");
        assert_eq!(status, 200, "the cart through {}: {text}", node.name);
        let body: Value = serde_json::from_str(&text).expect("JSON");
        items(&body["cart"])
    }

    /// Sends `request` to `node`. A live node always answers, if only with an error
    /// status: no answer within [`CLIENT_TIMEOUT`] is a hung request, and fails the test,
    /// as does a broken connection.
    async fn send(&self, node: &Endpoint, request: reqwest::RequestBuilder) -> reqwest::Response {
        match request.send().await {
            Ok(response) => response,
            Err(error) if error.is_timeout() => panic!(
                "a request to {} hung: no answer within {CLIENT_TIMEOUT:?}",
                node.name
            ),
            Err(error) => panic!("{} did not answer: {error}", node.name),
        }
    }
}

/// The items of `cart`, a cart as the app shows it (`{"items": [{"name", "quantity"}], …}`),
/// in an answer or a live socket's `cart` event.
pub(crate) fn items(cart: &Value) -> Cart {
    cart["items"]
        .as_array()
        .expect("the cart's items")
        .iter()
        .map(|line| {
            let name = line["name"].as_str().expect("a name").to_owned();
            (name, line["quantity"].as_u64().expect("a quantity"))
        })
        .collect()
}

/// `names` with a quantity of one each.
pub(crate) fn one_each(names: &[&str]) -> Cart {
    names.iter().map(|&name| (name.to_owned(), 1)).collect()
}
