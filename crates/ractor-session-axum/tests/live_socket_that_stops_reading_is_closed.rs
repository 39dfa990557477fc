//! A browser that stops reading cannot hold its live socket's task: every send has a
//! timeout, so the socket is closed as too slow (1013) while the client still reads
//! nothing, and a stuck socket still ends when its session ends. `LiveSockets::total()`
//! and `count(id)` agree throughout.
//!
//! The client's receive buffer is made small and it never reads, so the server's sends
//! fill the connection and then wait, as they would for a stalled browser. The server's
//! task ending is seen in its metric, since the client reads nothing to see it by.

mod common;

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Long enough for the default send timeout (10 s) to pass twice, with room to spare.
const STUCK_PATIENCE: Duration = Duration::from_secs(60);

/// The process-wide metrics recorder: the server's tasks run on any thread.
fn metrics() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::set_global_recorder(recorder).expect("the only recorder of this test binary");
        snapshotter
    })
}

/// Live sockets closed so far for `cause`. A snapshot takes the counts it reads (it
/// resets counters), so every count read is kept here for whichever test asks.
fn closed(cause: &str) -> u64 {
    static SEEN: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
    let mut seen = SEEN.lock().unwrap();
    for (key, _, _, value) in metrics().snapshot().into_vec() {
        let key = key.key();
        if key.name() != "ractor_session_axum_live_sockets_closed_total" {
            continue;
        }
        let (Some(label), DebugValue::Counter(n)) =
            (key.labels().find(|l| l.key() == "cause"), value)
        else {
            continue;
        };
        *seen.entry(label.value().to_owned()).or_default() += n;
    }
    seen.get(cause).copied().unwrap_or(0)
}

/// A live socket of a new session whose client has a 4 KiB receive buffer.
async fn stalled_socket(server: &Server) -> (String, WebSocketStream<TcpStream>) {
    let value = new_session(server, &bare_client()).await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let mut request = server.ws_url("/live").into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("cookie", cookie_header(&value).parse().unwrap());
    headers.insert("origin", server.origin().parse().unwrap());
    let (ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .unwrap();
    let (live, id) = (server.live.clone(), id_of(&value));
    eventually("the socket is registered", || {
        let n = live.count(&id);
        async move { n == 1 }
    })
    .await;
    (id, ws)
}

async fn wait_until(what: &str, check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + STUCK_PATIENCE;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_whose_client_stops_reading_is_closed_as_too_slow() {
    let _ = metrics();
    let server = start(Duration::from_secs(300)).await;
    let (id, mut ws) = stalled_socket(&server).await;

    // Events of 1 MiB until the socket's queue overflows and the push drops it.
    let event = format!(r#"{{"event":"big","pad":"{}"}}"#, "x".repeat(1 << 20));
    let mut pushes = 0;
    while server.live.push_text(&id, event.clone()) == 1 {
        pushes += 1;
        assert!(pushes <= 1_000, "the queue never filled");
    }
    assert_eq!((server.live.count(&id), server.live.total()), (0, 0));

    // The task itself ends while the client still reads nothing.
    wait_until("the socket is closed as too slow", || {
        closed("too_slow") >= 1
    })
    .await;
    assert_eq!(server.live.total(), 0);

    // Reading again, the client finds what got through, then the end: a close frame
    // with 1013 if there was room for it, or the connection closed.
    let end = tokio::time::timeout(STUCK_PATIENCE, async {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_socket_still_ends_when_its_session_ends() {
    let _ = metrics();
    let server = start(Duration::from_secs(300)).await;
    let (id, _ws) = stalled_socket(&server).await;

    // More than the connection holds, less than the socket's queue: its task is stuck
    // in a send, not dropped as too slow.
    let event = format!(r#"{{"event":"big","pad":"{}"}}"#, "x".repeat(1 << 20));
    for _ in 0..32 {
        assert_eq!(server.live.push_text(&id, event.clone()), 1);
    }
    server.manager.terminate(&id).await.unwrap();
    wait_until("the socket ends with its session", || {
        closed("session_expired") >= 1
    })
    .await;
    assert_eq!((server.live.count(&id), server.live.total()), (0, 0));
    server.manager.shutdown().await;
}
