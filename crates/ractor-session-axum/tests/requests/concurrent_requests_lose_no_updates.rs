//! 64 concurrent requests on one session, each incrementing a counter, end at 64 — the
//! session's actor applies them one at a time.

use std::time::Duration;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_increments_on_one_session_end_at_64() {
    let server = start(Duration::from_secs(60)).await;
    let value = new_session(&server, &client()).await;

    let requests = (0..64).map(|_| {
        let request = server.post("/incr", &value).send();
        tokio::spawn(async move {
            let response = request.await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(
                session_cookie(&response),
                None,
                "every request kept the session"
            );
            response.text().await.unwrap().parse::<u64>().unwrap()
        })
    });
    let mut seen = Vec::new();
    for request in requests.collect::<Vec<_>>() {
        seen.push(request.await.unwrap());
    }
    seen.sort_unstable();
    // Each increment saw a distinct count: none overwrote another.
    assert_eq!(seen, (1..=64).collect::<Vec<u64>>());

    let total = server.get("/count", &value).send().await.unwrap();
    assert_eq!(json_body(total).await["count"], 64);
    assert_eq!(server.manager.count(), 1);
    server.manager.shutdown().await;
}
