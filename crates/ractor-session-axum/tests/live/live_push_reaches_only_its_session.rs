//! A push reaches both sockets of one session and no socket of another; text from the
//! browser reaches the session actor.

use std::time::Duration;

use futures_util::SinkExt;
use ractor_session_test_support::poll::eventually;
use ractor_session_test_support::ws::{Frame, next_frame};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_push_reaches_both_sockets_of_its_session_and_none_of_another() {
    let server = start(Duration::from_secs(60)).await;
    let a = new_session(&server, &bare_client()).await;
    let b = new_session(&server, &bare_client()).await;
    let mut a1 = server.socket(&a).await;
    let mut a2 = server.socket(&a).await;
    let mut b1 = server.socket(&b).await;
    let (ida, idb) = (id_of(&a), id_of(&b));
    let live = &server.live;
    eventually("all sockets are registered", || async {
        live.count(&ida) == 2 && live.count(&idb) == 1
    })
    .await;

    let event = json!({"event": "cart", "items": ["apple"]});
    assert_eq!(server.live.push(&ida, &event).unwrap(), 2);
    assert_eq!(next_frame(&mut a1).await, Frame::Text(event.clone()));
    assert_eq!(next_frame(&mut a2).await, Frame::Text(event.clone()));

    // Had the push leaked to b1, it would be queued ahead of this marker.
    let marker = json!({"event": "marker"});
    assert_eq!(server.live.push(&idb, &marker).unwrap(), 1);
    assert_eq!(next_frame(&mut b1).await, Frame::Text(marker));
    server.manager.shutdown().await;
}

#[tokio::test]
async fn browser_text_reaches_the_session_actor() {
    let server = start(Duration::from_secs(60)).await;
    let value = new_session(&server, &bare_client()).await;
    let mut ws = server.socket(&value).await;
    for _ in 0..5 {
        ws.send("incr".into()).await.unwrap();
    }
    let count = || async {
        let response = server.get("/count", &value).send().await.unwrap();
        json_body(response).await["count"].clone()
    };
    eventually("five increments arrived", || async { count().await == 5 }).await;

    // A message the app can't decode is answered on that socket, and the socket stays.
    ws.send("dance".into()).await.unwrap();
    match next_frame(&mut ws).await {
        Frame::Text(v) => {
            assert_eq!(v["event"], "error");
            assert!(v["message"].as_str().unwrap().contains("dance"));
        }
        other => panic!("expected an error event, got {other:?}"),
    }
    ws.send("incr".into()).await.unwrap();
    eventually("the socket still works", || async { count().await == 6 }).await;
    server.manager.shutdown().await;
}
