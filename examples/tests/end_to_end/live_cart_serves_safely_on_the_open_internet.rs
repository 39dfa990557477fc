//! The live cart demo, run as the real binary, is safe to put behind a public proxy: slow
//! and idle connections are closed, `/metrics` is never served on the app's port, and
//! every response carries a Content-Security-Policy and anti-framing headers.

use std::time::Duration;

use ractor_session_test_support::poll::PATIENCE;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::Demo;

/// Opens a raw connection to the demo and writes `bytes`.
async fn connect_and_send(demo: &Demo, bytes: &[u8]) -> TcpStream {
    let addr = demo.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Reads until the server closes the connection; returns what it sent. Fails if it is
/// still open after [`PATIENCE`].
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(PATIENCE, read)
        .await
        .expect("the server closed the connection");
    received
}

#[tokio::test]
async fn half_sent_silent_and_idle_connections_are_closed() {
    let demo = Demo::start(&["--read-timeout", "1s"]);

    // Half a request head, then nothing.
    let mut half = connect_and_send(&demo, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await;
    let answer = read_until_closed(&mut half).await;
    assert!(!answer.starts_with(b"HTTP/1.1 200"), "never served");

    // A connection that never sends a byte.
    let mut silent = connect_and_send(&demo, b"").await;
    read_until_closed(&mut silent).await;

    // A complete request on a keep-alive connection is answered; left idle, it is closed.
    let mut idle = connect_and_send(
        &demo,
        b"GET /app.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n",
    )
    .await;
    let answer = read_until_closed(&mut idle).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[tokio::test]
async fn metrics_are_only_on_the_loopback_admin_port() {
    let demo = Demo::start(&[]);
    assert_eq!(demo.metrics_url, None, "no admin port unless asked for");
    let public = reqwest::get(format!("{}/metrics", demo.url)).await.unwrap();
    assert_eq!(public.status(), 404);

    let demo = Demo::start(&["--metrics-port", "0"]);
    let public = reqwest::get(format!("{}/metrics", demo.url)).await.unwrap();
    assert_eq!(public.status(), 404, "never on the app's port");
    // A visit, so that there is something to count.
    reqwest::get(format!("{}/", demo.url)).await.unwrap();
    let metrics_url = demo.metrics_url.clone().expect("the admin port is printed");
    assert!(
        metrics_url.starts_with("http://127.0.0.1:"),
        "{metrics_url}"
    );
    assert_ne!(metrics_url, format!("{}/metrics", demo.url));
    let metrics = reqwest::get(&metrics_url).await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("ractor_session_started_total"), "{text}");
    // Nothing else at the admin port's root (the dashboard has a test of its own).
    let other = reqwest::get(metrics_url.replace("/metrics", "/"))
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn every_response_forbids_framing_and_foreign_content() {
    let demo = Demo::start(&[]);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    for path in ["/", "/app.js", "/app.css", "/api/cart", "/no-such-page"] {
        let response = client
            .get(format!("{}{path}", demo.url))
            .send()
            .await
            .unwrap();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("{path}: no {name}"))
        };
        let csp = header("content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
    }
    // The page has no inline script or style for the policy to block.
    let page = client
        .get(&demo.url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("<style") && !page.contains("<script>"),
        "{page}"
    );
}
