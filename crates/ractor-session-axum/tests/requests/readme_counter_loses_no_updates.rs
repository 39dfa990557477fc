//! The counter handler of the README (and of docs/axum.md) loses no update: 64 concurrent
//! requests of one session, on a server with two worker threads, count to 64.
//!
//! The handler below is the README's, checked to be the same text. Its earlier form read
//! the count with a `Get` and wrote it back with a `Put` — two messages — and under this
//! very load lost updates: concurrent requests read the same count between one request's
//! `Get` and its `Put` (measured with this test on a 2-core machine, six runs: after the
//! first visit and the 64 concurrent ones the count stood at 5 to 33 instead of 65, and
//! every run failed the assertion below). `KvMsg::increment` reads and writes in one
//! message, inside the session.

use axum::Router;
use axum::routing::get;
use ractor_session::{KvMsg, SessionConfig, SessionManager};
use ractor_session_axum::{Session, SessionLayer, SessionRejection};
use ractor_session_test_support::poll::PATIENCE;

use crate::support::*;

/// Defines the handler and keeps its source text, to compare with the README's.
macro_rules! with_source {
    ($($handler:tt)*) => {
        $($handler)*
        const HANDLER: &str = stringify!($($handler)*);
    };
}

with_source! {
    async fn visits(session: Session) -> Result<String, SessionRejection> {
        // One message: the session adds 1 and replies with the sum. A `Get` then a `Put`
        // would be two messages, and concurrent requests could lose updates between them.
        let n = session.call(KvMsg::increment("visits", 1)).await??;
        Ok(format!("visit number {n}"))
    }
}

/// Code without comments or whitespace, to compare source text with `stringify!`'s.
fn tokens(code: &str) -> String {
    code.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .flat_map(str::chars)
        .filter(|c| !c.is_whitespace())
        .collect()
}

#[test]
fn the_handler_is_the_one_the_readme_and_the_guide_show() {
    let handler = tokens(HANDLER);
    for (name, text) in [
        ("README.md", include_str!("../../../../README.md")),
        ("docs/axum.md", include_str!("../../../../docs/axum.md")),
    ] {
        assert!(
            tokens(text).contains(&handler),
            "{name} shows another handler"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_visits_count_to_sixty_four() {
    let manager = SessionManager::spawn(SessionConfig::default())
        .await
        .unwrap();
    let layer = SessionLayer::builder(manager.clone())
        .with_key(key())
        .with_secure(false)
        .with_auto_start()
        .build()
        .unwrap();
    let addr = serve(Router::new().route("/", get(visits)).layer(layer)).await;
    let url = format!("http://{addr}/");
    let visit = || bare_client().get(&url);

    let first = visit().send().await.unwrap();
    let cookie = cookie_header(&session_cookie(&first).expect("a new session"));
    assert_eq!(first.text().await.unwrap(), "visit number 1");

    let requests: Vec<_> = (0..64)
        .map(|_| {
            let request = visit().header("cookie", &cookie).send();
            tokio::spawn(async move {
                let response = request.await.unwrap();
                assert_eq!(response.status(), 200);
                let text = response.text().await.unwrap();
                text.strip_prefix("visit number ")
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
            })
        })
        .collect();
    let mut seen = Vec::new();
    for request in requests {
        seen.push(request.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (2..=65).collect::<Vec<u64>>(),
        "each visit saw its own count"
    );

    let last = visit().header("cookie", &cookie).send().await.unwrap();
    assert_eq!(last.text().await.unwrap(), "visit number 66");
    tokio::time::timeout(PATIENCE, manager.shutdown())
        .await
        .unwrap();
}
