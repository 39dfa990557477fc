//! A browser that stops reading cannot hold its live socket's task: every send has a
//! timeout, so the socket is closed as too slow (1013) while the client still reads
//! nothing, and a stuck socket still ends when its session ends. `LiveSockets::total()`
//! and `count(id)` agree throughout.
//!
//! The client's receive buffer is made small and it never reads, so the server's sends
//! fill the connection and then wait, as they would for a stalled browser. The server's
//! task ending is seen in its metric, since the client reads nothing to see it by: the
//! runtime has one thread, so the server's tasks record into this test's recorder.

use std::time::Duration;

use futures_util::StreamExt;
use ractor_session_axum::LiveSockets;
use ractor_session_test_support::metrics::Recorder;
use ractor_session_test_support::poll::{PATIENCE, eventually};
use ractor_session_test_support::ws::upgrade_request;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

/// Whether a live socket has been closed for `cause` since the last look.
fn closed(recorder: &Recorder, cause: &str) -> bool {
    recorder
        .snapshot()
        .counters_by_label("ractor_session_axum_live_sockets_closed_total", "cause")
        .get(cause)
        .is_some_and(|n| *n > 0)
}

/// An event of 1 MiB.
fn big_event() -> String {
    format!(r#"{{"event":"big","pad":"{}"}}"#, "x".repeat(1 << 20))
}

/// A live socket of a new session whose client has a 4 KiB receive buffer.
async fn stalled_socket(server: &Server) -> (String, WebSocketStream<TcpStream>) {
    let value = new_session(server, &bare_client()).await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let cookie = cookie_header(&value);
    let request = upgrade_request(
        &server.ws_url("/live"),
        Some(&cookie),
        Some(&server.origin()),
    )
    .unwrap();
    let (ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .unwrap();
    let id = id_of(&value);
    eventually("the socket is registered", || async {
        server.live.count(&id) == 1
    })
    .await;
    (id, ws)
}

#[tokio::test(flavor = "current_thread")]
async fn a_socket_whose_client_stops_reading_is_closed_as_too_slow() {
    let recorder = Recorder::default();
    let _metrics = recorder.install();
    // A short send timeout keeps the test short; the default is ten seconds.
    let live = LiveSockets::builder()
        .with_send_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let server = start_with_live(Duration::from_secs(300), live).await;
    let (id, mut ws) = stalled_socket(&server).await;

    // Events until the socket's queue overflows and the push drops it.
    let event = big_event();
    let mut pushes = 0;
    while server.live.push_text(&id, event.clone()) == 1 {
        pushes += 1;
        assert!(pushes <= 1_000, "the queue never filled");
    }
    assert_eq!((server.live.count(&id), server.live.total()), (0, 0));

    // The task itself ends while the client still reads nothing.
    eventually("the socket is closed as too slow", || async {
        closed(&recorder, "too_slow")
    })
    .await;
    assert_eq!(server.live.total(), 0);

    // Reading again, the client finds what got through, then the end: a close frame
    // with 1013 if there was room for it, or the connection closed.
    let end = tokio::time::timeout(PATIENCE, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => break None,
            }
        }
    })
    .await
    .expect("the connection ends");
    assert!(matches!(end, None | Some(1013)), "closed with {end:?}");
    server.manager.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_stuck_socket_still_ends_when_its_session_ends() {
    let recorder = Recorder::default();
    let _metrics = recorder.install();
    let server = start(Duration::from_secs(300)).await;
    let (id, _ws) = stalled_socket(&server).await;

    // More than the connection holds, less than the socket's queue: its task is stuck
    // in a send (for up to the default ten seconds), not dropped as too slow.
    let event = big_event();
    for _ in 0..32 {
        assert_eq!(server.live.push_text(&id, event.clone()), 1);
    }
    server.manager.terminate(&id).await.unwrap();
    eventually("the socket ends with its session", || async {
        closed(&recorder, "session_expired")
    })
    .await;
    assert_eq!((server.live.count(&id), server.live.total()), (0, 0));
    server.manager.shutdown().await;
}
