//! Events any client can cause at will — refused cookies, refused session starts — are
//! logged at most once per interval per kind, while their counters count every one; and
//! a refused start is never also an ERROR.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use http::Request;
use ractor_session::{SessionConfig, SessionId, SessionManager};
use ractor_session_test_support::logs::Logs;
use ractor_session_test_support::metrics::Recorder;
use tower::ServiceExt;
use tracing::Level;

use crate::support::*;

fn lines_with(logs: &Logs, level: &str, message: &str) -> usize {
    logs.text()
        .lines()
        .filter(|l| l.contains(level) && l.contains(message))
        .count()
}

/// The sum of the counter `name` over its `reason`s.
fn counted(recorder: &Recorder, name: &str) -> u64 {
    recorder
        .snapshot()
        .counters_by_label(name, "reason")
        .values()
        .sum()
}

async fn get_with_cookies(app: &Router, cookies: &[String]) -> u16 {
    let mut request = Request::get("/count");
    for value in cookies {
        request = request.header("cookie", cookie_header(value));
    }
    let request = request.body(Body::empty()).unwrap();
    app.clone()
        .oneshot(request)
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "current_thread")]
async fn a_flood_of_refused_cookies_writes_a_line_per_kind() {
    let (logs, _logs) = Logs::capture(Level::INFO);
    let recorder = Recorder::default();
    let _metrics = recorder.install();
    let manager = manager(Duration::from_secs(60)).await;
    let app = routes()
        .with_state(Default::default())
        .layer(layer(&manager));

    for _ in 0..50 {
        // The most a request can carry: 8 cookies of the session's name, all refused.
        let cookies: Vec<String> = (0..8)
            .map(|i| match i % 3 {
                0 => sign(SessionId::generate().as_str()),
                1 => format!("{}{}", "C".repeat(TAG_LEN), SessionId::generate()),
                _ => "malformed-value".to_owned(),
            })
            .collect();
        assert_eq!(get_with_cookies(&app, &cookies).await, 200);
    }
    let lines = lines_with(&logs, "WARN", "session cookie refused");
    assert!(
        (1..=3).contains(&lines),
        "one line per reason at most, got {lines}"
    );
    assert_eq!(
        counted(&recorder, "ractor_session_axum_cookies_refused_total"),
        400,
        "the counter has every refusal"
    );
    manager.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn refused_session_starts_write_one_warning_and_no_error() {
    let (logs, _logs) = Logs::capture(Level::INFO);
    let recorder = Recorder::default();
    let _metrics = recorder.install();
    // The manager's defaults: 100 creations a minute in its shared bucket.
    let manager = SessionManager::spawn(SessionConfig::default())
        .await
        .unwrap();
    let peer = SocketAddr::from(([127, 0, 0, 2], 40_000));
    let app = routes()
        .with_state(Default::default())
        .layer(layer(&manager))
        .layer(MockConnectInfo(peer));

    let mut refused = 0;
    for _ in 0..150 {
        match get_with_cookies(&app, &[]).await {
            200 => {}
            status => {
                assert!(status == 429 || status == 503, "{status}");
                refused += 1;
            }
        }
    }
    assert!(refused > 0, "the flood was refused in part");
    assert_eq!(
        lines_with(&logs, "ERROR", ""),
        0,
        "a refusal is not an error"
    );
    assert_eq!(lines_with(&logs, "WARN", "session start refused"), 1);
    assert_eq!(
        counted(&recorder, "ractor_session_axum_creations_refused_total"),
        refused,
    );
    manager.shutdown().await;
}
