//! Many anonymous clients cannot grow the demo without bound nor lock anyone out: with
//! `--max-sessions 100`, 4,000 cookie-less visits from 100 loopback addresses all get a
//! page, each counted against its own address, the number of live sessions never passes
//! 100, and the demo's resident memory grows by no more than 100 sessions' worth past what
//! it held before the flood. The figures are read from the metrics on the admin port.
//!
//! Measured on a 2-core machine (debug build): with the cap, the flood added about
//! 1.7 MB to an RSS of 11.8 MB; without it (`--max-sessions 100000`), the 4,000
//! sessions added about 30 MB, well past the bound asserted here (23 MB).

use std::net::IpAddr;

use crate::support::Demo;

const CAP: u64 = 100;
const ADDRESSES: u8 = 100;
/// Under the demo's per-client burst (60): no visit is refused for its rate.
const VISITS_PER_ADDRESS: usize = 40;
/// Far above what one session costs (an actor, its cart and its registry entry: about
/// 10 KiB in a debug build), so the bound is on the count of sessions, not on a tight
/// measurement.
const PER_SESSION_BUDGET: u64 = 64 * 1024;
/// The allocator, the runtime's buffers and up to 100 open connections.
const SLACK: u64 = 16 * 1024 * 1024;

async fn visit(client: &reqwest::Client, demo: &Demo) {
    let response = client.get(format!("{}/", demo.url)).send().await.unwrap();
    let status = response.status();
    let cookie = response.headers().contains_key("set-cookie");
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, 200, "a visitor was turned away: {body}");
    assert!(cookie, "a new session sets its cookie");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_floods_keep_sessions_and_memory_bounded_by_the_cap() {
    let max = CAP.to_string();
    let demo = Demo::start(&["--max-sessions", &max, "--metrics-port", "0"]);
    let clients: Vec<reqwest::Client> = (0..ADDRESSES)
        .map(|i| {
            let ip: IpAddr = format!("127.0.1.{}", i + 1).parse().unwrap();
            reqwest::Client::builder()
                .local_address(ip)
                .build()
                .unwrap()
        })
        .collect();

    // Warm up: the page, the runtime and the connections, with the server full.
    for client in &clients {
        visit(client, &demo).await;
    }
    assert_eq!(demo.metric("ractor_session_live").await, CAP);
    let before = demo.rss_bytes();

    let mut peak = before;
    for round in 1..VISITS_PER_ADDRESS {
        let visits = clients.iter().map(|client| visit(client, &demo));
        futures_util::future::join_all(visits).await;
        let live = demo.metric("ractor_session_live").await;
        assert!(live <= CAP, "{live} live sessions after round {round}");
        peak = peak.max(demo.rss_bytes());
    }
    // Every visitor was told apart by its address: the per-client limit saw them all.
    let unknown = demo
        .metric("ractor_session_axum_clients_unknown_total")
        .await;
    assert_eq!(unknown, 0, "requests whose client the demo could not tell");
    let bound = before + CAP * PER_SESSION_BUDGET + SLACK;
    assert!(
        peak <= bound,
        "RSS grew from {before} to {peak} bytes, past {bound}"
    );
}
