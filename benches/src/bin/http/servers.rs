//! The servers compared: one counter handler behind ractor-session-axum and behind
//! tower-sessions, each on its own OS thread and runtime.
//!
//! The handler does the same work on every side: read n from the session, write n + 1,
//! reply n + 1 as a plain-text body. With this library the handler sends the session actor
//! one message that increments and replies, so the read-modify-write is serialized by the
//! actor; tower-sessions loads the record, lets the handler change it and saves it back,
//! with no per-session lock.

use std::net::SocketAddr;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::SessionManager;
use ractor_session_axum::{Session, SessionLayer, SessionRejection};
use ractor_session_benches::bench_config;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The signing secret of both sides (HMAC-SHA256 through the `cookie` crate on both).
const KEY: [u8; 64] = [7u8; 64];

/// Name prefix of the server's threads, for the CPU accounting.
pub(crate) const THREAD_NAME: &str = "http-srv";

/// The session actor behind the adapter: a counter.
#[derive(Debug)]
struct Counter;

/// Messages of [`Counter`].
#[derive(Debug)]
enum CounterMsg {
    /// Reads n, writes n + 1, replies n + 1.
    Increment(RpcReplyPort<u64>),
    /// Replies n.
    Read(RpcReplyPort<u64>),
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<CounterMsg>, (): ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _: ActorRef<CounterMsg>,
        message: CounterMsg,
        n: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            CounterMsg::Increment(reply) => {
                *n += 1;
                let _ = reply.send(*n);
            }
            CounterMsg::Read(reply) => {
                let _ = reply.send(*n);
            }
        }
        Ok(())
    }
}

async fn adapter_count(session: Session<CounterMsg>) -> Result<String, SessionRejection> {
    Ok(session.call(CounterMsg::Increment).await?.to_string())
}

async fn adapter_read(session: Session<CounterMsg>) -> Result<String, SessionRejection> {
    Ok(session.call(CounterMsg::Read).await?.to_string())
}

async fn tower_count(session: tower_sessions::Session) -> Result<String, StatusCode> {
    let n: u64 = session
        .get("n")
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .unwrap_or(0);
    session
        .insert("n", n + 1)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok((n + 1).to_string())
}

async fn tower_read(session: tower_sessions::Session) -> Result<String, StatusCode> {
    let n: u64 = session
        .get("n")
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .unwrap_or(0);
    Ok(n.to_string())
}

/// One contender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Server {
    /// tower-sessions with its `MemoryStore`; `signed`: its cookie is signed (HMAC-SHA256,
    /// `with_signed`), as this library's always is.
    Tower { signed: bool },
    /// ractor-session-axum: signed cookie, auto-started `Counter` session actor.
    Adapter,
}

impl Server {
    pub(crate) const ALL: [Self; 3] = [
        Self::Tower { signed: false },
        Self::Tower { signed: true },
        Self::Adapter,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Tower { signed: false } => "tower-sessions (MemoryStore), unsigned cookie",
            Self::Tower { signed: true } => "tower-sessions (MemoryStore), signed cookie",
            Self::Adapter => "ractor-session-axum (signed cookie)",
        }
    }

    /// The app, and the session manager to shut down afterwards (adapter only).
    async fn app(self, sessions: usize) -> (Router, Option<SessionManager>) {
        match self {
            Self::Adapter => {
                let manager = SessionManager::spawn(bench_config(sessions * 2))
                    .await
                    .expect("session manager starts");
                let layer = SessionLayer::builder(manager.clone())
                    .with_key_bytes(KEY)
                    .with_secure(false)
                    .with_auto_start_with(|| (Counter, ()))
                    .build()
                    .expect("session layer builds");
                let app = Router::new()
                    .route("/count", get(adapter_count))
                    .route("/read", get(adapter_read))
                    .layer(layer);
                (app, Some(manager))
            }
            Self::Tower { signed: false } => {
                let layer = tower_sessions::SessionManagerLayer::new(
                    tower_sessions::MemoryStore::default(),
                )
                .with_secure(false);
                let app = Router::new()
                    .route("/count", get(tower_count))
                    .route("/read", get(tower_read))
                    .layer(layer);
                (app, None)
            }
            Self::Tower { signed: true } => {
                let layer = tower_sessions::SessionManagerLayer::new(
                    tower_sessions::MemoryStore::default(),
                )
                .with_secure(false)
                .with_signed(tower_sessions::cookie::Key::from(&KEY));
                let app = Router::new()
                    .route("/count", get(tower_count))
                    .route("/read", get(tower_read))
                    .layer(layer);
                (app, None)
            }
        }
    }
}

/// A server running on its own OS thread(s) and runtime.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    stop: oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Running {
    /// Stops the server gracefully and waits for its thread.
    pub(crate) fn stop(self) {
        let _ = self.stop.send(());
        self.thread.join().expect("server thread ends");
    }
}

/// Starts `server` for `sessions` sessions: on one OS thread with a current-thread runtime
/// when `workers` is 1, else on a multi-thread runtime with `workers` workers. Every
/// server thread is named [`THREAD_NAME`].
pub(crate) fn start(server: Server, workers: usize, sessions: usize) -> Running {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(THREAD_NAME.to_owned())
        .spawn(move || {
            let rt = if workers == 1 {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
            } else {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(workers)
                    .thread_name(THREAD_NAME)
                    .enable_all()
                    .build()
            }
            .expect("server runtime builds");
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
                addr_tx
                    .send(listener.local_addr().expect("bound address"))
                    .expect("address sent");
                let (app, manager) = server.app(sessions).await;
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("server runs");
                if let Some(manager) = manager {
                    manager.shutdown().await;
                }
            });
        })
        .expect("server thread starts");
    let addr = addr_rx.recv().expect("server reports its address");
    Running { addr, stop, thread }
}
