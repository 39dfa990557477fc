//! A Redis server for tests: `redis-server` on 127.0.0.1 on a free port, in a temporary
//! directory, without persistence while it runs.

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use crate::process::{Server, free_port, temp_dir};
use crate::skip;

/// A Redis server started for tests, stopped (and its directory removed) when dropped or
/// when the test process dies.
///
/// It saves nothing while it runs; on [`stop`](Self::stop) it writes one snapshot, which
/// [`restart`](Self::restart) loads, so a restart keeps the data as a real deployment
/// with persistence would. `redis-server` is found in `$REDIS_SERVER` or on `PATH`.
///
/// # Examples
///
/// ```no_run
/// use ractor_session_test_support::RedisServer;
///
/// let Some(server) = RedisServer::shared() else { return }; // skipped: not installed
/// assert!(server.url().starts_with("redis://127.0.0.1:"));
/// ```
#[derive(Debug)]
pub struct RedisServer {
    server: Server,
}

impl RedisServer {
    /// Starts a server of its own, or returns `None` (after a loud message) when
    /// `redis-server` is not installed and `CI` is unset.
    ///
    /// # Panics
    ///
    /// When `redis-server` is missing and `CI` is set, or the server does not start.
    #[must_use]
    pub fn start() -> Option<Self> {
        let Some(program) = program() else {
            skip::missing("redis-server");
            return None;
        };
        let dir = temp_dir("ractor-session-redis-");
        let port = free_port();
        let mut command = vec![OsString::from(program)];
        command.extend(
            [
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--dir",
                dir.to_str().expect("temporary paths are UTF-8"),
                "--save",
                "",
                "--appendonly",
                "no",
                // one snapshot when stopped, loaded again by a restart
                "--shutdown-on-sigterm",
                "save",
            ]
            .map(OsString::from),
        );
        let server = Server::start("Redis", (dir, port), "TERM", command, |server| {
            answers_ping(server.port())
        });
        Some(Self { server })
    }

    /// A server shared by every test of the test binary, started on first use; `None`
    /// (after a loud message) when `redis-server` is not installed and `CI` is unset. It
    /// stops when the test process exits.
    ///
    /// # Panics
    ///
    /// As [`RedisServer::start`].
    #[must_use]
    pub fn shared() -> Option<&'static Self> {
        static SHARED: OnceLock<Option<RedisServer>> = OnceLock::new();
        SHARED.get_or_init(Self::start).as_ref()
    }

    /// The server's URL (database 0).
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.server.port())
    }

    /// Stops the server (its data is saved for [`restart`](Self::restart)).
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
}

fn program() -> Option<PathBuf> {
    if let Some(program) = std::env::var_os("REDIS_SERVER") {
        return Some(program.into());
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("redis-server"))
        .find(|program| program.is_file())
}

/// Whether a Redis server on `port` answers `PING` with `PONG`.
fn answers_ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}
