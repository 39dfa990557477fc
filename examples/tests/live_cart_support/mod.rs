//! Runs the real `live_cart` binary on a free loopback port for the demo's tests.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long to wait for something that should happen promptly.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A running demo; killed when dropped.
pub struct Demo {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
}

impl Demo {
    /// Starts `live_cart --port 0 --dev` with `args` and waits for its address.
    pub fn start(args: &[&str]) -> Self {
        let mut all = vec!["--dev"];
        all.extend_from_slice(args);
        Self::spawn(&all, &[])
    }

    /// Starts `live_cart --port 0` with `args` and `env` and waits for its address.
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_live_cart"))
            .args(["--port", "0"])
            .args(args)
            .env_remove("LIVE_CART_KEY")
            .env_remove("LIVE_CART_DEV")
            .env_remove("LIVE_CART_IDLE_TTL")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the live_cart binary starts");
        let mut demo = Self {
            child,
            url: String::new(),
        };
        let stdout = demo.child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        // Keep draining stdout so the demo never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("live_cart listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        // On failure `demo` drops here, which kills the child.
        demo.url = rx
            .recv_timeout(PATIENCE)
            .expect("live_cart printed its address");
        demo
    }

    /// Sends SIGTERM and waits for the demo to exit; returns whether it exited cleanly.
    #[cfg(unix)]
    pub fn terminate(&mut self) -> bool {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("`kill` runs");
        assert!(sent.success(), "SIGTERM could not be sent");
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("the demo's status") {
                return status.success();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the demo did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The demo's resident memory, from `/proc` (Linux), in bytes.
    #[cfg(target_os = "linux")]
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the demo's /proc status");
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|n| n.trim().parse().ok())
            .expect("VmRSS in the status");
        kib * 1024
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.url.replacen("http://", "ws://", 1))
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
