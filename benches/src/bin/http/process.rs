//! Each server runs in a process of its own (this binary re-executed as `http __serve`),
//! so that its CPU time is the whole process's — every thread it has, any a database
//! layer may add, and threads that ended — and so that pinning it to a core pins all of
//! it.
//!
//! The parent talks to the server over its stdin and stdout, one line each way:
//! `sample` → the process's CPU times so far; `stop` (or end of input) → a graceful
//! shutdown. On start the server prints its address and the CPUs it may run on.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::time::Duration;

use ractor_session_benches::{ProcessCpu, ThreadTimes, allowed_cpus, pin_current_thread};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::servers::Server;

/// What the server process has spent so far.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ServerCpu {
    /// User + system time of the whole process (`getrusage`).
    pub(crate) process: ProcessCpu,
    /// Time on a core and waiting for one, summed over its threads (`schedstat`).
    pub(crate) threads: ThreadTimes,
}

impl ServerCpu {
    fn now() -> Self {
        Self {
            process: ProcessCpu::now(),
            threads: ThreadTimes::of_threads(""),
        }
    }

    /// The time spent between `earlier` and `self`.
    pub(crate) fn since(self, earlier: Self) -> Self {
        Self {
            process: self.process.since(earlier.process),
            threads: self.threads.since(earlier.threads),
        }
    }

    fn to_line(self) -> String {
        format!(
            "user_us={} sys_us={} on_cpu_ns={} wait_ns={}",
            self.process.user.as_micros(),
            self.process.system.as_micros(),
            self.threads.on_cpu.as_nanos(),
            self.threads.waiting.as_nanos(),
        )
    }

    fn from_line(line: &str) -> Option<Self> {
        let field = |key: &str| -> Option<u64> {
            line.split_whitespace()
                .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))?
                .parse()
                .ok()
        };
        Some(Self {
            process: ProcessCpu {
                user: Duration::from_micros(field("user_us")?),
                system: Duration::from_micros(field("sys_us")?),
            },
            threads: ThreadTimes {
                on_cpu: Duration::from_nanos(field("on_cpu_ns")?),
                waiting: Duration::from_nanos(field("wait_ns")?),
            },
        })
    }
}

/// A running server process, seen from the parent.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    child: Child,
    control: ChildStdin,
    replies: BufReader<ChildStdout>,
    pub(crate) addr: SocketAddr,
    /// The CPUs the server may run on, as the kernel lists them (`Cpus_allowed_list`).
    pub(crate) cpus: String,
}

impl ServerProcess {
    /// Starts `server` for `sessions` sessions with `workers` runtime workers (1: a
    /// current-thread runtime), pinned to `pin` when given.
    pub(crate) fn spawn(
        server: Server,
        workers: usize,
        sessions: usize,
        pin: Option<usize>,
    ) -> std::io::Result<Self> {
        let exe = std::env::current_exe()?;
        let mut command = Command::new(exe);
        command.args([
            "__serve",
            server.key(),
            &workers.to_string(),
            &sessions.to_string(),
        ]);
        if let Some(cpu) = pin {
            command.arg(cpu.to_string());
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let control = child.stdin.take().expect("piped stdin");
        let mut replies = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        replies.read_line(&mut line)?;
        let value = |key: &str| {
            line.split_whitespace()
                .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_owned)
        };
        let addr = value("addr").and_then(|a| a.parse().ok()).ok_or_else(|| {
            std::io::Error::other(format!("no address from the server: {line:?}"))
        })?;
        let cpus = value("cpus").unwrap_or_else(|| "?".to_owned());
        Ok(Self {
            child,
            control,
            replies,
            addr,
            cpus,
        })
    }

    /// The server's CPU times so far.
    pub(crate) fn sample(&mut self) -> std::io::Result<ServerCpu> {
        writeln!(self.control, "sample")?;
        let mut line = String::new();
        self.replies.read_line(&mut line)?;
        ServerCpu::from_line(&line)
            .ok_or_else(|| std::io::Error::other(format!("bad sample from the server: {line:?}")))
    }

    /// Stops the server gracefully and waits for it to exit.
    pub(crate) fn stop(mut self) -> std::io::Result<()> {
        writeln!(self.control, "stop")?;
        let status = self.child.wait()?;
        if status.success() {
            Ok(())
        } else {
            Err(std::io::Error::other(format!(
                "the server exited with {status}"
            )))
        }
    }
}

/// The server process's `main`: pins itself first (so every thread it starts inherits the
/// CPU set), then serves until told to stop.
pub(crate) fn serve(
    server: Server,
    workers: usize,
    sessions: usize,
    pin: Option<usize>,
) -> ExitCode {
    if let Some(cpu) = pin
        && let Err(error) = pin_current_thread(&[cpu])
    {
        eprintln!("[http] could not pin the server to CPU {cpu}: {error}; it runs unpinned");
    }
    let runtime = if workers == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    }
    .expect("server runtime builds");
    runtime.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let (app, manager, _store_dir) = server.app(sessions).await;
        println!(
            "addr={} cpus={}",
            listener.local_addr().expect("bound address"),
            cpus_allowed_list()
        );
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("control".to_owned())
            .spawn(move || control(stop))
            .expect("control thread starts");
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        if let Some(manager) = manager {
            manager.shutdown().await;
        }
    });
    ExitCode::SUCCESS
}

/// Answers the parent's `sample` lines until `stop` or the end of input.
fn control(stop: oneshot::Sender<()>) {
    let stdin = std::io::stdin();
    let mut line = String::new();
    loop {
        line.clear();
        match stdin.read_line(&mut line) {
            Ok(n) if n > 0 && line.trim() == "sample" => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", ServerCpu::now().to_line());
                let _ = out.flush();
            }
            Ok(n) if n > 0 && line.trim() != "stop" => {}
            _ => break,
        }
    }
    let _ = stop.send(());
}

/// The CPUs this process may run on, as the kernel lists them (`0-1`, `1`); from
/// `/proc/self/status`, or from `sched_getaffinity` where that file is missing.
fn cpus_allowed_list() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .map(|list| list.trim().to_owned())
        })
        .unwrap_or_else(|| {
            let cpus: Vec<String> = allowed_cpus().iter().map(usize::to_string).collect();
            cpus.join(",")
        })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::ServerCpu;

    #[test]
    fn a_sample_survives_its_line() {
        let mut sample = ServerCpu::default();
        sample.process.user = Duration::from_micros(1_234);
        sample.process.system = Duration::from_micros(56);
        sample.threads.on_cpu = Duration::from_nanos(1_290_001);
        sample.threads.waiting = Duration::from_nanos(7);
        let back = ServerCpu::from_line(&sample.to_line()).expect("parses");
        assert_eq!(back.process, sample.process);
        assert_eq!(back.threads, sample.threads);
        assert!(ServerCpu::from_line("user_us=1").is_none());
    }
}
