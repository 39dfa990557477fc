//! No client can lock new visitors out: session creation is limited per client, the
//! manager's shared creation budget is not what the web layer draws on, and at
//! `max_sessions` a newcomer takes the place of a session that never came back.
//!
//! Clients come from distinct loopback addresses (127.0.0.2, 127.0.0.3, …), which the
//! server tells apart through `ConnectInfo`.

use ractor_session::{SessionConfig, SessionManager};
use ractor_session_axum::{
    ClientKeySource, CreationLimits, LiveSockets, ProxyHeader, SessionLayer,
};
use ractor_session_test_support::actors::Counter;
use ractor_session_test_support::poll::PATIENCE;

use crate::support::*;

async fn app_on(layer: SessionLayer) -> String {
    let app = routes().with_state(LiveSockets::new()).layer(layer);
    let addr = serve_with_peers(app).await;
    format!("http://{addr}/count")
}

/// Sends a cookie-less request, which needs a new session; its status.
async fn anonymous(client: &reqwest::Client, url: &str, forwarded_for: Option<&str>) -> u16 {
    let mut request = client.get(url);
    if let Some(ip) = forwarded_for {
        request = request.header("x-forwarded-for", ip);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    match status {
        200 => assert!(
            session_cookie(&response).is_some(),
            "a new session sets its cookie"
        ),
        429 => assert!(response.headers().contains_key("retry-after")),
        _ => {}
    }
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attackers_flood_never_turns_a_visitor_away() {
    // The manager's defaults: its shared bucket holds 100 creations a minute, which
    // the flood alone would empty.
    let manager = SessionManager::spawn(SessionConfig::default())
        .await
        .unwrap();
    let url = app_on(layer(&manager)).await;
    let (attacker, visitor) = (client_from("127.0.0.2"), client_from("127.0.0.3"));

    let mut refused = 0;
    for round in 0..20 {
        for _ in 0..10 {
            match anonymous(&attacker, &url, None).await {
                200 => {}
                429 => refused += 1,
                other => panic!("the attacker got {other}"),
            }
        }
        let status = anonymous(&visitor, &url, None).await;
        assert_eq!(status, 200, "the visitor was turned away in round {round}");
    }
    assert!(refused > 0, "the attacker's own budget ran out");
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_admits_newcomers_and_keeps_returning_visitors() {
    let config = SessionConfig::default()
        .with_max_sessions(5)
        .with_rate_limit(None);
    let manager = SessionManager::spawn(config).await.unwrap();
    let url = app_on(layer(&manager)).await;

    // A visitor who comes back: its cookie was presented again.
    let returning = reqwest::Client::builder()
        .cookie_store(true)
        .local_address("127.0.0.4".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let before = json_body(returning.get(&url).send().await.unwrap()).await;
    let again = json_body(returning.get(&url).send().await.unwrap()).await;
    assert_eq!(before["actor"], again["actor"]);

    // One-request sessions fill the server, then keep coming.
    let attacker = client_from("127.0.0.2");
    for i in 0..20 {
        assert_eq!(anonymous(&attacker, &url, None).await, 200, "request {i}");
        assert!(manager.count() <= 5, "{} sessions", manager.count());
    }
    let newcomer = client_from("127.0.0.3");
    assert_eq!(anonymous(&newcomer, &url, None).await, 200);
    assert_eq!(manager.count(), 5);

    let after = json_body(returning.get(&url).send().await.unwrap()).await;
    assert_eq!(
        after["actor"], before["actor"],
        "the returning visitor kept its session"
    );
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_clients_are_told_apart_by_the_forwarded_address() {
    let manager = SessionManager::spawn(SessionConfig::default())
        .await
        .unwrap();
    let proxy = "127.0.0.1/32".parse().unwrap();
    let limits = CreationLimits::new()
        .with_per_client(60, 20)
        .with_client_key(ClientKeySource::behind_proxies(
            [proxy],
            ProxyHeader::XForwardedFor,
        ));
    let layer = SessionLayer::builder(manager.clone())
        .with_key(key())
        .with_secure(false)
        .with_auto_start_with(|| (Counter, 0))
        .with_creation_limits(limits)
        .build()
        .unwrap();
    let url = app_on(layer).await;
    let through_proxy = client_from("127.0.0.1");

    let mut refused = 0;
    for round in 0..10 {
        for _ in 0..5 {
            if anonymous(&through_proxy, &url, Some("203.0.113.7")).await == 429 {
                refused += 1;
            }
        }
        let visitor = anonymous(&through_proxy, &url, Some("198.51.100.1, 203.0.113.8")).await;
        assert_eq!(visitor, 200, "round {round}");
    }
    assert!(refused > 0);

    // A client that is not a trusted proxy is itself, whatever it claims.
    let spoofer = client_from("127.0.0.2");
    let mut spoofer_refused = 0;
    for i in 0..40 {
        let claimed = format!("192.0.2.{i}");
        if anonymous(&spoofer, &url, Some(&claimed)).await == 429 {
            spoofer_refused += 1;
        }
    }
    assert!(spoofer_refused > 0, "the forged header was believed");
    tokio::time::timeout(PATIENCE, manager.shutdown())
        .await
        .unwrap();
}
