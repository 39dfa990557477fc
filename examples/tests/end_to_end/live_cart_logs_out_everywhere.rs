//! The demo's login and "log out everywhere", over HTTP with two cookie jars of one user
//! (two browsers) and one of another: logging out in one browser ends both of the user's
//! sessions, their live sockets are told `logged_out` (4004), and the other user stays.

use ractor_session_test_support::ws::expect_end;
use serde_json::{Value, json};

use crate::live_cart_end_to_end::{Visitor, next_event};
use crate::support::Demo;

async fn post(visitor: &Visitor, demo: &Demo, path: &str, body: Value) -> reqwest::Response {
    visitor
        .http
        .post(format!("{}{path}", demo.url))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn json_of(response: reqwest::Response) -> Value {
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

async fn me(visitor: &Visitor, demo: &Demo) -> Value {
    let response = visitor.get(demo, "/api/me").await;
    assert_eq!(response.status(), 200);
    json_of(response).await["user"].clone()
}

/// A new visitor, logged in as `name` through the page's API.
async fn logged_in(demo: &Demo, name: &str) -> Visitor {
    let visitor = Visitor::new();
    assert_eq!(visitor.get(demo, "/").await.status(), 200);
    let before = visitor.cookie(demo);
    let response = post(&visitor, demo, "/api/login", json!({ "user": name })).await;
    assert_eq!(response.status(), 200);
    assert_ne!(
        visitor.cookie(demo),
        before,
        "the login moved the session to a new ID"
    );
    assert_eq!(me(&visitor, demo).await, json!(name));
    visitor
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_everywhere_ends_both_browsers_of_the_user_and_tells_their_sockets() {
    let demo = Demo::start(&[]);
    let page = Visitor::new().get(&demo, "/").await.text().await.unwrap();
    assert!(
        page.contains("no password"),
        "the page says the login is a demo"
    );

    let (laptop, phone) = (
        logged_in(&demo, "alice").await,
        logged_in(&demo, "alice").await,
    );
    let bob = logged_in(&demo, "bob").await;
    let mut laptop_tab = laptop.socket(&demo).await;
    let mut phone_tab = phone.socket(&demo).await;
    let mut bob_tab = bob.socket(&demo).await;

    let response = post(&laptop, &demo, "/api/logout-everywhere", json!({})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json_of(response).await["ended"], 2);

    expect_end(&mut laptop_tab, "logged_out", 4004).await;
    expect_end(&mut phone_tab, "logged_out", 4004).await;
    for browser in [&laptop, &phone] {
        assert_eq!(me(browser, &demo).await, Value::Null, "logged out");
    }
    // Bob is still logged in, and his tab still live.
    assert_eq!(me(&bob, &demo).await, json!("bob"));
    assert_eq!(bob.add(&demo, "tea").await.status(), 200);
    assert_eq!(next_event(&mut bob_tab).await["event"], "cart");
    bob_tab.close(None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_refuses_a_bad_name_and_a_second_user_on_one_session() {
    let demo = Demo::start(&[]);
    let alice = logged_in(&demo, "alice").await;
    let response = post(&alice, &demo, "/api/login", json!({ "user": "bob" })).await;
    assert_eq!(response.status(), 409);
    assert_eq!(me(&alice, &demo).await, json!("alice"));

    let nobody = Visitor::new();
    nobody.get(&demo, "/").await;
    for bad in ["", "   ", "a\u{0}b"] {
        let response = post(&nobody, &demo, "/api/login", json!({ "user": bad })).await;
        assert_eq!(response.status(), 422, "{bad:?}");
    }
    assert_eq!(me(&nobody, &demo).await, Value::Null);
}
