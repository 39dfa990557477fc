//! The shared store: a PostgreSQL server of this run's own on loopback, started the way the
//! workspace's tests start theirs (`initdb` into a temporary directory, trust
//! authentication, fsync off, run as the `postgres` user when this runs as root).
//!
//! The test-support crate's `PostgresServer` is not reused: depending on that crate turns on
//! the core crate's `test-util` feature (a counter on every registry read) in this package,
//! which every other figure of this package measures.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tempfile::TempDir;

/// How long the server may take to start.
const PATIENCE: Duration = Duration::from_secs(60);

/// A running PostgreSQL server; stopped (fast shutdown) and its directory removed when
/// dropped.
#[derive(Debug)]
pub(crate) struct Postgres {
    server: Child,
    port: u16,
    dir: TempDir,
}

impl Postgres {
    /// `initdb`, then `postgres` on 127.0.0.1 on a free port; returns once it accepts
    /// connections.
    pub(crate) fn start() -> Result<Self, String> {
        let bin = bin_dir().ok_or(
            "PostgreSQL is not installed (initdb and postgres in $PG_BIN, \
             /usr/lib/postgresql/*/bin or PATH): run scripts/install-test-deps",
        )?;
        let dir = tempfile::Builder::new()
            .prefix("ractor-session-cluster-bench-")
            .tempdir()
            .map_err(|e| format!("a temporary directory: {e}"))?;
        let user = server_user()?;
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| format!("handing the directory to the postgres user: {e}"))?;
        }
        let data = dir.path().join("data");
        let initdb = as_user(user, &bin.join("initdb"))
            .current_dir(dir.path())
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync")
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !initdb.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&initdb.stderr)
            ));
        }
        let port = free_port()?;
        let log = std::fs::File::create(dir.path().join("server.log"))
            .map_err(|e| format!("the server's log: {e}"))?;
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path().join("server.log"), Some(uid), Some(gid))
                .map_err(|e| format!("handing the log to the postgres user: {e}"))?;
        }
        let server = as_user(user, &bin.join("postgres"))
            .current_dir(dir.path())
            .arg("-D")
            .arg(&data)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
            .arg(dir.path())
            // no fsync: the figures are about the nodes, not the disk
            .args([
                "-F",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=300",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("postgres: {e}"))?;
        let mut postgres = Self { server, port, dir };
        let deadline = Instant::now() + PATIENCE;
        while !postgres.ready(&bin) {
            if let Ok(Some(status)) = postgres.server.try_wait() {
                return Err(format!("postgres exited ({status}):\n{}", postgres.log()));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "postgres was not ready within {PATIENCE:?}:\n{}",
                    postgres.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(postgres)
    }

    /// The URL of the server's `postgres` database.
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn ready(&self, bin: &Path) -> bool {
        Command::new(bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-U", "postgres", "-p"])
            .arg(self.port.to_string())
            .status()
            .is_ok_and(|status| status.success())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGINT: PostgreSQL's fast shutdown (its backends end with it).
        if let Ok(pid) = i32::try_from(self.server.id()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
        }
        let _ = self.server.wait();
    }
}

/// The directory holding `initdb` and `postgres`: `$PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian's layout), else `PATH`.
fn bin_dir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("PG_BIN").map(PathBuf::from) {
        return has_server(&dir).then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| Some((entry.file_name().to_str()?.parse().ok()?, entry.path())))
        .map(|(version, path)| (version, path.join("bin")))
        .filter(|(_, dir)| has_server(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir).or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .find(|dir| has_server(dir))
    })
}

/// The `postgres` user's IDs when this runs as root (PostgreSQL refuses root).
fn server_user() -> Result<Option<(u32, u32)>, String> {
    if !nix::unistd::Uid::effective().is_root() {
        return Ok(None);
    }
    let user = nix::unistd::User::from_name("postgres")
        .ok()
        .flatten()
        .ok_or("running as root, and there is no postgres user to run PostgreSQL as")?;
    Ok(Some((user.uid.as_raw(), user.gid.as_raw())))
}

/// `program`, run as `user` (through `setpriv`) when one is given.
fn as_user(user: Option<(u32, u32)>, program: &Path) -> Command {
    match user {
        Some((uid, gid)) => {
            let mut command = Command::new("setpriv");
            command
                .arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .args(["--clear-groups", "--"])
                .arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// A port that was free on 127.0.0.1 a moment ago.
pub(crate) fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("a free port: {e}"))
}
