//! A websocket client for tests of live sockets: open one as a browser would (with a
//! cookie and an Origin), and read what the server sends, with a deadline.

use futures_util::StreamExt;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::poll::PATIENCE;

/// A client's websocket.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a websocket to `url`, sending `cookie` as the `Cookie` header and `origin` as the
/// `Origin` header when given.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use futures_util::SinkExt;
/// use ractor_session_test_support::ws::{Frame, connect, expect_end, next_frame};
/// use serde_json::json;
/// use tokio_tungstenite::tungstenite::Message;
/// use tokio_tungstenite::tungstenite::protocol::CloseFrame;
///
/// // A server that greets, then announces its end and closes with code 4001.
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let url = format!("ws://{}", listener.local_addr().unwrap());
/// tokio::spawn(async move {
///     let (tcp, _) = listener.accept().await.unwrap();
///     let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
///     for event in ["hello", "session_expired"] {
///         ws.send(json!({ "event": event }).to_string().into()).await.unwrap();
///     }
///     let close = CloseFrame { code: 4001.into(), reason: "".into() };
///     ws.send(Message::Close(Some(close))).await.unwrap();
/// });
///
/// let mut ws = connect(&url, Some("session_id=abc"), Some("http://localhost")).await.unwrap();
/// assert_eq!(next_frame(&mut ws).await, Frame::Text(json!({ "event": "hello" })));
/// expect_end(&mut ws, "session_expired", 4001).await;
/// # }
/// ```
///
/// # Errors
///
/// When the connection or the upgrade fails, as `tungstenite` reports it: a refused
/// upgrade is [`tungstenite::Error::Http`] with the server's response.
///
/// # Panics
///
/// When `cookie` or `origin` is not a valid header value.
pub async fn connect(
    url: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> Result<Ws, tungstenite::Error> {
    let request = upgrade_request(url, cookie, origin)?;
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

/// The upgrade request [`connect`] sends, for a test that looks at the server's response
/// itself (with `tokio_tungstenite::connect_async`).
///
/// # Examples
///
/// ```
/// use ractor_session_test_support::ws::upgrade_request;
///
/// let request = upgrade_request("ws://127.0.0.1:1/live", Some("a=b"), None).unwrap();
/// assert_eq!(request.headers()["cookie"], "a=b");
/// assert!(request.headers().get("origin").is_none());
/// ```
///
/// # Errors
///
/// When `url` is not a websocket URL.
///
/// # Panics
///
/// When `cookie` or `origin` is not a valid header value.
pub fn upgrade_request(
    url: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> Result<Request, tungstenite::Error> {
    let mut request = url.into_client_request()?;
    let headers = request.headers_mut();
    if let Some(cookie) = cookie {
        headers.insert("cookie", cookie.parse().expect("a Cookie header value"));
    }
    if let Some(origin) = origin {
        headers.insert("origin", origin.parse().expect("an Origin header value"));
    }
    Ok(request)
}

/// The HTTP status with which the server refused to upgrade, as [`connect`] sent it.
///
/// # Panics
///
/// When the upgrade is accepted, or fails for another reason than the server's refusal.
pub async fn refused_status(url: &str, cookie: Option<&str>, origin: Option<&str>) -> u16 {
    match connect(url, cookie, origin).await {
        Ok(_) => panic!("the upgrade to {url} was accepted"),
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected websocket error: {other}"),
    }
}

/// What the server sent next.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// A text frame, as JSON.
    Text(Value),
    /// A close frame, with its code if it has one.
    Close(Option<u16>),
    /// The connection ended without a close frame.
    Ended,
}

impl Frame {
    /// The JSON of a text frame.
    ///
    /// # Panics
    ///
    /// When this is not a text frame.
    pub fn into_text(self) -> Value {
        match self {
            Self::Text(value) => value,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// The next text or close frame, skipping pings and pongs.
///
/// # Panics
///
/// When nothing arrives within [`PATIENCE`], or a text frame is not JSON.
pub async fn next_frame(ws: &mut Ws) -> Frame {
    let read = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    return Frame::Text(serde_json::from_str(&text).expect("server sends JSON"));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Frame::Close(frame.map(|f| u16::from(f.code)));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Frame::Ended,
            }
        }
    };
    tokio::time::timeout(PATIENCE, read)
        .await
        .expect("the server sent nothing in time")
}

/// Reads how a live socket is told its session ended: the `event`, then a close frame
/// with `code`.
///
/// # Panics
///
/// When the next frames are anything else.
pub async fn expect_end(ws: &mut Ws, event: &str, code: u16) {
    match next_frame(ws).await {
        Frame::Text(v) => assert_eq!(v["event"], event, "unexpected event {v}"),
        other => panic!("expected the {event} event, got {other:?}"),
    }
    assert_eq!(next_frame(ws).await, Frame::Close(Some(code)));
}
