//! Runs the real `live_cart` binary on a free loopback port for the demo's tests, each in a
//! working directory of its own (where its default SQLite store and key file go), and
//! keeps no process of a test alive after it.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use tempfile::TempDir;

use ractor_session_test_support::poll::{PATIENCE, eventually};

/// A child process, killed when dropped.
pub(crate) struct KillOnDrop(pub(crate) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The demo's environment variables, none of which a test inherits.
const DEMO_ENV: [&str; 15] = [
    "LIVE_CART_STORE",
    "LIVE_CART_WRITE_THROUGH",
    "LIVE_CART_PORT",
    "LIVE_CART_IDLE_TTL",
    "LIVE_CART_MAX_SESSIONS",
    "LIVE_CART_DEV",
    "LIVE_CART_METRICS_PORT",
    "LIVE_CART_READ_TIMEOUT",
    "LIVE_CART_KEY",
    "LIVE_CART_DASHBOARD_TOKEN",
    "LIVE_CART_CLUSTER_PORT",
    "LIVE_CART_CLUSTER_HOST",
    "LIVE_CART_PEERS",
    "LIVE_CART_NODE_NAME",
    "LIVE_CART_CLUSTER_SECRET",
];

/// The `live_cart` binary, to run without inheriting any of its environment variables.
pub(crate) fn live_cart() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_live_cart"));
    for name in DEMO_ENV {
        command.env_remove(name);
    }
    command
}

/// A running demo; killed when dropped.
pub(crate) struct Demo {
    process: KillOnDrop,
    /// `http://127.0.0.1:PORT`
    pub(crate) url: String,
    /// `http://127.0.0.1:PORT/metrics` on the admin port, when `--metrics-port` was given.
    pub(crate) metrics_url: Option<String>,
    /// The dashboard's address on the admin port as the demo printed it: with `?token=`
    /// when it made the token itself.
    pub(crate) dashboard_url: Option<String>,
    /// The working directory made for this demo alone, removed after it is killed.
    dir: Option<TempDir>,
    /// Everything the demo printed to stdout (its log included), line by line.
    output: Arc<Mutex<String>>,
}

/// The lines of the demo's output that say where it serves what.
enum Address {
    Metrics(String),
    Dashboard(String),
    App(String),
}

impl Address {
    fn parse(line: &str) -> Option<Self> {
        let after = |prefix: &str| line.strip_prefix(prefix).map(|url| url.trim().to_owned());
        after("live_cart metrics on ")
            .map(Self::Metrics)
            .or_else(|| after("live_cart dashboard on ").map(Self::Dashboard))
            .or_else(|| after("live_cart listening on ").map(Self::App))
    }
}

impl Demo {
    /// Starts `live_cart --port 0 --dev` with `args` and waits for its address.
    pub(crate) fn start(args: &[&str]) -> Self {
        let mut all = vec!["--dev"];
        all.extend_from_slice(args);
        Self::spawn(&all, &[])
    }

    /// Starts `live_cart --port 0` with `args` and `env`, in a working directory of its
    /// own, and waits for its address.
    pub(crate) fn spawn(args: &[&str], env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("a working directory");
        let mut demo = Self::spawn_in(dir.path(), args, env);
        demo.dir = Some(dir);
        demo
    }

    /// Starts `live_cart` with `args` and `env` in the working directory `dir` (kept by the
    /// caller, e.g. for a restart on the same store) and waits for its address; on port 0
    /// unless `args` name one.
    pub(crate) fn spawn_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = live_cart();
        if !args.contains(&"--port") {
            command.args(["--port", "0"]);
        }
        let child = command
            .current_dir(dir)
            .args(args)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the live_cart binary starts");
        let mut demo = Self {
            process: KillOnDrop(child),
            url: String::new(),
            metrics_url: None,
            dashboard_url: None,
            dir: None,
            output: Arc::default(),
        };
        let stdout = demo.process.0.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        let output = Arc::clone(&demo.output);
        // Keep draining stdout so the demo never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                {
                    let mut output = output.lock().unwrap_or_else(PoisonError::into_inner);
                    output.push_str(&line);
                    output.push('\n');
                }
                if let Some(address) = Address::parse(&line) {
                    let _ = tx.send(address);
                }
            }
        });
        // The admin port's lines, if any, come first. On failure `demo` drops here, which
        // kills the child.
        loop {
            match rx
                .recv_timeout(PATIENCE)
                .expect("live_cart printed its address")
            {
                Address::Metrics(url) => demo.metrics_url = Some(url),
                Address::Dashboard(url) => demo.dashboard_url = Some(url),
                Address::App(url) => {
                    demo.url = url;
                    break;
                }
            }
        }
        demo
    }

    /// Sends SIGTERM and waits for the demo to exit; returns whether it exited cleanly.
    #[cfg(unix)]
    pub(crate) async fn terminate(&mut self) -> bool {
        let pid = self.process.0.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("`kill` runs");
        assert!(sent.success(), "SIGTERM could not be sent");
        let mut exit = None;
        eventually("the demo exits after SIGTERM", || {
            exit = self.process.0.try_wait().expect("the demo's status");
            let exited = exit.is_some();
            async move { exited }
        })
        .await;
        exit.is_some_and(|status| status.success())
    }

    /// Kills the demo with SIGKILL, as a crash or a power cut of the process would end
    /// it: nothing of it runs after this returns.
    pub(crate) fn kill(&mut self) {
        self.process.0.kill().expect("the demo is killed");
        self.process.0.wait().expect("the demo's status");
    }

    /// What the demo has printed to stdout so far: its addresses and its log (at the level
    /// `RUST_LOG` sets: `warn` unless the test's `env` says otherwise).
    pub(crate) fn output(&self) -> String {
        self.output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The port the demo listens on.
    pub(crate) fn port(&self) -> u16 {
        let port = self.url.rsplit(':').next().expect("a port in the URL");
        port.parse().expect("a port number")
    }

    /// The demo's resident memory, from `/proc` (Linux), in bytes.
    #[cfg(target_os = "linux")]
    pub(crate) fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process.0.id()))
            .expect("the demo's /proc status");
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|n| n.trim().parse().ok())
            .expect("VmRSS in the status");
        kib * 1024
    }

    /// The demo's `/metrics` on its admin port (Prometheus text).
    pub(crate) async fn metrics_text(&self) -> String {
        let url = self.metrics_url.as_deref();
        reqwest::get(url.expect("--metrics-port was given"))
            .await
            .expect("the metrics answer")
            .text()
            .await
            .expect("the metrics' text")
    }

    /// The sum of the metric `name`'s series (0 when it has none yet).
    pub(crate) async fn metric(&self, name: &str) -> u64 {
        // `name{labels} N` or `name N`, one line per series.
        self.metrics_text()
            .await
            .lines()
            .filter_map(|line| line.strip_prefix(name))
            .filter(|rest| rest.starts_with('{') || rest.starts_with(' '))
            .map(|rest| {
                let n = rest.rsplit(' ').next().expect("a value");
                n.parse::<f64>().expect("a number") as u64
            })
            .sum()
    }

    pub(crate) fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.url.replacen("http://", "ws://", 1))
    }
}
