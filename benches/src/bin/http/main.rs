//! The HTTP comparison: one counter handler (read n from the session, write n + 1, reply
//! n + 1) behind ractor-session-axum and behind tower-sessions 0.15 with its `MemoryStore`,
//! driven over loopback by a load generator in which every virtual client keeps its own
//! session cookie. Prints one markdown table: requests/s, p50 and p99 latency, and lost
//! updates (each session's final counter against the requests it made).
//!
//! ```text
//! cargo run --release -p ractor-session-benches --bin http -- [--quick] [--seconds N]
//! ```
//!
//! Scenarios: 64 sessions on 64 connections and 10,000 sessions over 64 connections, with
//! the server on one core (a current-thread runtime on its own OS thread); and 8 sessions
//! shared by 64 connections with the server on two workers. The load generator always runs
//! on its own OS thread with a current-thread runtime. `--quick` runs each case for one
//! second.
//!
//! With this library the handler sends the session actor one message that increments and
//! replies, so the read-modify-write is serialized by the actor; tower-sessions loads the
//! record, lets the handler change it and saves it back, with no per-session lock.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{COOKIE, SET_COOKIE};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::SessionManager;
use ractor_session_axum::{Session, SessionLayer, SessionRejection};
use ractor_session_benches::bench_config;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

// ---------------------------------------------------------------------------------------
// The servers

/// The session actor behind the adapter: a counter.
#[derive(Debug)]
struct Counter;

/// Messages of [`Counter`].
#[derive(Debug)]
enum CounterMsg {
    /// Reads n, writes n + 1, replies n + 1.
    Increment(RpcReplyPort<u64>),
    /// Replies n.
    Read(RpcReplyPort<u64>),
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<CounterMsg>, (): ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _: ActorRef<CounterMsg>,
        message: CounterMsg,
        n: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            CounterMsg::Increment(reply) => {
                *n += 1;
                let _ = reply.send(*n);
            }
            CounterMsg::Read(reply) => {
                let _ = reply.send(*n);
            }
        }
        Ok(())
    }
}

async fn adapter_count(session: Session<CounterMsg>) -> Result<String, SessionRejection> {
    Ok(session.call(CounterMsg::Increment).await?.to_string())
}

async fn adapter_read(session: Session<CounterMsg>) -> Result<String, SessionRejection> {
    Ok(session.call(CounterMsg::Read).await?.to_string())
}

async fn tower_count(session: tower_sessions::Session) -> Result<String, StatusCode> {
    let n: u64 = session
        .get("n")
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .unwrap_or(0);
    session
        .insert("n", n + 1)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok((n + 1).to_string())
}

async fn tower_read(session: tower_sessions::Session) -> Result<String, StatusCode> {
    let n: u64 = session
        .get("n")
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .unwrap_or(0);
    Ok(n.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Adapter,
    TowerSessions,
}

impl Server {
    fn name(self) -> &'static str {
        match self {
            Self::Adapter => "ractor-session-axum",
            Self::TowerSessions => "tower-sessions (MemoryStore)",
        }
    }

    /// The app, and the session manager to shut down afterwards (adapter only).
    async fn app(self, sessions: usize) -> (Router, Option<SessionManager>) {
        match self {
            Self::Adapter => {
                let manager = SessionManager::spawn(bench_config(sessions * 2))
                    .await
                    .expect("session manager starts");
                let layer = SessionLayer::builder(manager.clone())
                    .with_key_bytes([7u8; 64])
                    .with_secure(false)
                    .with_auto_start_with(|| (Counter, ()))
                    .build()
                    .expect("session layer builds");
                let app = Router::new()
                    .route("/count", get(adapter_count))
                    .route("/read", get(adapter_read))
                    .layer(layer);
                (app, Some(manager))
            }
            Self::TowerSessions => {
                let layer = tower_sessions::SessionManagerLayer::new(
                    tower_sessions::MemoryStore::default(),
                )
                .with_secure(false);
                let app = Router::new()
                    .route("/count", get(tower_count))
                    .route("/read", get(tower_read))
                    .layer(layer);
                (app, None)
            }
        }
    }
}

/// A server running on its own OS thread and runtime.
struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

fn start_server(server: Server, workers: usize, sessions: usize) -> Running {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = if workers == 1 {
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
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            addr_tx
                .send(listener.local_addr().expect("bound address"))
                .expect("address sent");
            let (app, manager) = server.app(sessions).await;
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
    });
    let addr = addr_rx.recv().expect("server reports its address");
    Running { addr, stop, thread }
}

// ---------------------------------------------------------------------------------------
// The load generator

#[derive(Debug, Clone, Copy)]
struct Scenario {
    name: &'static str,
    sessions: usize,
    connections: usize,
    server_workers: usize,
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        name: "64 sessions, 64 connections, server on 1 core",
        sessions: 64,
        connections: 64,
        server_workers: 1,
    },
    Scenario {
        name: "10,000 sessions, 64 connections, server on 1 core",
        sessions: 10_000,
        connections: 64,
        server_workers: 1,
    },
    Scenario {
        name: "8 sessions shared by 64 connections, server on 2 cores",
        sessions: 8,
        connections: 64,
        server_workers: 2,
    },
];

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
    cookies: Vec<Mutex<Option<String>>>,
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

    fn cookie(&self, s: usize) -> Option<String> {
        self.cookies[s].lock().expect("cookie lock").clone()
    }

    /// Keeps a `Set-Cookie` the way a browser would.
    fn remember(&self, s: usize, set_cookie: &str) {
        let pair = set_cookie.split(';').next().unwrap_or("").trim().to_owned();
        let mut cookie = self.cookies[s].lock().expect("cookie lock");
        if cookie.as_ref().is_some_and(|old| *old != pair) {
            self.cookie_changes.fetch_add(1, Ordering::Relaxed);
        }
        *cookie = Some(pair);
    }
}

async fn connect(addr: SocketAddr) -> SendRequest<Empty<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    sender
}

/// One request for session `s`; returns the body on success.
async fn request(
    sender: &mut SendRequest<Empty<Bytes>>,
    clients: &Clients,
    s: usize,
    path: &str,
) -> Option<String> {
    let mut builder = Request::get(path).header("host", "127.0.0.1");
    if let Some(cookie) = clients.cookie(s) {
        builder = builder.header(COOKIE, cookie);
    }
    let request = builder.body(Empty::new()).expect("request builds");
    sender.ready().await.ok()?;
    let response = match sender.send_request(request).await {
        Ok(response) => response,
        Err(_) => {
            clients.errors.fetch_add(1, Ordering::Relaxed);
            return None;
        }
    };
    for value in response.headers().get_all(SET_COOKIE) {
        if let Ok(value) = value.to_str() {
            clients.remember(s, value);
        }
    }
    let ok = response.status() == StatusCode::OK;
    let body = response.into_body().collect().await.ok()?.to_bytes();
    if !ok {
        clients.errors.fetch_add(1, Ordering::Relaxed);
        return None;
    }
    Some(String::from_utf8_lossy(&body).into_owned())
}

/// The figures of one scenario against one server.
#[derive(Debug)]
struct Outcome {
    requests_per_s: f64,
    p50_us: u32,
    p99_us: u32,
    requests: u64,
    lost: u64,
    excess: u64,
    errors: usize,
    cookie_changes: usize,
}

async fn drive(addr: SocketAddr, scenario: Scenario, seconds: f64) -> Outcome {
    let clients = Arc::new(Clients::new(scenario.sessions));

    // Set-up, untimed: every session gets its cookie with a first counted request.
    let setups: Vec<_> = (0..scenario.connections)
        .map(|c| {
            let clients = Arc::clone(&clients);
            tokio::spawn(async move {
                let mut sender = connect(addr).await;
                // Each session is opened by one connection: the one it maps to.
                for s in scenario.sessions_of(c) {
                    if s % scenario.connections == c
                        && request(&mut sender, &clients, s, "/count").await.is_some()
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

    // The timed phase.
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
                    if request(&mut sender, &clients, s, "/count").await.is_some() {
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
    let took = began.elapsed().as_secs_f64();

    // Each session's final counter against the requests made for it.
    let (mut lost, mut excess) = (0, 0);
    let connections = senders.len();
    for s in 0..scenario.sessions {
        let sender = &mut senders[s % connections];
        let made = clients.made[s].load(Ordering::Relaxed);
        let Some(body) = request(sender, &clients, s, "/read").await else {
            lost += made;
            continue;
        };
        let counted: u64 = body.trim().parse().unwrap_or(0);
        lost += made.saturating_sub(counted);
        excess += counted.saturating_sub(made);
    }
    drop(senders);

    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Outcome {
        requests_per_s: latencies.len() as f64 / took,
        p50_us: at(0.50),
        p99_us: at(0.99),
        requests: clients.made.iter().map(|m| m.load(Ordering::Relaxed)).sum(),
        lost,
        excess,
        errors: clients.errors.load(Ordering::Relaxed),
        cookie_changes: clients.cookie_changes.load(Ordering::Relaxed),
    }
}

fn run(server: Server, scenario: Scenario, seconds: f64) -> Outcome {
    eprintln!("[http] {}: {} ({seconds} s)", server.name(), scenario.name);
    let running = start_server(server, scenario.server_workers, scenario.sessions);
    let addr = running.addr;
    let outcome = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime builds")
            .block_on(drive(addr, scenario, seconds))
    })
    .join()
    .expect("load generator completes");
    let _ = running.stop.send(());
    running.thread.join().expect("server thread ends");
    outcome
}

fn main() -> ExitCode {
    let mut seconds = 10.0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => seconds = 1.0,
            "--seconds" => match args.next().and_then(|s| s.parse().ok()) {
                Some(s) => seconds = s,
                None => {
                    eprintln!("--seconds takes a number");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("usage: http [--quick] [--seconds N]");
                return ExitCode::from(2);
            }
        }
    }
    println!(
        "| scenario | server | requests/s | p50 | p99 | requests | lost updates | errors | vs tower-sessions | target | met |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (i, scenario) in SCENARIOS.into_iter().enumerate() {
        let tower = run(Server::TowerSessions, scenario, seconds);
        let ours = run(Server::Adapter, scenario, seconds);
        let ratio = ours.requests_per_s / tower.requests_per_s;
        let (target, met) = match i {
            0 => ("≥ 1.2× tower-sessions' requests/s", ratio >= 1.2),
            1 => ("≥ 1.0× tower-sessions' requests/s", ratio >= 1.0),
            _ => ("zero lost updates", ours.lost == 0 && ours.excess == 0),
        };
        for (server, o) in [(Server::TowerSessions, &tower), (Server::Adapter, &ours)] {
            let ours_row = server == Server::Adapter;
            let lost = if o.requests > 0 {
                format!(
                    "{} ({:.1}%)",
                    o.lost,
                    100.0 * o.lost as f64 / o.requests as f64
                )
            } else {
                "—".to_owned()
            };
            println!(
                "| {} | {} | {:.0} | {:.2} ms | {:.2} ms | {} | {lost}{} | {} | {} | {} | {} |",
                scenario.name,
                server.name(),
                o.requests_per_s,
                f64::from(o.p50_us) / 1e3,
                f64::from(o.p99_us) / 1e3,
                o.requests,
                if o.excess > 0 {
                    format!(", {} counted twice", o.excess)
                } else {
                    String::new()
                },
                o.errors + o.cookie_changes,
                if ours_row {
                    format!("{ratio:.2}×")
                } else {
                    "1.00×".to_owned()
                },
                if ours_row { target } else { "" },
                match (ours_row, met) {
                    (false, _) => "",
                    (true, true) => "yes",
                    (true, false) => "**no**",
                },
            );
        }
    }
    ExitCode::SUCCESS
}
