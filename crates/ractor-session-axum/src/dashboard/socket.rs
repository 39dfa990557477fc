//! The dashboard's live socket: the page's own origin only, a bounded number of pages, and
//! the board's updates pushed as they come.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, Uri};
use tokio::sync::broadcast::error::RecvError;

use super::board::Board;
use crate::origin::{is_same_origin, request_origin};

/// Dashboard pages open at once; more are refused with 503.
pub(super) const MAX_VIEWERS: usize = 32;

/// How long one send to a page may wait before the page counts as gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The page sends nothing; anything bigger than this closes its socket.
const MAX_MESSAGE: usize = 1024;

/// Upgrades a page's socket (the guard has let the request through): 403 from another
/// origin, 503 past [`MAX_VIEWERS`].
pub(super) async fn live(
    State(board): State<Arc<Board>>,
    headers: HeaderMap,
    uri: Uri,
    upgrade: WebSocketUpgrade,
) -> Response {
    let authority = uri.authority().map(|a| a.as_str());
    if !origin_allowed(&board, &headers, authority) {
        return (
            StatusCode::FORBIDDEN,
            "cross-origin dashboard socket refused\n",
        )
            .into_response();
    }
    let Some(viewer) = Viewer::enter(&board) else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many dashboard pages open\n",
        )
            .into_response();
    };
    upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| serve(socket, viewer))
}

/// Whether a socket request comes from the dashboard's own page (or from no browser at all:
/// no `Origin`), as [`LiveUpgrade`](crate::LiveUpgrade) checks the app's sockets. A browser
/// always sends `Origin` with a websocket request, and a page of another site can't forge it.
fn origin_allowed(board: &Board, headers: &HeaderMap, authority: Option<&str>) -> bool {
    // Fetch metadata, where the browser sends it, says the same more directly.
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.as_bytes(), b"same-origin" | b"none")
    {
        return false;
    }
    match request_origin(headers) {
        Ok(None) => true,
        Ok(Some(origin)) if !board.origins.is_empty() => board.origins.contains(&origin),
        Ok(Some(origin)) => {
            let scheme = if board.secure { "https" } else { "http" };
            is_same_origin(&origin, headers, authority, scheme)
        }
        Err(_) => false,
    }
}

/// An open page's place under [`MAX_VIEWERS`], given back when dropped.
struct Viewer(Arc<Board>);

impl Viewer {
    fn enter(board: &Arc<Board>) -> Option<Self> {
        board
            .viewers
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_VIEWERS).then_some(n + 1)
            })
            .ok()
            .map(|_| Self(Arc::clone(board)))
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.0.viewers.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Sends the page its first figures and history, then every update, until it goes away.
async fn serve(mut socket: WebSocket, viewer: Viewer) {
    let mut updates = viewer.0.subscribe();
    let hello = viewer.0.hello();
    if !send(&mut socket, hello.into()).await {
        return;
    }
    loop {
        tokio::select! {
            update = updates.recv() => match update {
                Ok(text) => {
                    if !send(&mut socket, text).await {
                        return;
                    }
                }
                // A slow page skips the updates it missed; the next one has every figure.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                // The page has nothing to say; pings are answered by axum.
                Some(Ok(Message::Text(_) | Message::Binary(_) | Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
            },
        }
    }
}

/// Sends `text`; `false` when the page is gone or too slow to take it.
async fn send(socket: &mut WebSocket, text: Utf8Bytes) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text))).await,
        Ok(Ok(()))
    )
}
