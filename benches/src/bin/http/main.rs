//! The HTTP comparison: one counter handler (read n from the session, write n + 1, reply
//! n + 1) behind ractor-session-axum and behind tower-sessions 0.15 with its `MemoryStore`
//! — with an unsigned cookie (its default) and with a signed one (`with_signed`, HMAC-SHA256
//! like this library's) — driven over loopback by a load generator in which every virtual
//! client keeps its own session cookie. Prints two markdown tables: requests/s, p50 and p99
//! latency and lost updates (each session's final counter against the requests it made);
//! then where the CPU went: the server's CPU time per request (and the ratio of requests
//! per CPU-second, which a shared machine's scheduling does not distort), how busy the
//! server and the load generator were, and how long they waited for a core.
//!
//! ```text
//! cargo run --release -p ractor-session-benches --bin http -- [--quick] [--seconds N]
//! ```
//!
//! Scenarios: 64 sessions on 64 connections and 10,000 sessions over 64 connections, with
//! the server on one core (a current-thread runtime on its own OS thread); and 8 sessions
//! shared by 64 connections with the server on two workers. The load generator always runs
//! on its own OS thread with a current-thread runtime. Each case runs in two rounds of half
//! the time, the contenders in the order A B C, then C B A, each against a fresh server, so
//! that a drift in the machine's load falls on all of them alike. `--quick` runs each case
//! for one second. `--server adapter|tower|tower-signed` and `--scenario 1|2|3` run one
//! contender (in one round) or one scenario alone, for profiling; `--sessions N` changes the number of
//! sessions of the scenarios run (for a sweep over session counts).

mod cpu;
mod load;
mod servers;

use std::process::ExitCode;
use std::time::Duration;

use load::{Outcome, Scenario};
use servers::Server;

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

/// Rounds per case; the order of the contenders alternates between rounds.
const ROUNDS: usize = 2;

fn run(server: Server, scenario: Scenario, seconds: f64) -> Outcome {
    eprintln!("[http] {}: {} ({seconds} s)", server.name(), scenario.name);
    let running = servers::start(server, scenario.server_workers, scenario.sessions);
    let addr = running.addr;
    let outcome = std::thread::Builder::new()
        .name(load::THREAD_NAME.to_owned())
        .spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("client runtime builds")
                .block_on(load::drive(addr, scenario, seconds))
        })
        .expect("load generator starts")
        .join()
        .expect("load generator completes");
    running.stop();
    outcome
}

fn percent(part: Duration, whole: Duration) -> String {
    format!("{:.0}%", 100.0 * part.as_secs_f64() / whole.as_secs_f64())
}

fn main() -> ExitCode {
    let mut seconds = 10.0;
    let mut only_server: Option<Server> = None;
    let mut only_scenario: Option<usize> = None;
    let mut sessions: Option<usize> = None;
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
            "--server" => match args.next().as_deref() {
                Some("adapter") => only_server = Some(Server::Adapter),
                Some("tower") => only_server = Some(Server::Tower { signed: false }),
                Some("tower-signed") => only_server = Some(Server::Tower { signed: true }),
                _ => {
                    eprintln!("--server takes adapter, tower or tower-signed");
                    return ExitCode::from(2);
                }
            },
            "--sessions" => match args.next().and_then(|s| s.parse::<usize>().ok()) {
                Some(n) if n > 0 => sessions = Some(n),
                _ => {
                    eprintln!("--sessions takes a positive number");
                    return ExitCode::from(2);
                }
            },
            "--scenario" => match args.next().and_then(|s| s.parse::<usize>().ok()) {
                Some(n @ 1..=3) => only_scenario = Some(n - 1),
                _ => {
                    eprintln!("--scenario takes 1, 2 or 3");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!(
                    "usage: http [--quick] [--seconds N] [--server adapter|tower|tower-signed] [--scenario 1|2|3] [--sessions N]"
                );
                return ExitCode::from(2);
            }
        }
    }

    let mut results = Vec::new();
    for (n, mut scenario) in SCENARIOS.into_iter().enumerate() {
        if only_scenario.is_some_and(|only| only != n) {
            continue;
        }
        if let Some(sessions) = sessions {
            scenario.sessions = sessions;
        }
        let mut outcomes: Vec<Outcome> = Server::ALL.iter().map(|_| Outcome::default()).collect();
        // One contender alone (profiling) runs in one round.
        let rounds = if only_server.is_some() { 1 } else { ROUNDS };
        for round in 0..rounds {
            let order: Vec<usize> = if round % 2 == 0 {
                (0..Server::ALL.len()).collect()
            } else {
                (0..Server::ALL.len()).rev().collect()
            };
            for i in order {
                if only_server.is_some_and(|only| only != Server::ALL[i]) {
                    continue;
                }
                let outcome = run(Server::ALL[i], scenario, seconds / rounds as f64);
                outcomes[i].merge(outcome);
            }
        }
        results.push((n, scenario, outcomes));
    }

    println!(
        "| scenario | server | requests/s | p50 | p99 | requests | lost updates | errors | vs tower-sessions signed | vs tower-sessions unsigned | target | met (vs signed / unsigned) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (i, scenario, outcomes) in &mut results {
        let rate = |s: Server| {
            let at = Server::ALL
                .iter()
                .position(|&x| x == s)
                .expect("a contender");
            outcomes[at].requests_per_s()
        };
        let ours = rate(Server::Adapter);
        let vs_signed = ours / rate(Server::Tower { signed: true });
        let vs_unsigned = ours / rate(Server::Tower { signed: false });
        let (target, met) = match *i {
            0 => (
                "≥ 1.2× tower-sessions' requests/s",
                format!(
                    "{} / {}",
                    yes_no(vs_signed >= 1.2),
                    yes_no(vs_unsigned >= 1.2)
                ),
            ),
            1 => (
                "≥ 1.0× tower-sessions' requests/s",
                format!(
                    "{} / {}",
                    yes_no(vs_signed >= 1.0),
                    yes_no(vs_unsigned >= 1.0)
                ),
            ),
            _ => {
                let ours = &outcomes[Server::ALL.len() - 1];
                (
                    "zero lost updates",
                    yes_no(ours.lost == 0 && ours.excess == 0).to_owned(),
                )
            }
        };
        for (server, o) in Server::ALL.iter().zip(outcomes.iter_mut()) {
            let ours_row = *server == Server::Adapter;
            let lost = if o.requests > 0 {
                format!(
                    "{} ({:.2}%)",
                    o.lost,
                    100.0 * o.lost as f64 / o.requests as f64
                )
            } else {
                "—".to_owned()
            };
            let excess = if o.excess > 0 {
                format!(", {} counted twice", o.excess)
            } else {
                String::new()
            };
            let (p50, p99) = (o.latency_us(0.50), o.latency_us(0.99));
            let ratio = |r: f64| {
                if ours_row {
                    format!("{r:.2}×")
                } else {
                    String::new()
                }
            };
            println!(
                "| {} | {} | {:.0} | {:.2} ms | {:.2} ms | {} | {lost}{excess} | {} | {} | {} | {} | {} |",
                label(scenario, sessions.is_some()),
                server.name(),
                o.requests_per_s(),
                f64::from(p50) / 1e3,
                f64::from(p99) / 1e3,
                o.requests,
                o.errors + o.cookie_changes,
                ratio(vs_signed),
                ratio(vs_unsigned),
                if ours_row { target } else { "" },
                if ours_row { met.as_str() } else { "" },
            );
        }
    }

    println!();
    println!(
        "| scenario | server | server CPU per request | vs tower-sessions signed | vs tower-sessions unsigned | server busy (of one core) | server waiting for a core | load generator busy | load generator waiting for a core |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (_, scenario, outcomes) in &results {
        let cpu = |s: Server| {
            let at = Server::ALL
                .iter()
                .position(|&x| x == s)
                .expect("a contender");
            outcomes[at].server_cpu_per_request().as_secs_f64()
        };
        for (server, o) in Server::ALL.iter().zip(outcomes) {
            let ours = cpu(Server::Adapter);
            // Requests per CPU-second, ours against theirs: immune to how long the server
            // waited for a core on a shared machine.
            let ratio = |theirs: Server| {
                if *server == Server::Adapter {
                    format!("{:.2}×", cpu(theirs) / ours)
                } else {
                    String::new()
                }
            };
            println!(
                "| {} | {} | {:.1} µs | {} | {} | {} | {} | {} | {} |",
                label(scenario, sessions.is_some()),
                server.name(),
                o.server_cpu_per_request().as_secs_f64() * 1e6,
                ratio(Server::Tower { signed: true }),
                ratio(Server::Tower { signed: false }),
                percent(o.server_cpu.on_cpu, o.took),
                percent(o.server_cpu.waiting, o.took),
                percent(o.load_cpu.on_cpu, o.took),
                percent(o.load_cpu.waiting, o.took),
            );
        }
    }
    ExitCode::SUCCESS
}

/// The scenario's name, with its session count when `--sessions` changed it.
fn label(scenario: &Scenario, overridden: bool) -> String {
    if overridden {
        format!(
            "{} [run with {} sessions]",
            scenario.name, scenario.sessions
        )
    } else {
        scenario.name.to_owned()
    }
}

fn yes_no(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}
