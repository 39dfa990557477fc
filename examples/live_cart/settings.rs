//! Command-line flags and environment variables of the demo (clap; a flag wins over its
//! environment variable).

use std::num::NonZeroUsize;
use std::str::FromStr as _;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Parser};

use crate::store::StoreChoice;

/// What the demo runs with.
#[derive(Clone, Debug, PartialEq, Eq, Parser)]
#[command(
    name = "live_cart",
    about = "A shopping cart whose state lives in one actor per session, updated live in \
             every open tab over a websocket.",
    after_help = "Environment only:\n  \
        LIVE_CART_KEY              cookie signing secret, at least 32 bytes; required with --no-dev\n  \
        LIVE_CART_CLUSTER_SECRET   the secret every node of a cluster shares (16+ bytes)\n  \
        LIVE_CART_DASHBOARD_TOKEN  the dashboard's token (16+ of A-Z a-z 0-9 - . _ ~);\n                             \
        unset: a fresh one is made and printed at start\n  \
        RUST_LOG                   log filter, e.g. info or ractor_session=debug,info"
)]
pub(crate) struct Settings {
    /// Port on 127.0.0.1; 0 picks any free one.
    #[arg(long, env = "LIVE_CART_PORT", default_value_t = 3000)]
    pub(crate) port: u16,

    /// Idle timeout of a session, e.g. 30s, 500ms, 2m, 1h (100 ms to 30 days).
    #[arg(long, env = "LIVE_CART_IDLE_TTL", default_value = "30s", value_parser = parse_duration)]
    pub(crate) idle_ttl: Duration,

    /// Insecure dev mode for plain http://127.0.0.1: cookies without the Secure flag (so
    /// without the __Host- prefix), signed with a key kept with the store (a per-process
    /// key with --store memory) unless LIVE_CART_KEY is set. On by default; --no-dev turns
    /// it off.
    #[arg(
        long,
        env = "LIVE_CART_DEV",
        default_value_t = true,
        action = ArgAction::SetTrue,
        value_parser = BoolishValueParser::new(),
        overrides_with = "no_dev"
    )]
    dev: bool,

    /// Production mode: Secure `__Host-` cookies, a signing key from LIVE_CART_KEY.
    #[arg(long, overrides_with = "dev")]
    no_dev: bool,

    /// The admin port on 127.0.0.1 (0: any free one): Prometheus metrics at /metrics and
    /// the live session dashboard at /dashboard, apart from the app, which never serves
    /// them. Off unless given.
    #[arg(long, env = "LIVE_CART_METRICS_PORT")]
    pub(crate) metrics_port: Option<u16>,

    /// How long a client may take to send a request's headers or its body, and how long
    /// an idle keep-alive connection stays open, e.g. 10s.
    #[arg(long, env = "LIVE_CART_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub(crate) read_timeout: Duration,

    /// Most live sessions at once; past it a newcomer takes the place of the oldest session
    /// that never came back.
    #[arg(long, env = "LIVE_CART_MAX_SESSIONS", default_value = "10000")]
    pub(crate) max_sessions: NonZeroUsize,

    /// Where sessions are kept, so that carts survive a restart: sqlite:PATH (a file, made
    /// if missing), memory (nothing kept), or postgres://… / redis://… when built with the
    /// `postgres` / `redis` features. In dev mode without LIVE_CART_KEY, the signing key is
    /// kept next to the SQLite file (PATH.key; live_cart.key in the working directory for
    /// the servers), readable by its owner only.
    #[arg(
        long,
        env = "LIVE_CART_STORE",
        default_value = "sqlite:live_cart.db",
        value_parser = StoreChoice::from_str
    )]
    pub(crate) store: StoreChoice,

    /// Write each cart change to the store before answering, instead of in batches every
    /// second (what a crash can lose: see docs/durability.md).
    #[arg(
        long,
        env = "LIVE_CART_WRITE_THROUGH",
        action = ArgAction::SetTrue,
        value_parser = BoolishValueParser::new()
    )]
    pub(crate) write_through: bool,

    /// Joins a cluster: this node's cluster server port (on 127.0.0.1 unless
    /// --cluster-host says otherwise). Needs LIVE_CART_CLUSTER_SECRET, LIVE_CART_KEY and a
    /// shared store (postgres://… or redis://…).
    #[cfg(feature = "cluster")]
    #[arg(long, env = "LIVE_CART_CLUSTER_PORT")]
    pub(crate) cluster_port: Option<u16>,

    /// The address the cluster server listens on and peers reach it by.
    #[cfg(feature = "cluster")]
    #[arg(long, env = "LIVE_CART_CLUSTER_HOST", default_value = "127.0.0.1")]
    pub(crate) cluster_host: std::net::IpAddr,

    /// A peer's cluster server, HOST:PORT; repeatable (or comma-separated in the variable).
    #[cfg(feature = "cluster")]
    #[arg(long = "peer", env = "LIVE_CART_PEERS", value_delimiter = ',')]
    pub(crate) peers: Vec<String>,

    /// This node's name in the cluster, stable across restarts (default: node-PORT).
    #[cfg(feature = "cluster")]
    #[arg(long, env = "LIVE_CART_NODE_NAME")]
    pub(crate) node_name: Option<String>,

    /// The secret of the cluster's nodes, from LIVE_CART_CLUSTER_SECRET only: a flag would
    /// show it in the process list.
    #[cfg(feature = "cluster")]
    #[arg(skip)]
    pub(crate) cluster_secret: Option<String>,

    /// Cookie signing secret (at least 32 bytes), from LIVE_CART_KEY only: a flag would
    /// show it in the process list.
    #[arg(skip)]
    pub(crate) key: Option<String>,

    /// The dashboard's token, from LIVE_CART_DASHBOARD_TOKEN only, for the same reason.
    #[arg(skip)]
    pub(crate) dashboard_token: Option<String>,
}

impl Settings {
    /// Flags and environment, the signing key from `LIVE_CART_KEY`.
    pub(crate) fn load() -> Result<Self, clap::Error> {
        let mut settings = Self::try_parse()?;
        settings.key = secret_from_env("LIVE_CART_KEY");
        settings.dashboard_token = secret_from_env("LIVE_CART_DASHBOARD_TOKEN");
        #[cfg(feature = "cluster")]
        {
            settings.cluster_secret = secret_from_env("LIVE_CART_CLUSTER_SECRET");
        }
        Ok(settings)
    }

    /// Whether the demo runs in insecure dev mode.
    pub(crate) fn dev(&self) -> bool {
        self.dev && !self.no_dev
    }
}

/// A secret from the environment variable `name`, unless unset or empty.
fn secret_from_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// `500ms`, `30s`, `2m`, `1h`, or a plain number of seconds; from 100 ms to 30 days.
fn parse_duration(value: &str) -> Result<Duration, String> {
    let bad = || {
        format!("{value:?} is not a duration between 100ms and 30 days (e.g. 500ms, 30s, 2m, 1h)")
    };
    let text = value.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let ms_per_unit: u64 = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(bad()),
    };
    let ms = n.checked_mul(ms_per_unit).ok_or_else(bad)?;
    if !(100..=30 * 24 * 3_600_000).contains(&ms) {
        return Err(bad());
    }
    Ok(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        Settings::try_parse_from(std::iter::once("live_cart").chain(args.iter().copied()))
    }

    #[test]
    fn the_flags_are_consistent() {
        Settings::command().debug_assert();
    }

    #[test]
    fn defaults_serve_port_3000_in_dev_mode_with_a_30s_ttl_10000_sessions_an_sqlite_file_and_no_metrics()
     {
        let s = parse(&[]).unwrap();
        assert_eq!(s.port, 3000);
        assert_eq!(s.idle_ttl, Duration::from_secs(30));
        assert!(s.dev());
        assert_eq!(s.metrics_port, None);
        assert_eq!(s.read_timeout, Duration::from_secs(10));
        assert_eq!(s.max_sessions.get(), 10_000);
        assert_eq!(s.store, StoreChoice::Sqlite("live_cart.db".into()));
        assert!(!s.write_through);
    }

    #[test]
    fn flags_are_read() {
        let s = parse(&[
            "--port",
            "8080",
            "--idle-ttl=500ms",
            "--no-dev",
            "--metrics-port",
            "0",
            "--read-timeout",
            "2s",
            "--max-sessions=50",
            "--store",
            "memory",
            "--write-through",
        ])
        .unwrap();
        assert_eq!(s.port, 8080);
        assert_eq!(s.idle_ttl, Duration::from_millis(500));
        assert!(!s.dev());
        assert_eq!(s.metrics_port, Some(0));
        assert_eq!(s.read_timeout, Duration::from_secs(2));
        assert_eq!(s.max_sessions.get(), 50);
        assert_eq!(s.store, StoreChoice::Memory);
        assert!(s.write_through);
    }

    #[test]
    fn the_last_of_dev_and_no_dev_wins() {
        assert!(!parse(&["--dev", "--no-dev"]).unwrap().dev());
        assert!(parse(&["--no-dev", "--dev"]).unwrap().dev());
    }

    #[test]
    fn bad_values_are_clear_errors() {
        for args in [
            &["--port", "http"][..],
            &["--port"][..],
            &["--port", "70000"][..],
            &["--idle-ttl", "5 minutes"][..],
            &["--idle-ttl", "10ms"][..],
            &["--idle-ttl", "99999999999999999h"][..],
            &["--read-timeout", "forever"][..],
            &["--max-sessions", "0"][..],
            &["--max-sessions", "many"][..],
            &["--frobnicate"][..],
            &["--store", "mysql://localhost/carts"][..],
            &["--store", "sqlite:"][..],
        ] {
            let error = parse(args).unwrap_err();
            assert!(!error.to_string().is_empty(), "{args:?}");
        }
        let store = parse(&["--store", "mysql://localhost/carts"]).unwrap_err();
        assert!(store.to_string().contains("sqlite:PATH"), "{store}");
        let help = parse(&["-h"]).unwrap_err();
        assert_eq!(help.kind(), clap::error::ErrorKind::DisplayHelp);
    }
}
