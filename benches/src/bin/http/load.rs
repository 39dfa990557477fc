//! The load generator: keep-alive HTTP/1.1 connections on loopback, each sending one
//! request at a time for a fixed time; every virtual client (session) keeps its own cookie,
//! as a browser does. Afterwards each session's counter is read and compared with the
//! number of successful requests made for it.
//!
//! Each connection is one task that writes its request and parses the response with
//! `httparse` straight from the socket: a full HTTP client (hyper's, one task and a
//! channel per connection) cost the load generator about as much CPU per request as the
//! servers under test, so on 2 cores it would have capped the figures of the faster server.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use ractor_session_benches::ThreadTimes;

use crate::process::ServerCpu;

/// Name of the load generator's thread, for the CPU accounting.
pub(crate) const THREAD_NAME: &str = "http-load";

/// What is measured: sessions, connections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    pub(crate) sessions: usize,
    pub(crate) connections: usize,
    pub(crate) server_workers: usize,
}

impl Scenario {
    /// The sessions connection `c` sends requests for, in turn.
    fn sessions_of(self, c: usize) -> Vec<usize> {
        if self.sessions >= self.connections {
            (c..self.sessions).step_by(self.connections).collect()
        } else {
            vec![c % self.sessions]
        }
    }
}

/// What the clients share: each session's cookie, and the requests made for it.
struct Clients {
    /// The `name=value` pair to send back in a `Cookie` header.
    cookies: Vec<Mutex<Option<Vec<u8>>>>,
    made: Vec<AtomicU64>,
    errors: AtomicUsize,
    cookie_changes: AtomicUsize,
}

impl Clients {
    fn new(sessions: usize) -> Self {
        Self {
            cookies: (0..sessions).map(|_| Mutex::new(None)).collect(),
            made: (0..sessions).map(|_| AtomicU64::new(0)).collect(),
            errors: AtomicUsize::new(0),
            cookie_changes: AtomicUsize::new(0),
        }
    }

    /// Keeps a `Set-Cookie` the way a browser would.
    fn remember(&self, s: usize, set_cookie: &[u8]) {
        let pair = set_cookie
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        let mut cookie = self.cookies[s].lock().expect("cookie lock");
        if cookie.as_deref() != Some(pair) {
            if cookie.is_some() {
                self.cookie_changes.fetch_add(1, Ordering::Relaxed);
            }
            *cookie = Some(pair.to_vec());
        }
    }
}

/// One keep-alive connection and its buffers.
struct Connection {
    stream: TcpStream,
    out: Vec<u8>,
    buf: Vec<u8>,
}

/// Why a request failed.
#[derive(Debug)]
enum Failed {
    /// The server answered, with another status than 200.
    Status,
    /// The connection broke or the response could not be parsed.
    Broken,
}

impl Connection {
    async fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Self {
            stream,
            out: Vec::with_capacity(256),
            buf: Vec::with_capacity(4096),
        }
    }

    /// One `GET path` for session `s`; returns the body on success.
    async fn request(&mut self, clients: &Clients, s: usize, path: &str) -> Option<Vec<u8>> {
        match self.exchange(clients, s, path).await {
            Ok(body) => Some(body),
            Err(_) => {
                clients.errors.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    async fn exchange(
        &mut self,
        clients: &Clients,
        s: usize,
        path: &str,
    ) -> Result<Vec<u8>, Failed> {
        self.out.clear();
        self.out.extend_from_slice(b"GET ");
        self.out.extend_from_slice(path.as_bytes());
        self.out
            .extend_from_slice(b" HTTP/1.1\r\nhost: 127.0.0.1\r\n");
        if let Some(cookie) = clients.cookies[s].lock().expect("cookie lock").as_deref() {
            self.out.extend_from_slice(b"cookie: ");
            self.out.extend_from_slice(cookie);
            self.out.extend_from_slice(b"\r\n");
        }
        self.out.extend_from_slice(b"\r\n");
        self.stream
            .write_all(&self.out)
            .await
            .map_err(|_| Failed::Broken)?;

        // The head, then as much body as it announces.
        self.buf.clear();
        let (head_len, status, body_len) = loop {
            if self
                .stream
                .read_buf(&mut self.buf)
                .await
                .map_err(|_| Failed::Broken)?
                == 0
            {
                return Err(Failed::Broken);
            }
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&self.buf) {
                Ok(httparse::Status::Complete(head_len)) => {
                    let mut body_len = None;
                    for header in response.headers.iter() {
                        if header.name.eq_ignore_ascii_case("set-cookie") {
                            clients.remember(s, header.value);
                        } else if header.name.eq_ignore_ascii_case("content-length") {
                            body_len = std::str::from_utf8(header.value)
                                .ok()
                                .and_then(|v| v.trim().parse::<usize>().ok());
                        }
                    }
                    let body_len = body_len.ok_or(Failed::Broken)?;
                    break (head_len, response.code, body_len);
                }
                Ok(httparse::Status::Partial) => {}
                Err(_) => return Err(Failed::Broken),
            }
        };
        while self.buf.len() < head_len + body_len {
            if self
                .stream
                .read_buf(&mut self.buf)
                .await
                .map_err(|_| Failed::Broken)?
                == 0
            {
                return Err(Failed::Broken);
            }
        }
        if self.buf.len() > head_len + body_len {
            // One request at a time: the server can't have sent more.
            return Err(Failed::Broken);
        }
        if status != Some(200) {
            return Err(Failed::Status);
        }
        Ok(self.buf[head_len..].to_vec())
    }
}

/// The figures of one round of one scenario against one server.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Latency of every successful timed request, in microseconds.
    pub(crate) latencies_us: Vec<u32>,
    /// Length of the timed phase.
    pub(crate) took: Duration,
    /// Successful requests, set-up included (what the counters must add up to).
    pub(crate) requests: u64,
    pub(crate) lost: u64,
    pub(crate) excess: u64,
    pub(crate) errors: usize,
    pub(crate) cookie_changes: usize,
    /// What the server process spent during the timed phase.
    pub(crate) server: ServerCpu,
    /// CPU of the load generator's thread during the timed phase.
    pub(crate) load: ThreadTimes,
}

impl Outcome {
    /// Requests served in the timed phase.
    pub(crate) fn timed_requests(&self) -> usize {
        self.latencies_us.len()
    }

    /// Timed requests per second.
    pub(crate) fn requests_per_s(&self) -> f64 {
        self.timed_requests() as f64 / self.took.as_secs_f64()
    }

    /// The server process's user + system time per request served in the timed phase, in
    /// seconds; not a number when none was served.
    pub(crate) fn server_cpu_per_request(&self) -> f64 {
        match self.timed_requests() {
            0 => f64::NAN,
            n => self.server.process.total().as_secs_f64() / n as f64,
        }
    }

    /// The `q` quantile of the latencies, in seconds (sorts them); not a number when there
    /// are none.
    pub(crate) fn latency(&mut self, q: f64) -> f64 {
        self.latencies_us.sort_unstable();
        let n = self.latencies_us.len();
        if n == 0 {
            return f64::NAN;
        }
        f64::from(self.latencies_us[((n as f64 * q) as usize).min(n - 1)]) / 1e6
    }

    /// A share of the timed phase (for "busy" and "waiting" columns).
    pub(crate) fn share(&self, part: Duration) -> f64 {
        part.as_secs_f64() / self.took.as_secs_f64()
    }
}

/// Drives the server at `addr` through `scenario` for `seconds`; runs on the load
/// generator's thread. `server_cpu` samples the server's CPU times at the start and the
/// end of the timed phase.
pub(crate) async fn drive(
    addr: SocketAddr,
    scenario: Scenario,
    seconds: f64,
    mut server_cpu: impl FnMut() -> ServerCpu,
) -> Outcome {
    let clients = Arc::new(Clients::new(scenario.sessions));

    // Set-up, untimed: every session gets its cookie with a first counted request.
    let setups: Vec<_> = (0..scenario.connections)
        .map(|c| {
            let clients = Arc::clone(&clients);
            tokio::spawn(async move {
                let mut sender = Connection::open(addr).await;
                // Each session is opened by one connection: the one it maps to.
                for s in scenario.sessions_of(c) {
                    if s % scenario.connections == c
                        && sender.request(&clients, s, "/count").await.is_some()
                    {
                        clients.made[s].fetch_add(1, Ordering::Relaxed);
                    }
                }
                sender
            })
        })
        .collect();
    let mut senders = Vec::new();
    for setup in setups {
        senders.push(setup.await.expect("set-up completes"));
    }

    // The timed phase. The markers on stderr let a profiler count only this phase.
    eprintln!("[http] timed phase begins");
    let server_before = server_cpu();
    let load_before = ThreadTimes::of_threads(THREAD_NAME);
    let began = Instant::now();
    let until = began + Duration::from_secs_f64(seconds);
    let loops: Vec<_> = senders
        .into_iter()
        .enumerate()
        .map(|(c, mut sender)| {
            let clients = Arc::clone(&clients);
            tokio::spawn(async move {
                let mine = scenario.sessions_of(c);
                let mut latencies = Vec::with_capacity(1 << 16);
                let mut i = 0;
                while Instant::now() < until {
                    let s = mine[i % mine.len()];
                    i += 1;
                    let sent = Instant::now();
                    if sender.request(&clients, s, "/count").await.is_some() {
                        clients.made[s].fetch_add(1, Ordering::Relaxed);
                        latencies.push(sent.elapsed().as_micros() as u32);
                    }
                }
                (sender, latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut senders = Vec::new();
    for handle in loops {
        let (sender, mine) = handle.await.expect("load loop completes");
        latencies.extend(mine);
        senders.push(sender);
    }
    let took = began.elapsed();
    eprintln!(
        "[http] timed phase ends: {} requests in {:.2} s",
        latencies.len(),
        took.as_secs_f64()
    );
    let server = server_cpu().since(server_before);
    let load = ThreadTimes::of_threads(THREAD_NAME).since(load_before);

    // Each session's final counter against the requests made for it.
    let (mut lost, mut excess) = (0, 0);
    let connections = senders.len();
    for s in 0..scenario.sessions {
        let sender = &mut senders[s % connections];
        let made = clients.made[s].load(Ordering::Relaxed);
        let Some(body) = sender.request(&clients, s, "/read").await else {
            lost += made;
            continue;
        };
        let counted: u64 = std::str::from_utf8(&body)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0);
        lost += made.saturating_sub(counted);
        excess += counted.saturating_sub(made);
    }
    drop(senders);

    Outcome {
        latencies_us: latencies,
        took,
        requests: clients.made.iter().map(|m| m.load(Ordering::Relaxed)).sum(),
        lost,
        excess,
        errors: clients.errors.load(Ordering::Relaxed),
        cookie_changes: clients.cookie_changes.load(Ordering::Relaxed),
        server,
        load,
    }
}
