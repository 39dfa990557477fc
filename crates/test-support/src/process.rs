//! A server process tied to the test process: started under a small `sh` guard that stops
//! it (and removes its directory) as soon as the guard's stdin, a pipe from the test
//! process, closes — when the test drops it, and also when the test process dies.

use std::ffi::OsString;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// The guard: starts the server in the background, waits for a line or the end of its
/// stdin, stops the server with the given signal, and removes the directory unless the
/// line was `keep` (a restart follows).
const GUARD: &str = r#"
dir=$1; signal=$2; shift 2
"$@" >>"$dir/server.log" 2>&1 &
server=$!
IFS= read -r order || order=""
kill -s "$signal" "$server" 2>/dev/null
wait "$server"
[ "$order" = keep ] || rm -rf "$dir"
"#;

/// How long a server may take to start or stop.
const PATIENCE: Duration = Duration::from_secs(60);

/// A running server under its guard.
#[derive(Debug)]
pub(crate) struct Guarded {
    guard: Child,
    stdin: Option<ChildStdin>,
    dir: PathBuf,
}

impl Guarded {
    /// Starts `command` (program and arguments) under a guard that stops it with `signal`
    /// and owns `dir` (the server's log goes to `dir/server.log`).
    pub(crate) fn spawn(dir: &Path, signal: &str, command: &[OsString]) -> Self {
        let mut guard = Command::new("sh")
            .arg("-c")
            .arg(GUARD)
            .arg("guard")
            .arg(dir)
            .arg(signal)
            .args(command)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start sh to run {command:?}: {error}"));
        let stdin = guard.stdin.take();
        Self {
            guard,
            stdin,
            dir: dir.to_path_buf(),
        }
    }

    /// Polls `ready` until it holds; panics with the server's log if the server exits or
    /// does not get ready in time.
    pub(crate) fn wait_until_ready(&mut self, what: &str, mut ready: impl FnMut() -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !ready() {
            if let Ok(Some(status)) = self.guard.try_wait() {
                panic!(
                    "{what} exited ({status}) before it was ready:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{what} was not ready within {PATIENCE:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server and waits for it; keeps its directory when `keep_dir` is set.
    pub(crate) fn stop(&mut self, keep_dir: bool) {
        if let Some(mut stdin) = self.stdin.take() {
            if keep_dir {
                // A failed write means the guard is gone already; waiting below tells.
                let _ = stdin.write_all(b"keep\n");
            }
            drop(stdin);
        }
        let deadline = Instant::now() + PATIENCE;
        while matches!(self.guard.try_wait(), Ok(None)) {
            assert!(Instant::now() < deadline, "the server did not stop in time");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The server's log so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log"))
            .unwrap_or_else(|error| format!("(no log: {error})"))
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            self.stop(false);
        }
    }
}

/// A server for tests: how to start it, and its guarded process while it runs.
#[derive(Debug)]
pub(crate) struct Server {
    name: &'static str,
    dir: PathBuf,
    port: u16,
    signal: &'static str,
    command: Vec<OsString>,
    ready: fn(&Server) -> bool,
    running: Option<Guarded>,
}

impl Server {
    /// Starts `command` in `dir` and waits until `ready`; `signal` stops it.
    pub(crate) fn start(
        name: &'static str,
        (dir, port): (PathBuf, u16),
        signal: &'static str,
        command: Vec<OsString>,
        ready: fn(&Server) -> bool,
    ) -> Self {
        let mut server = Self {
            name,
            dir,
            port,
            signal,
            command,
            ready,
            running: None,
        };
        server.launch();
        server
    }

    fn launch(&mut self) {
        let mut guarded = Guarded::spawn(&self.dir, self.signal, &self.command);
        guarded.wait_until_ready(self.name, || (self.ready)(self));
        self.running = Some(guarded);
    }

    /// The server's port on 127.0.0.1.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server, keeping its data for [`Server::restart`].
    pub(crate) fn stop(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.stop(true);
        }
    }

    /// Starts the server again (stopping it first if it runs), on the same port and data.
    pub(crate) fn restart(&mut self) {
        self.stop();
        self.launch();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        match self.running.take() {
            // The guard removes the directory once the server has stopped.
            Some(running) => drop(running),
            None => {
                let _ = std::fs::remove_dir_all(&self.dir);
            }
        }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago, for a server that must be told its
/// port before it starts. It is chosen below the kernel's range of ephemeral ports (32768
/// and up on Linux): a port the OS hands out for `:0` could be taken as the source port of
/// some outgoing connection before the server binds it, while one below that range is only
/// ever taken by another bind (rare: the ports are spread by process and call).
///
/// # Examples
///
/// ```
/// let port = ractor_session_test_support::free_port();
/// assert!((20_000..32_000).contains(&port));
/// assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
/// ```
///
/// # Panics
///
/// When no port between 20000 and 32000 on 127.0.0.1 is free.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_000;
    let seed = std::process::id().wrapping_mul(7919);
    for _ in 0..COUNT {
        let n = seed.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed).wrapping_mul(104_729));
        let port = u16::try_from(FIRST + n % COUNT).expect("below 32000");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between 20000 and 32000 on 127.0.0.1")
}

/// A fresh temporary directory, left for the guard to remove.
pub(crate) fn temp_dir(prefix: &str) -> PathBuf {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("cannot create a temporary directory")
        .keep()
}

/// Runs `command` to completion, panicking with its output when it fails.
pub(crate) fn run(what: &str, command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {what}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
