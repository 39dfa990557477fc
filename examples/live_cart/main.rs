//! The live cart demo: a shopping cart held by one session actor per visitor, updated live
//! in every open tab of the session, that tells the page when the session has expired.
//!
//! ```sh
//! cargo run --release -p ractor-session-examples --bin live_cart
//! # then open http://127.0.0.1:3000 in two tabs; `--help` lists the options
//! ```

mod app;
mod cart;
mod settings;

use std::process::ExitCode;

use metrics_exporter_prometheus::PrometheusBuilder;
use ractor_session::{SessionConfig, SessionManager};
use ractor_session_axum::{LiveSockets, SessionLayer};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::app::AppState;
use crate::cart::CartSession;
use crate::settings::{Settings, SettingsError};

fn main() -> ExitCode {
    let settings = match Settings::parse(std::env::args().skip(1), |name| std::env::var(name).ok())
    {
        Ok(settings) => settings,
        Err(SettingsError::Help) => {
            print!("{}", settings::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("live_cart: {error}");
            return ExitCode::from(2);
        }
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
    let metrics = PrometheusBuilder::new().install_recorder()?;
    let config = SessionConfig::default()
        .with_idle_timeout(settings.idle_ttl)
        .with_max_sessions(settings.max_sessions);
    let manager = SessionManager::spawn(config).await?;
    let live = LiveSockets::new();

    let mut layer = SessionLayer::builder(manager.clone()).with_auto_start_with({
        let live = live.clone();
        move || (CartSession, live.clone())
    });
    if let Some(key) = &settings.key {
        layer = layer.with_key_bytes(key.as_bytes());
    }
    if settings.dev {
        layer = layer.with_dev_mode();
    }
    let layer = layer.build().map_err(|error| {
        format!("{error}\n(set LIVE_CART_KEY to a secret of at least 32 bytes, or run with --dev)")
    })?;

    let app = app::routes(AppState {
        manager: manager.clone(),
        live,
        metrics: Some(metrics),
        idle_ttl: settings.idle_ttl,
    })
    .layer(layer);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", settings.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", settings.port))?;
    let addr = listener.local_addr()?;
    // Tests read this line to find the port; keep its shape.
    println!("live_cart listening on http://{addr}");
    tracing::info!(
        %addr,
        idle_ttl_ms = settings.idle_ttl.as_millis() as u64,
        dev = settings.dev,
        "live cart ready: open http://{addr} in two tabs"
    );

    let shutdown = {
        let manager = manager.clone();
        async move {
            stop_signal().await;
            tracing::info!("shutting down: ending sessions (live tabs are told)");
            manager.shutdown().await;
        }
    };
    // Each connection's peer address reaches the layer, which limits session creation
    // per client by it.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    manager.shutdown().await;
    Ok(())
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
