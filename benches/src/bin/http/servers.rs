//! The servers compared: one counter handler behind ractor-session-axum, behind
//! tower-sessions (unsigned and signed cookie) and in the hand-written floor
//! ([`crate::floor`]). Each runs in its own process ([`crate::process`]).
//!
//! The handler does the same work on every side: read n from the session, write n + 1,
//! reply n + 1 as a plain-text body. With this library the handler sends the session actor
//! one message that increments and replies, so the read-modify-write is serialized by the
//! actor; tower-sessions loads the record, lets the handler change it and saves it back,
//! with no per-session lock.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use ractor_session::SessionManager;
use ractor_session::durable::SqliteStore;
use ractor_session_axum::{Session, SessionLayer, SessionRejection};
use ractor_session_benches::bench_config;
use tempfile::TempDir;

use crate::counter::{Counter, CounterMsg};

/// The signing secret of both sides (HMAC-SHA256 through the `cookie` crate on both).
const KEY: [u8; 64] = [7u8; 64];

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
    /// The hand-written floor: a ractor actor per cookie in a `DashMap`, no signing, no
    /// library ([`crate::floor`]).
    Floor,
    /// tower-sessions with its `MemoryStore`; `signed`: its cookie is signed (HMAC-SHA256,
    /// `with_signed`), as this library's always is.
    Tower { signed: bool },
    /// ractor-session-axum: signed cookie, auto-started `Counter` session actor.
    Adapter,
    /// As [`Adapter`](Self::Adapter), over a manager with a SQLite session store (a
    /// fresh file per server process; write-behind, the default flush interval) and
    /// `Counter` registered as durable: every increment is recorded and written.
    AdapterDurable,
}

impl Server {
    /// Every in-memory contender, in the order of the tables.
    pub(crate) const ALL: [Self; 4] = [
        Self::Floor,
        Self::Tower { signed: false },
        Self::Tower { signed: true },
        Self::Adapter,
    ];

    /// The contenders of the durable figures: the library without and with a store.
    pub(crate) const DURABLE: [Self; 2] = [Self::Adapter, Self::AdapterDurable];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Floor => "hand-written ractor server (actor per cookie, no signing)",
            Self::Tower { signed: false } => "tower-sessions (MemoryStore), unsigned cookie",
            Self::Tower { signed: true } => "tower-sessions (MemoryStore), signed cookie",
            Self::Adapter => "ractor-session-axum (signed cookie)",
            Self::AdapterDurable => "ractor-session-axum, durable (SQLite, write-behind)",
        }
    }

    /// The name on the command line (`--server`) and in the server process's arguments.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Floor => "floor",
            Self::Tower { signed: false } => "tower",
            Self::Tower { signed: true } => "tower-signed",
            Self::Adapter => "adapter",
            Self::AdapterDurable => "adapter-durable",
        }
    }

    /// The contender named `key`.
    pub(crate) fn from_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain([Self::AdapterDurable])
            .find(|s| s.key() == key)
    }

    /// The app, the session manager to shut down afterwards and the directory of its
    /// store (the library's contenders only).
    pub(crate) async fn app(
        self,
        sessions: usize,
    ) -> (Router, Option<SessionManager>, Option<TempDir>) {
        match self {
            Self::Floor => (crate::floor::app(), None, None),
            Self::Adapter => {
                let manager = SessionManager::spawn(bench_config(sessions * 2))
                    .await
                    .expect("session manager starts");
                (adapter_app(manager.clone()), Some(manager), None)
            }
            Self::AdapterDurable => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let store = SqliteStore::open(dir.path().join("sessions.db"))
                    .await
                    .expect("the SQLite store opens");
                let manager = SessionManager::builder(bench_config(sessions * 2))
                    .with_store(Arc::new(store))
                    .with_durable(|| Counter)
                    .spawn()
                    .await
                    .expect("session manager starts");
                (adapter_app(manager.clone()), Some(manager), Some(dir))
            }
            Self::Tower { signed } => {
                let layer = tower_sessions::SessionManagerLayer::new(
                    tower_sessions::MemoryStore::default(),
                )
                .with_secure(false);
                let app = Router::new()
                    .route("/count", get(tower_count))
                    .route("/read", get(tower_read));
                let app = if signed {
                    app.layer(layer.with_signed(tower_sessions::cookie::Key::from(&KEY)))
                } else {
                    app.layer(layer)
                };
                (app, None, None)
            }
        }
    }
}

/// The counter behind ractor-session-axum over `manager`.
fn adapter_app(manager: SessionManager) -> Router {
    let layer = SessionLayer::builder(manager)
        .with_key_bytes(KEY)
        .with_secure(false)
        .with_auto_start_with(|| (Counter, 0))
        .build()
        .expect("session layer builds");
    Router::new()
        .route("/count", get(adapter_count))
        .route("/read", get(adapter_read))
        .layer(layer)
}
