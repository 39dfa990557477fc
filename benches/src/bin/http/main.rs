//! The HTTP comparison: one counter handler (read n from the session, write n + 1, reply
//! n + 1) behind ractor-session-axum, behind tower-sessions 0.15 with its `MemoryStore` —
//! with an unsigned cookie (its default) and a signed one (`with_signed`, HMAC-SHA256 like
//! this library's) — and in a hand-written ractor server (one actor per cookie in a
//! `DashMap`, no signing, no library: the floor). A load generator in which every virtual
//! client keeps its own session cookie drives each over loopback.
//!
//! ```text
//! cargo run --release -p ractor-session-benches --bin http -- [--quick] [--rounds N] [--seconds S]
//! ```
//!
//! The headline figure is the server's CPU time (user + system of the server process,
//! `getrusage`) per request served in the timed phase, against the floor's; then
//! requests/s against tower-sessions, lost updates, latency and where the CPU went. Every
//! figure is min / median / max over rounds; in each round every contender runs once
//! against a fresh server process, in an order that rotates and reverses from round to
//! round, so that the machine's noise falls on all of them alike. Ratios are taken round
//! by round (ours against the other's run of the same round), then summarised.
//!
//! Scenarios: 64 sessions on 64 connections and 10,000 sessions over 64 connections with
//! the server pinned to one core (`sched_setaffinity` on the server process before it
//! starts any thread); 8 sessions shared by 64 connections with the server on two workers,
//! unpinned. The load generator runs on its own OS thread, unpinned.
//!
//! The durable group (`--only durable`) runs the library's contender again over a SQLite
//! session store (write-behind), beside the in-memory one in the same rounds of the
//! one-core scenarios, and prints its CPU per request against the in-memory one. The
//! several-nodes group (`--only nodes`) points to the `cluster` binary, which measures
//! those figures on real `live_cart` processes.

mod counter;
mod floor;
mod load;
mod process;
mod servers;
mod tables;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use load::{Outcome, Scenario};
use process::ServerProcess;
use ractor_session_benches::allowed_cpus;
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

/// The HTTP comparison of ractor-session-axum with tower-sessions and a hand-written
/// actor-per-session server.
#[derive(Debug, Parser)]
#[command(name = "http")]
struct Args {
    /// Short run for CI: 3 rounds of 0.5 s per contender and scenario.
    #[arg(long)]
    quick: bool,
    /// Rounds per scenario [default: 5, or 3 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: Option<u32>,
    /// Timed seconds per round and contender [default: 2, or 0.5 with --quick].
    #[arg(long)]
    seconds: Option<f64>,
    /// Run only this server (repeatable): floor, tower, tower-signed, adapter,
    /// adapter-durable.
    #[arg(long = "server", value_parser = parse_server)]
    servers: Vec<Server>,
    /// Run only this scenario (repeatable): 1 (64 sessions), 2 (10,000 sessions), 3 (8
    /// sessions shared by 64 connections).
    #[arg(long = "scenario", value_parser = clap::value_parser!(u8).range(1..=3))]
    scenarios: Vec<u8>,
    /// Give every scenario run this many sessions (for a sweep over session counts).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    sessions: Option<u64>,
    /// Leave the one-core servers unpinned (they still run on one thread).
    #[arg(long)]
    no_pin: bool,
    /// Print only this group of figures (repeatable) [default: all].
    #[arg(long = "only", value_enum)]
    groups: Vec<Group>,
    #[command(subcommand)]
    internal: Option<Internal>,
}

/// A group of figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Group {
    /// Sessions in memory: the floor, tower-sessions and this library.
    InMemory,
    /// Durable sessions (SQLite): CPU per request with durability on against off.
    Durable,
    /// Several nodes: forwarded requests, three instances, recovery (measured by the
    /// `cluster` binary; this group says so).
    Nodes,
}

/// The server process (this binary re-executed).
#[derive(Debug, Subcommand)]
enum Internal {
    #[command(name = "__serve", hide = true)]
    Serve {
        server: String,
        workers: usize,
        sessions: usize,
        pin: Option<usize>,
    },
}

fn parse_server(key: &str) -> Result<Server, String> {
    Server::from_key(key).ok_or_else(|| {
        let keys: Vec<&str> = Server::ALL.iter().map(|s| s.key()).collect();
        format!("one of {}", keys.join(", "))
    })
}

/// One scenario's rounds: for each contender run, its outcome per round.
#[derive(Debug)]
pub(crate) struct Case {
    pub(crate) scenario: Scenario,
    /// The scenario's name, with its session count when `--sessions` changed it.
    pub(crate) label: String,
    /// The CPUs the server processes could run on (`Cpus_allowed_list`).
    pub(crate) cpus: String,
    pub(crate) runs: Vec<(Server, Vec<Outcome>)>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Internal::Serve {
        server,
        workers,
        sessions,
        pin,
    }) = args.internal
    {
        return match Server::from_key(&server) {
            Some(server) => process::serve(server, workers, sessions, pin),
            None => ExitCode::from(2),
        };
    }
    let groups = if args.groups.is_empty() {
        vec![Group::InMemory, Group::Durable, Group::Nodes]
    } else {
        args.groups.clone()
    };
    let (in_memory, durable) = (
        groups.contains(&Group::InMemory),
        groups.contains(&Group::Durable),
    );
    if in_memory || durable {
        let mut servers = args.servers.clone();
        if servers.is_empty() {
            if in_memory {
                servers.extend(Server::ALL);
            }
            if durable {
                for server in Server::DURABLE {
                    if !servers.contains(&server) {
                        servers.push(server);
                    }
                }
            }
        }
        let mut measured = match measure(&args, &servers) {
            Ok(measured) => measured,
            Err(error) => {
                eprintln!("[http] error: {error}");
                return ExitCode::FAILURE;
            }
        };
        if in_memory {
            tables::print_in_memory(&mut measured.cases, measured.rounds, measured.seconds);
        }
        if durable {
            tables::print_durable(&measured.cases);
        }
    }
    if groups.contains(&Group::Nodes) {
        tables::print_nodes();
    }
    ExitCode::SUCCESS
}

/// Every scenario's rounds, and how many rounds of how long.
struct Measured {
    cases: Vec<Case>,
    rounds: usize,
    seconds: f64,
}

/// Runs `servers` through the scenarios (the durable contender in the one-core ones only).
fn measure(args: &Args, servers: &[Server]) -> std::io::Result<Measured> {
    let rounds = args.rounds.unwrap_or(if args.quick { 3 } else { 5 }) as usize;
    let seconds = args.seconds.unwrap_or(if args.quick { 0.5 } else { 2.0 });
    // The one-core servers go on the last CPU this process may use; the load generator
    // and everything else keep the others.
    let pin_to = if args.no_pin {
        None
    } else {
        allowed_cpus().last().copied()
    };
    let mut cases = Vec::new();
    for (n, mut scenario) in SCENARIOS.into_iter().enumerate() {
        if !args.scenarios.is_empty() && !args.scenarios.contains(&(n as u8 + 1)) {
            continue;
        }
        let mut label = scenario.name.to_owned();
        if let Some(sessions) = args.sessions {
            scenario.sessions = sessions as usize;
            label = format!("{label} [run with {sessions} sessions]");
        }
        let pin = pin_to.filter(|_| scenario.server_workers == 1);
        let mut runs: Vec<(Server, Vec<Outcome>)> = servers
            .iter()
            .filter(|&&s| s != Server::AdapterDurable || scenario.server_workers == 1)
            .map(|&s| (s, Vec::new()))
            .collect();
        let mut cpus = String::new();
        for round in 0..rounds {
            for i in order(round, runs.len()) {
                let server = runs[i].0;
                eprintln!(
                    "[http] round {}/{rounds}: {}: {label} ({seconds} s)",
                    round + 1,
                    server.name()
                );
                let (outcome, allowed) = run(server, scenario, seconds, pin)?;
                cpus = allowed;
                runs[i].1.push(outcome);
            }
        }
        cases.push(Case {
            scenario,
            label,
            cpus,
            runs,
        });
    }
    Ok(Measured {
        cases,
        rounds,
        seconds,
    })
}

/// The contenders' order in round `round`: rotated by one each round, reversed every other
/// round, so that no contender always follows the same one.
fn order(round: usize, contenders: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..contenders).map(|i| (i + round) % contenders).collect();
    if round % 2 == 1 {
        order.reverse();
    }
    order
}

/// One round of `scenario` against a fresh `server` process; the outcome and the CPUs the
/// server could run on.
fn run(
    server: Server,
    scenario: Scenario,
    seconds: f64,
    pin: Option<usize>,
) -> std::io::Result<(Outcome, String)> {
    let mut process =
        ServerProcess::spawn(server, scenario.server_workers, scenario.sessions, pin)?;
    let addr = process.addr;
    let outcome = std::thread::scope(|scope| {
        let process = &mut process;
        std::thread::Builder::new()
            .name(load::THREAD_NAME.to_owned())
            .spawn_scoped(scope, move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("client runtime builds")
                    .block_on(load::drive(addr, scenario, seconds, || {
                        process.sample().expect("the server answers a sample")
                    }))
            })
            .expect("load generator starts")
            .join()
            .expect("load generator completes")
    });
    let cpus = process.cpus.clone();
    process.stop()?;
    Ok((outcome, cpus))
}

#[cfg(test)]
mod tests {
    use super::order;

    #[test]
    fn every_round_runs_every_contender_once_in_a_new_order() {
        let orders: Vec<Vec<usize>> = (0..4).map(|round| order(round, 4)).collect();
        for o in &orders {
            let mut sorted = o.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, [0, 1, 2, 3]);
        }
        assert!(orders.windows(2).all(|w| w[0] != w[1]), "{orders:?}");
    }
}
