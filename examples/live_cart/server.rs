//! Serving a router over HTTP/1 with hyper's own connection builder, for its timeouts.
//!
//! `axum::serve` sets no header-read timeout: a client that sends half a request, or opens
//! a connection and sends nothing, holds it open for good. hyper's `header_read_timeout`
//! closes a connection whose request head has not fully arrived in time, and it runs
//! whenever the connection waits for a head: so it also closes an idle keep-alive
//! connection. Bodies are bounded separately (`RequestBodyTimeoutLayer` in `main`).
//! Upgraded connections (live sockets) leave hyper's hands and end with their session.
//! Each request carries its connection's peer address (axum's `ConnectInfo`), by which
//! the session layer limits session creation per client.
//!
//! On shutdown: stop accepting, ask every connection to finish its request in hand and
//! close (idle ones close at once), and wait for them, as `axum::serve` does.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::add_extension::AddExtension;

/// How long shutdown waits for requests in hand before giving up on them.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` resolves; connections that take longer than
/// `read_timeout` to send a request head (or sit idle that long) are closed.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout);
    // Closed when shutdown begins; each connection holds a receiver until it is done.
    let (stop, stopping) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = AddExtension::new(app.clone(), ConnectInfo(peer));
        let connection = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    drop(stopping);
    let _ = stop.send(());
    if tokio::time::timeout(DRAIN, stop.closed()).await.is_err() {
        tracing::warn!("shutdown: connections still busy after {DRAIN:?}; leaving them");
    }
}
