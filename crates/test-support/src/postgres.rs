//! A PostgreSQL server for tests: `initdb` into a temporary directory, `postgres` on
//! 127.0.0.1 on a free port, trust authentication, fsync off.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::process::{Server, free_port, run, temp_dir};
use crate::skip;

/// A PostgreSQL server started for tests, stopped (and its directory removed) when
/// dropped or when the test process dies.
///
/// The binaries are found in `$PG_BIN`, else in the newest `/usr/lib/postgresql/*/bin`
/// (Debian's layout: they are not on `PATH` there), else on `PATH`. When the tests run as
/// root, the server runs as the `postgres` user (PostgreSQL refuses root).
///
/// # Examples
///
/// ```no_run
/// use ractor_session_test_support::PostgresServer;
///
/// let Some(server) = PostgresServer::shared() else { return }; // skipped: not installed
/// let url = server.create_database();
/// assert!(url.starts_with("postgres://postgres@127.0.0.1:"));
/// ```
#[derive(Debug)]
pub struct PostgresServer {
    server: Server,
    bin: PathBuf,
}

impl PostgresServer {
    /// Starts a server of its own, or returns `None` (after a loud message) when
    /// PostgreSQL is not installed and `CI` is unset.
    ///
    /// # Panics
    ///
    /// When PostgreSQL is missing and `CI` is set, or the server does not start.
    #[must_use]
    pub fn start() -> Option<Self> {
        let Some(bin) = bin_dir() else {
            skip::missing("PostgreSQL (initdb and postgres)");
            return None;
        };
        let dir = temp_dir("ractor-session-postgres-");
        let user = server_user();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .expect("cannot hand the temporary directory to the postgres user");
        }
        let data = dir.join("data");
        let initdb = as_user(user, &bin.join("initdb"));
        run(
            "initdb",
            Command::new(&initdb[0])
                .args(&initdb[1..])
                .current_dir(&dir)
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8"])
                .args(["--locale=C", "--no-sync"]),
        );
        let port = free_port();
        let mut command = as_user(user, &bin.join("postgres"));
        command.extend(
            [
                "-D",
                path(&data),
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-k",
                path(&dir),
                // no fsync: tests need speed, not durability against power cuts
                "-F",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ]
            .map(OsString::from),
        );
        let server = Server::start("PostgreSQL", (dir, port), "INT", command, |server| {
            pg_isready(server.port())
        });
        Some(Self { server, bin })
    }

    /// A server shared by every test of the test binary, started on first use; `None`
    /// (after a loud message) when PostgreSQL is not installed and `CI` is unset. It stops
    /// when the test process exits.
    ///
    /// # Panics
    ///
    /// As [`PostgresServer::start`].
    #[must_use]
    pub fn shared() -> Option<&'static Self> {
        static SHARED: OnceLock<Option<PostgresServer>> = OnceLock::new();
        SHARED.get_or_init(Self::start).as_ref()
    }

    /// The URL of the server's `postgres` database.
    #[must_use]
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// Creates a fresh, empty database and returns its URL: tests sharing the server each
    /// get their own.
    ///
    /// # Panics
    ///
    /// When `createdb` fails.
    #[must_use]
    pub fn create_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        run(
            "createdb",
            Command::new(self.bin.join("createdb"))
                .args(["-h", "127.0.0.1", "-U", "postgres", "-p"])
                .arg(self.server.port().to_string())
                .arg(&name),
        );
        self.url_of(&name)
    }

    /// Stops the server (its data stays for [`restart`](Self::restart)).
    pub fn stop(&mut self) {
        self.server.stop();
    }

    /// Starts the server again on the same port with the same data, stopping it first if
    /// it runs.
    ///
    /// # Panics
    ///
    /// When the server does not start again.
    pub fn restart(&mut self) {
        self.server.restart();
    }

    fn url_of(&self, database: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{database}",
            self.server.port()
        )
    }
}

fn pg_isready(port: u16) -> bool {
    let Some(bin) = bin_dir() else { return false };
    Command::new(bin.join("pg_isready"))
        .args(["-q", "-h", "127.0.0.1", "-U", "postgres", "-p"])
        .arg(port.to_string())
        .status()
        .is_ok_and(|status| status.success())
}

/// The directory holding `initdb` and `postgres`.
fn bin_dir() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let has_server =
                |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
            if let Some(dir) = std::env::var_os("PG_BIN").map(PathBuf::from) {
                return has_server(&dir).then_some(dir);
            }
            let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|entry| {
                    let version = entry.file_name().to_str()?.parse().ok()?;
                    Some((version, entry.path().join("bin")))
                })
                .filter(|(_, dir)| has_server(dir))
                .collect();
            debian.sort();
            if let Some((_, dir)) = debian.pop() {
                return Some(dir);
            }
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .find(|dir| has_server(dir))
        })
        .clone()
}

/// The `postgres` user's IDs when the tests run as root (PostgreSQL refuses root).
fn server_user() -> Option<(u32, u32)> {
    let id = |args: &[&str]| -> Option<u32> {
        let output = Command::new("id").args(args).output().ok()?;
        String::from_utf8(output.stdout).ok()?.trim().parse().ok()
    };
    if id(&["-u"])? != 0 {
        return None;
    }
    let ids = id(&["-u", "postgres"]).zip(id(&["-g", "postgres"]));
    assert!(
        ids.is_some(),
        "running as root, and there is no postgres user to run PostgreSQL as"
    );
    ids
}

/// `program` as a command line run as `user` (through `setpriv`) when one is given.
fn as_user(user: Option<(u32, u32)>, program: &Path) -> Vec<OsString> {
    let mut command = Vec::new();
    if let Some((uid, gid)) = user {
        command.extend(
            [
                "setpriv".to_owned(),
                format!("--reuid={uid}"),
                format!("--regid={gid}"),
                "--clear-groups".to_owned(),
                "--".to_owned(),
            ]
            .map(OsString::from),
        );
    }
    command.push(program.into());
    command
}

fn path(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}
