//! Axum adapter for [`ractor_session`]: one actor per web user session, identified by a
//! signed cookie, with live websockets that know when their session ends.
//!
//! - [`SessionLayer`] — a tower layer that reads and writes the session cookie
//!   (`__Host-`, signed, `HttpOnly`, `SameSite=Lax`, `Secure`), refuses unsafe cross-site
//!   requests, never adopts an ID it did not issue or that is not live, counts every
//!   request as session activity, gives the sessions it starts an absolute lifetime,
//!   limits how many sessions one client may start ([`CreationLimits`]), and optionally
//!   starts a session actor on first use.
//! - Extractors — [`Session<M>`](Session) (a typed handle: `call`, `cast`, `rotate`,
//!   `terminate`), [`CurrentSessionId`] and [`NewSession`]; all answer with a clear
//!   [`SessionRejection`] (a 500 that says how to fix it when the layer is missing).
//! - Live sockets — [`LiveUpgrade`] checks the session and the `Origin` before upgrading,
//!   [`LiveSockets`] lists each session's sockets and pushes JSON events to them, and when a
//!   session expires, rotates or shuts down its sockets are told so and closed with an
//!   application code ([`LiveEnd`]: 4001, 4002, 4003).
//! - A live session dashboard for operators — `dashboard::router`, behind an
//!   authorization hook (cargo feature `dashboard`, off by default).
//!
//! The guide `docs/axum.md` covers configuration, the security defaults and why, rotation,
//! and the browser side of the live-socket protocol.
//!
//! # Examples
//!
//! A counter per visitor, a login that rotates the session ID, and a live socket that
//! hears about every change:
//!
//! ```
//! use axum::response::{IntoResponse, Response};
//! use axum::{Router, extract::State, routing::{get, post}};
//! use ractor_session::{KvMsg, SessionConfig, SessionManager};
//! use ractor_session_axum::{Key, LiveSockets, LiveUpgrade, Session, SessionLayer, SessionRejection};
//! use serde_json::json;
//!
//! async fn count(
//!     State(live): State<LiveSockets>,
//!     session: Session,
//! ) -> Result<String, SessionRejection> {
//!     // One message reads and writes: a `Get` then a `Put` would be two, and concurrent
//!     // requests could lose updates between them.
//!     let n = session.call(KvMsg::increment("n", 1)).await??;
//!     let _ = live.push(session.id(), &json!({"event": "count", "n": n}));
//!     Ok(n.to_string())
//! }
//!
//! async fn log_in(mut session: Session) -> Result<&'static str, SessionRejection> {
//!     session.rotate().await?; // new ID, new cookie; the old ID is dead
//!     Ok("signed in")
//! }
//!
//! async fn live(upgrade: LiveUpgrade) -> Response {
//!     upgrade.into_response() // push-only: browser messages are ignored
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let manager = SessionManager::spawn(SessionConfig::default()).await?;
//! let layer = SessionLayer::builder(manager.clone())
//!     // In-memory sessions end with the process, so a key made at start-up loses nothing.
//!     .with_key(Key::generate())
//!     .with_auto_start()
//!     .build()?;
//! let app: Router = Router::new()
//!     .route("/count", get(count))
//!     .route("/login", post(log_in))
//!     .route("/live", get(live))
//!     .with_state(LiveSockets::new())
//!     .layer(layer);
//! // axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await?;
//! # drop(app);
//! # manager.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod bound;
mod builder;
mod client;
mod config;
mod cookie;
mod creation;
mod cross_site;
mod current_id;
#[cfg(feature = "dashboard")]
#[cfg_attr(docsrs, doc(cfg(feature = "dashboard")))]
pub mod dashboard;
mod extract;
pub mod guide;
mod layer;
mod live;
mod live_builder;
mod live_target;
mod login;
mod new_session;
mod origin;
mod presented;
mod rejection;
mod request;
mod rotation_grace;
mod routed;
mod signing;
mod socket;
mod socket_limits;
mod telemetry;
mod throttle;
mod upgrade;

pub use ::cookie::{Key, SameSite};
pub use builder::{
    DEFAULT_COOKIE_NAME, DEFAULT_MAX_LIFETIME, DEFAULT_ROTATION_GRACE, MIN_KEY_BYTES,
    PLAIN_COOKIE_NAME, SessionLayerBuilder, SessionLayerError,
};
pub use client::{ClientKey, ClientKeySource, ProxyHeader};
pub use creation::{CreationLimits, DEFAULT_CREATIONS_PER_CLIENT};
pub use current_id::CurrentSessionId;
pub use extract::Session;
pub use ipnet::IpNet;
pub use layer::{ResponseFuture, SessionLayer, SessionService};
pub use live::{LiveError, LiveSocketInfo, LiveSockets, SocketId};
pub use live_builder::{LiveConfigError, LiveSocketsBuilder};
pub use new_session::NewSession;
pub use rejection::SessionRejection;
pub use routed::RoutedSession;
pub use socket::{LiveEnd, LiveMessage};
pub use socket_limits::{
    DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_SOCKETS, DEFAULT_MESSAGE_RATE, DEFAULT_SEND_TIMEOUT,
    DEFAULT_SOCKET_BUFFER, DEFAULT_SOCKETS_PER_SESSION,
};
pub use upgrade::{LiveRejection, LiveUpgrade};

// Layers, services, handles and extractors cross threads in every axum app.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<SessionLayer>();
    send_sync::<SessionService<axum::Router>>();
    send_sync::<Session>();
    send_sync::<Session<String>>();
    send_sync::<CurrentSessionId>();
    send_sync::<NewSession>();
    send_sync::<LiveSockets>();
    send_sync::<LiveUpgrade>();
    send_sync::<LiveMessage>();
    send_sync::<SessionRejection>();
    send_sync::<LiveRejection>();
};
