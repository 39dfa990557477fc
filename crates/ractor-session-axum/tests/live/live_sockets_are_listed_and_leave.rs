//! A session knows its live sockets; a closed socket leaves the list.

use ractor_session_test_support::poll::eventually;
use std::time::Duration;

use crate::support::*;

#[tokio::test]
async fn closed_sockets_leave_their_sessions_list() {
    let server = start(Duration::from_secs(60)).await;
    let value = new_session(&server, &bare_client()).await;
    let id = id_of(&value);
    let mut first = server.socket(&value).await;
    let second = server.socket(&value).await;

    let count = |n: usize| {
        let (live, id) = (&server.live, &id);
        move || async move { live.count(id) == n }
    };
    eventually("both sockets are listed", count(2)).await;
    assert_eq!(server.live.sockets(&id).len(), 2);
    // The app sees the same through a handler.
    let listed = server.get("/sockets", &value).send().await.unwrap();
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
