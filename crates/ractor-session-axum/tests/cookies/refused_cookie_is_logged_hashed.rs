//! A refused session cookie is recorded — a warning carrying a hashed ID (never the raw
//! value) and the `ractor_session_axum_cookies_refused_total` counter by reason.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::Request;
use ractor_session::SessionId;
use ractor_session_test_support::logs::Logs;
use ractor_session_test_support::metrics::Recorder;
use tower::ServiceExt;

use crate::support::*;

#[tokio::test(flavor = "current_thread")]
async fn each_refusal_is_a_hashed_warning_and_a_counted_reason() {
    let (logs, _logs) = Logs::capture(tracing::Level::INFO);
    let recorder = Recorder::default();
    let _metrics = recorder.install();

    let manager = manager(Duration::from_secs(60)).await;
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(layer(&manager));

    let unknown = SessionId::generate();
    let forged = format!("{}{}", "C".repeat(TAG_LEN), SessionId::generate());
    let malformed = "malformed-secret-value";
    for value in [sign(unknown.as_str()), forged.clone(), malformed.to_owned()] {
        let request = Request::get("/")
            .header("cookie", cookie_header(&value))
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200);
    }

    let text = logs.text();
    let warnings: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("session cookie refused"))
        .collect();
    assert_eq!(warnings.len(), 3, "{text}");
    assert!(warnings[0].contains("reason=\"unknown\"") || warnings[0].contains("reason=unknown"));
    assert!(
        warnings[0].contains(&unknown.redacted().to_string()),
        "{}",
        warnings[0]
    );
    for raw in [unknown.as_str(), &forged[TAG_LEN..], malformed] {
        assert!(!text.contains(raw), "a raw value reached the logs: {text}");
    }

    let counted = recorder
        .snapshot()
        .counters_by_label("ractor_session_axum_cookies_refused_total", "reason");
    let expected: std::collections::BTreeMap<String, u64> = [
        ("bad_signature".to_owned(), 1),
        ("malformed".to_owned(), 1),
        ("unknown".to_owned(), 1),
    ]
    .into();
    assert_eq!(counted, expected);
    manager.shutdown().await;
}
