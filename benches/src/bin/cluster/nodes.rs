//! The nodes: real `live_cart` processes (the release build with the `cluster` and
//! `postgres` features), each on free loopback ports, joined into one cluster over the
//! shared store; their CPU times from `/proc`, their members and live sessions from the
//! admin port.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ractor_session_benches::ProcessCpu;
use tempfile::TempDir;

/// The command that builds the binary the nodes run.
pub(crate) const BUILD: &str = "cargo build --release -p ractor-session-examples \
     --features cluster,postgres --bin live_cart";

/// How long a node may take to print its addresses, and the cluster to form.
const PATIENCE: Duration = Duration::from_secs(60);

/// Lines of a node's own output passed on to stderr, at most (its warnings, e.g. about a
/// lost peer); the rest are read and dropped.
const ECHOED_LINES: usize = 20;

/// Secrets every node shares: the cluster's and the cookie signing key (so one cookie works
/// on every node). Made up for the run.
const CLUSTER_SECRET: &str = "cluster-bench-shared-secret";
const COOKIE_KEY: &str = "cluster-bench-cookie-signing-key-of-32-bytes-or-more";

/// The `live_cart` binary: `--bin-path`, else beside this binary (the same target
/// directory), else in `$CARGO_TARGET_DIR/release`.
///
/// # Errors
///
/// Where it is not found: the message tells the command that builds it.
pub(crate) fn find_binary(given: Option<&Path>) -> Result<PathBuf, String> {
    let candidates: Vec<PathBuf> = match given {
        Some(path) => vec![path.to_path_buf()],
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.join("live_cart")))
            .into_iter()
            .chain(
                std::env::var_os("CARGO_TARGET_DIR")
                    .map(|dir| PathBuf::from(dir).join("release").join("live_cart")),
            )
            .collect(),
    };
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .ok_or_else(|| {
            let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            format!(
                "no live_cart binary at {}: build it first with `{BUILD}` (the same \
                 CARGO_TARGET_DIR), or give its path with --bin-path",
                looked.join(" or ")
            )
        })
}

/// What one node is started with.
#[derive(Debug, Clone)]
pub(crate) struct NodeSpec {
    pub(crate) name: String,
    pub(crate) cluster_port: u16,
    /// The other nodes' cluster ports on 127.0.0.1.
    pub(crate) peers: Vec<u16>,
}

/// A running node; killed when dropped.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) name: String,
    /// `http://127.0.0.1:PORT`, the app (and the `Origin` its POSTs need).
    pub(crate) url: String,
    /// `http://127.0.0.1:PORT` of the admin port (`/metrics`, `/cluster`).
    admin: String,
    process: Child,
    /// Its working directory, removed after it.
    _dir: TempDir,
}

/// What a node's output says about where it serves.
enum Line {
    Metrics(String),
    App(String),
}

impl Line {
    fn parse(line: &str) -> Option<Self> {
        let after = |prefix: &str| line.strip_prefix(prefix).map(|url| url.trim().to_owned());
        after("live_cart metrics on ")
            .and_then(|url| url.strip_suffix("/metrics").map(str::to_owned))
            .map(Self::Metrics)
            .or_else(|| after("live_cart listening on ").map(Self::App))
    }
}

impl Node {
    /// Starts the nodes of `specs` together (each connects to the others as they come up),
    /// over the store at `store`, and returns once each has printed its addresses.
    pub(crate) fn start_all(
        bin: &Path,
        specs: &[NodeSpec],
        store: &str,
    ) -> Result<Vec<Self>, String> {
        let started: Vec<(Child, TempDir, mpsc::Receiver<Line>)> = specs
            .iter()
            .map(|spec| spawn(bin, spec, store))
            .collect::<Result<_, _>>()?;
        let mut nodes = Vec::new();
        for ((process, dir, lines), spec) in started.into_iter().zip(specs) {
            let mut node = Self {
                name: spec.name.clone(),
                url: String::new(),
                admin: String::new(),
                process,
                _dir: dir,
            };
            let deadline = Instant::now() + PATIENCE;
            while node.url.is_empty() {
                let left = deadline.saturating_duration_since(Instant::now());
                match lines.recv_timeout(left) {
                    Ok(Line::Metrics(url)) => node.admin = url,
                    Ok(Line::App(url)) => node.url = url,
                    Err(_) => {
                        let status = node.process.try_wait().ok().flatten();
                        return Err(format!(
                            "node {} did not print its address within {PATIENCE:?} (exit \
                             status: {status:?}); is live_cart built with the cluster \
                             features? `{BUILD}`",
                            spec.name
                        ));
                    }
                }
            }
            nodes.push(node);
        }
        Ok(nodes)
    }

    /// The node's user + system time so far; `None` once it is gone.
    pub(crate) fn cpu(&self) -> Option<ProcessCpu> {
        ProcessCpu::of_process(self.process.id())
    }

    /// `kill -9`: nothing of the node runs after this returns.
    pub(crate) fn kill(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    /// The members this node sees (`GET /cluster` on the admin port), sorted.
    pub(crate) async fn members(&self, http: &reqwest::Client) -> Result<Vec<String>, String> {
        let body = get_text(http, &format!("{}/cluster", self.admin)).await?;
        let value: serde_json::Value =
            serde_json::from_str(&body).map_err(|e| format!("/cluster: {e}"))?;
        let mut members: Vec<String> = value["members"]
            .as_array()
            .ok_or("/cluster has no members list")?
            .iter()
            .filter_map(|m| m.as_str().map(str::to_owned))
            .collect();
        members.sort();
        Ok(members)
    }

    /// The sessions live on this node: `ractor_session_live{manager="default"}` on its
    /// `/metrics` (0 before the first session).
    pub(crate) async fn live_sessions(&self, http: &reqwest::Client) -> Result<u64, String> {
        let text = get_text(http, &format!("{}/metrics", self.admin)).await?;
        Ok(live_gauge(&text))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until every node of `nodes` sees all of them as members.
pub(crate) async fn wait_for_cluster(nodes: &[Node], http: &reqwest::Client) -> Result<(), String> {
    let mut names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    names.sort();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut formed = true;
        for node in nodes {
            formed &= node.members(http).await.is_ok_and(|m| m == names);
        }
        if formed {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the cluster did not form within {PATIENCE:?}: expected members {names:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn get_text(http: &reqwest::Client, url: &str) -> Result<String, String> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    response.text().await.map_err(|e| format!("GET {url}: {e}"))
}

/// The default manager's live gauge in a Prometheus text.
fn live_gauge(text: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix("ractor_session_live{manager=\"default\"} "))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .map_or(0, |value| value as u64)
}

/// Starts one node in a working directory of its own; its output is read on a thread of
/// its own, which sends the address lines and echoes a few others.
fn spawn(
    bin: &Path,
    spec: &NodeSpec,
    store: &str,
) -> Result<(Child, TempDir, mpsc::Receiver<Line>), String> {
    let dir = tempfile::tempdir().map_err(|e| format!("a working directory: {e}"))?;
    let mut command = Command::new(bin);
    // None of the demo's settings from this environment: only what is given here.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("LIVE_CART_") {
            command.env_remove(name);
        }
    }
    command
        .current_dir(dir.path())
        .args(["--port", "0", "--metrics-port", "0", "--store", store])
        .args([
            "--write-through",
            "--idle-ttl",
            "1h",
            "--max-sessions",
            "100000",
        ])
        .args(["--node-name", &spec.name])
        .args(["--cluster-port", &spec.cluster_port.to_string()]);
    for peer in &spec.peers {
        command.args(["--peer", &format!("127.0.0.1:{peer}")]);
    }
    let mut process = command
        .env("LIVE_CART_CLUSTER_SECRET", CLUSTER_SECRET)
        .env("LIVE_CART_KEY", COOKIE_KEY)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", bin.display()))?;
    let stdout = process.stdout.take().ok_or("no stdout of the node")?;
    let (tx, rx) = mpsc::channel();
    let name = spec.name.clone();
    // Keep draining the output so the node never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut echoed = 0;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            match Line::parse(&line) {
                Some(address) => {
                    let _ = tx.send(address);
                }
                None if line.starts_with("live_cart ") => {}
                None if echoed < ECHOED_LINES => {
                    echoed += 1;
                    eprintln!("[cluster] node {name}: {line}");
                }
                None => {}
            }
        }
    });
    Ok((process, dir, rx))
}

#[cfg(test)]
mod tests {
    use super::{Line, live_gauge};

    #[test]
    fn the_live_gauge_is_read_from_the_default_manager_s_series() {
        let text = "# TYPE ractor_session_live gauge\n\
                    ractor_session_live{manager=\"other\"} 7\n\
                    ractor_session_live{manager=\"default\"} 12\n";
        assert_eq!(live_gauge(text), 12);
        assert_eq!(live_gauge("# nothing yet\n"), 0);
    }

    #[test]
    fn the_admin_address_is_the_metrics_url_without_its_path() {
        let Some(Line::Metrics(admin)) =
            Line::parse("live_cart metrics on http://127.0.0.1:4100/metrics")
        else {
            panic!("a metrics line");
        };
        assert_eq!(admin, "http://127.0.0.1:4100");
        assert!(Line::parse("live_cart cluster node a on 127.0.0.1:5000").is_none());
    }
}
