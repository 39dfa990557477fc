//! The live cart demo: a shopping cart held by one session actor per visitor, updated live
//! in every open tab of the session, that tells the page when the session has expired.
//!
//! ```sh
//! cargo run --release -p ractor-session-examples --bin live_cart
//! # then open http://127.0.0.1:3000 in two tabs; `--help` lists the options
//! ```
//!
//! Carts survive a restart: sessions are kept in an SQLite file (`--store`, default
//! `live_cart.db` in the working directory), and in dev mode the cookie signing key is
//! kept next to it (`live_cart.db.key`, owner-only), so a returning browser's cookie still
//! verifies. A graceful stop (ctrl-c, SIGTERM) writes every change first.
//!
//! Served for the open internet: hyper's header-read timeout and a body timeout close
//! slow and idle connections (`server`), every response carries a Content-Security-Policy
//! and anti-framing headers, and `/metrics` and the session dashboard (`/dashboard`, behind
//! a token) are served only on a separate loopback port.

mod app;
mod cart;
#[cfg(feature = "cluster")]
mod cluster;
mod dev_key;
mod login;
mod server;
mod settings;
mod store;

use std::process::ExitCode;

use axum::Router;
use axum::http::{HeaderValue, header};
use metrics_exporter_prometheus::PrometheusBuilder;
use ractor_session::{DurabilityConfig, SessionConfig, SessionManager, WritePolicy};
use ractor_session_axum::dashboard::{self, BearerToken};
use ractor_session_axum::{LiveSockets, SessionLayer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::app::AppState;
use crate::cart::{CartSession, SavedCart};
use crate::settings::Settings;

/// The page loads its script and style from this origin only, talks (fetch, websocket) to
/// this origin only, and may not be framed: no inline script for an injected `<script>`
/// to hide in, no clickjacking.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

fn main() -> ExitCode {
    let settings = match Settings::load() {
        Ok(settings) => settings,
        // Help and version go to stdout with success; mistakes to stderr with code 2.
        Err(error) => error.exit(),
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("live_cart: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("live_cart: {error}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|f| f.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stdout))
        .with(filter)
        .init();
}

async fn run(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    // Before the store is opened: a demo that cannot sign cookies leaves no file behind.
    let key = signing_key(&settings)?;
    // Before anything records a metric: what the manager and the cluster record while
    // starting up (the members a node sees, for one) is kept.
    let recorder = match settings.metrics_port {
        Some(_) => Some(PrometheusBuilder::new().install_recorder()?),
        None => None,
    };
    #[cfg(feature = "cluster")]
    let cluster_config = cluster::config(&settings)?;
    let live = LiveSockets::new();
    let manager = spawn_manager(&settings, &live).await?;
    #[cfg(feature = "cluster")]
    let cluster = cluster::join(cluster_config, &manager, &live)
        .await?
        .map(std::sync::Arc::new);

    let mut layer = SessionLayer::builder(manager.clone()).with_auto_start_with({
        let live = live.clone();
        move || (CartSession::new(live.clone()), SavedCart::default())
    });
    if let Some(key) = key {
        layer = layer.with_key_bytes(key);
    }
    if settings.dev() {
        layer = layer.with_dev_mode();
    }
    let layer = layer.build().map_err(|error| {
        format!("{error}\n(set LIVE_CART_KEY to a secret of at least 32 bytes, or run with --dev)")
    })?;

    let app = app::routes(AppState {
        manager: manager.clone(),
        live: live.clone(),
        idle_ttl: settings.idle_ttl,
    })
    .layer(layer)
    .layer(RequestBodyTimeoutLayer::new(settings.read_timeout));
    let app = with_security_headers(app);

    // Stopping: set once the sessions are shut down; both servers then drain and return.
    let (stopping, stopped) = watch::channel(false);
    let stop = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stopped| *stopped).await;
        }
    };

    let metrics = match (settings.metrics_port, recorder) {
        (Some(port), Some(handle)) => {
            let listener = bind(port).await?;
            let admin_addr = listener.local_addr()?;
            // Tests read these lines to find the port and the dashboard; keep their shape.
            println!("live_cart metrics on http://{admin_addr}/metrics");
            let (token, login) = dashboard_token(settings.dashboard_token.as_deref())?;
            println!("live_cart dashboard on http://{admin_addr}/dashboard{login}");
            let dashboard = dashboard::router(manager.clone(), live, token);
            let admin = app::admin_routes(handle, dashboard);
            #[cfg(feature = "cluster")]
            let admin = admin.merge(cluster::admin_routes(cluster.clone()));
            Some(tokio::spawn(server::serve(
                listener,
                admin,
                settings.read_timeout,
                stop(),
            )))
        }
        _ => None,
    };

    let listener = bind(settings.port).await?;
    let addr = listener.local_addr()?;
    // Tests read this line to find the port; keep its shape.
    println!("live_cart listening on http://{addr}");
    tracing::info!(
        %addr,
        idle_ttl_ms = settings.idle_ttl.as_millis() as u64,
        max_sessions = settings.max_sessions.get(),
        dev = settings.dev(),
        store = settings.store.name(),
        write_through = settings.write_through,
        "live cart ready: open http://{addr} in two tabs"
    );

    let shutdown = {
        let manager = manager.clone();
        #[cfg(feature = "cluster")]
        let cluster = cluster.clone();
        async move {
            stop_signal().await;
            // Out of the cluster first: the other instances take over this one's carts
            // from the store, which the shutdown below brings up to date.
            #[cfg(feature = "cluster")]
            if let Some(cluster) = &cluster {
                cluster.leave().await;
            }
            tracing::info!(
                "shutting down: ending sessions (live tabs are told), writing every change to the store"
            );
            manager.shutdown().await;
            let _ = stopping.send(true);
        }
    };
    server::serve(listener, app, settings.read_timeout, shutdown).await;
    if let Some(metrics) = metrics {
        let _ = metrics.await;
    }
    manager.shutdown().await;
    Ok(())
}

/// The dashboard's token: `LIVE_CART_DASHBOARD_TOKEN`, or a fresh one when it is unset,
/// which is then shown once in the login link (the second value: `?token=...`, or empty).
fn dashboard_token(from_env: Option<&str>) -> Result<(BearerToken, String), String> {
    match from_env {
        Some(token) => BearerToken::new(token)
            .map(|token| (token, String::new()))
            .map_err(|error| format!("LIVE_CART_DASHBOARD_TOKEN: {error}")),
        None => {
            let token = BearerToken::generate();
            let login = format!("?token={}", token.reveal());
            Ok((token, login))
        }
    }
}

/// The cookie signing secret: LIVE_CART_KEY's; in dev mode without it, the key kept with
/// the store (sessions outlive the process, so must the key their cookies are signed
/// with); `None` for the layer's per-process dev key, with nothing stored.
fn signing_key(settings: &Settings) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error>> {
    if let Some(key) = &settings.key {
        return Ok(Some(key.as_bytes().to_vec()));
    }
    if !settings.dev() {
        return Err(
            "LIVE_CART_KEY is not set: without --dev, the cookie signing secret (at \
                    least 32 bytes) comes from LIVE_CART_KEY"
                .into(),
        );
    }
    match settings.store.key_file() {
        Some(path) => Ok(Some(dev_key::load_or_create(&path)?)),
        None => Ok(None),
    }
}

/// The session manager: with a store (and the cart registered as durable) unless
/// `--store memory`.
async fn spawn_manager(
    settings: &Settings,
    live: &LiveSockets,
) -> Result<SessionManager, Box<dyn std::error::Error>> {
    let config = SessionConfig::default()
        .with_idle_timeout(settings.idle_ttl)
        .with_max_sessions(settings.max_sessions.get());
    let mut builder = SessionManager::builder(config);
    let store = settings.store.open().await.map_err(|error| {
        format!(
            "cannot open the session store ({}): {error}",
            settings.store.name()
        )
    })?;
    if let Some(store) = store {
        let policy = if settings.write_through {
            WritePolicy::WriteThrough
        } else {
            WritePolicy::WriteBehind
        };
        let live = live.clone();
        builder = builder
            .with_store(store)
            .with_durability(DurabilityConfig::default().with_write_policy(policy))
            .with_durable(move || CartSession::new(live.clone()));
    }
    Ok(builder.spawn().await?)
}

/// A listener on `port` of 127.0.0.1 (0: any free port).
async fn bind(port: u16) -> Result<TcpListener, String> {
    TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))
}

/// A Content-Security-Policy and anti-framing headers on every response that has none.
fn with_security_headers(app: Router) -> Router {
    let headers = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        // For browsers that predate `frame-ancestors`.
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    headers.into_iter().fold(app, |app, (name, value)| {
        app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// Ctrl-C, or SIGTERM on Unix (what service managers and `kill` send).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
