//! Acceptance 6: a session knows its live sockets; a closed socket leaves the list.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test]
async fn closed_sockets_leave_their_sessions_list() {
    let server = start(Duration::from_secs(60)).await;
    let value = new_session(&server, &bare_client()).await;
    let id = id_of(&value);
    let url = server.ws_url("/live");
    let origin = server.origin();
    let mut first = connect(&url, Some(&value), Some(&origin)).await.unwrap();
    let second = connect(&url, Some(&value), Some(&origin)).await.unwrap();

    let live = server.live.clone();
    let count = |n: usize| {
        let live = live.clone();
        let id = id.clone();
        move || {
            let now = live.count(&id);
            async move { now == n }
        }
    };
    eventually("both sockets are listed", count(2)).await;
    assert_eq!(server.live.sockets(&id).len(), 2);
    // The app sees the same through a handler.
    let listed = bare_client()
        .get(server.url("/sockets"))
        .header("cookie", cookie_header(&value))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.text().await.unwrap(), "2");

    // A clean close, and a dropped connection.
    first.close(None).await.unwrap();
    eventually("the closed socket leaves", count(1)).await;
    drop(second);
    eventually("the dropped socket leaves", count(0)).await;
    assert_eq!(server.live.total(), 0);
    // The session itself lives on.
    assert!(server.manager.is_started(&id));
    server.manager.shutdown().await;
}
