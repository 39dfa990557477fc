//! Live sockets are bounded: per session and in total (refused before the upgrade, 429
//! and 503), in message size (closed with 1009) and in message rate (closed with 1008),
//! which bounds what `forward` casts into the session's mailbox.

use std::time::Duration;

use futures_util::SinkExt;
use ractor_session_axum::LiveSockets;
use ractor_session_test_support::poll::eventually;
use ractor_session_test_support::ws::{Frame, connect, next_frame, refused_status};
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

#[tokio::test]
async fn a_session_holds_at_most_sixteen_sockets() {
    let server = start(Duration::from_secs(60)).await;
    let (value, first) = open_socket(&server).await;
    let mut open = vec![first];
    for _ in 1..16 {
        open.push(server.socket(&value).await);
    }
    let url = server.ws_url("/live");
    let cookie = cookie_header(&value);
    assert_eq!(
        refused_status(&url, Some(&cookie), Some(&server.origin())).await,
        429
    );
    assert_eq!(server.live.count(id_of(&value)), 16);

    // Another session is not affected, and a closed socket frees its place.
    let (_other, _ws) = open_socket(&server).await;
    drop(open.pop());
    eventually("the closed socket left", || async {
        server.live.count(id_of(&value)) == 15
    })
    .await;
    assert!(
        connect(&url, Some(&cookie), Some(&server.origin()))
            .await
            .is_ok()
    );
    server.manager.shutdown().await;
}

#[tokio::test]
async fn the_server_holds_at_most_its_total() {
    let live = LiveSockets::builder().with_max_total(2).build().unwrap();
    let server = start_with_live(Duration::from_secs(60), live).await;
    let (_a, _wa) = open_socket(&server).await;
    let (_b, _wb) = open_socket(&server).await;
    let c = cookie_header(&new_session(&server, &bare_client()).await);
    let url = server.ws_url("/live");
    assert_eq!(
        refused_status(&url, Some(&c), Some(&server.origin())).await,
        503
    );
    assert_eq!(server.live.total(), 2);
    server.manager.shutdown().await;
}

#[tokio::test]
async fn a_message_over_the_size_limit_closes_the_socket_with_1009() {
    let server = start(Duration::from_secs(60)).await;
    let (value, mut ws) = open_socket(&server).await;
    ws.send(Message::text("x".repeat(64 * 1024))).await.unwrap();
    let frame = next_frame(&mut ws).await;
    // Not `assert_eq!`: a failure would print the whole echoed message.
    assert!(
        matches!(frame, Frame::Close(Some(1009))),
        "not closed with 1009"
    );
    eventually("the socket left", || async {
        server.live.count(id_of(&value)) == 0
    })
    .await;
    server.manager.shutdown().await;
}

#[tokio::test]
async fn a_flood_of_messages_closes_the_socket_with_1008_before_the_mailbox_takes_it_all() {
    let server = start(Duration::from_secs(60)).await;
    let (value, mut ws) = open_socket(&server).await;
    let sent = 500;
    for _ in 0..sent {
        // A closed socket refuses the rest: the flood stops there.
        if ws.feed(Message::text("incr")).await.is_err() {
            break;
        }
    }
    let _ = ws.flush().await;
    let close = loop {
        match next_frame(&mut ws).await {
            Frame::Text(_) => continue,
            other => break other,
        }
    };
    assert_eq!(close, Frame::Close(Some(1008)));

    let count = server.get("/count", &value).send().await.unwrap();
    let count = json_body(count).await["count"].as_u64().unwrap();
    assert!(
        count < sent,
        "{count} of {sent} messages reached the session"
    );
    server.manager.shutdown().await;
}
