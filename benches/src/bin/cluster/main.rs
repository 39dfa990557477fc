//! Several nodes: three real `live_cart` processes joined into one cluster over a
//! PostgreSQL store of this run's own, driven over HTTP on loopback.
//!
//! ```text
//! cargo build --release -p ractor-session-examples --features cluster,postgres --bin live_cart
//! cargo run --release -p ractor-session-benches --bin cluster -- [--quick] [--rounds N] [--bin-path P]
//! ```
//!
//! This package stays in the default build (no `cluster` feature): it runs the demo's
//! release binary, found beside this one (the same target directory), in
//! `$CARGO_TARGET_DIR/release`, or at `--bin-path`.
//!
//! Figures, in one run (progress on stderr, markdown tables on stdout):
//! 1. CPU per forwarded request against a local one ([`forwarding`]);
//! 2. requests/s of three nodes with requests spread at random, beside one node alone
//!    ([`throughput`]);
//! 3. the time to recover the sessions of a node killed with `kill -9` ([`recovery`]).

mod forwarding;
mod nodes;
mod postgres;
mod recovery;
mod tables;
mod throughput;
mod visitors;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ractor_session_benches::{RunError, on_runtime, runtime};

use crate::nodes::{Node, NodeSpec};
use crate::postgres::{Postgres, free_port};

/// Requests under way at once, in every phase.
const CONCURRENCY: usize = 64;

/// Several nodes: CPU per forwarded request, throughput of three nodes, recovery from a
/// killed node.
#[derive(Debug, Parser)]
#[command(name = "cluster")]
struct Args {
    /// Short run for CI: 3 rounds, fewer requests and sessions.
    #[arg(long)]
    quick: bool,
    /// Rounds of the forwarding and throughput figures [default: 5, or 3 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: Option<u32>,
    /// The live_cart binary built with the cluster features [default: beside this
    /// binary, else in $CARGO_TARGET_DIR/release].
    #[arg(long)]
    bin_path: Option<PathBuf>,
}

/// How much of everything a run does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub(crate) rounds: usize,
    /// Sessions born on a, and requests per run, of the forwarding figure.
    pub(crate) forwarded_sessions: usize,
    pub(crate) forwarded_requests: usize,
    /// Sessions, and seconds per run, of the throughput figure.
    pub(crate) spread_sessions: usize,
    pub(crate) spread_seconds: f64,
    /// Sessions of the killed node.
    pub(crate) recovered_sessions: usize,
}

impl Sizes {
    fn of(args: &Args) -> Self {
        let sizes = if args.quick {
            Self {
                rounds: 3,
                forwarded_sessions: 64,
                forwarded_requests: 2_000,
                spread_sessions: 200,
                spread_seconds: 0.5,
                recovered_sessions: 100,
            }
        } else {
            Self {
                rounds: 5,
                forwarded_sessions: 256,
                forwarded_requests: 20_000,
                spread_sessions: 1_000,
                spread_seconds: 3.0,
                recovered_sessions: 1_000,
            }
        };
        Self {
            rounds: args.rounds.map_or(sizes.rounds, |r| r as usize),
            ..sizes
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let bin = match nodes::find_binary(args.bin_path.as_deref()) {
        Ok(bin) => bin,
        Err(error) => {
            eprintln!("[cluster] error: {error}");
            return ExitCode::from(2);
        }
    };
    let sizes = Sizes::of(&args);
    let load_before = load_average();
    let store = match Postgres::start() {
        Ok(store) => store,
        Err(error) => {
            eprintln!("[cluster] error: the store: {error}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "[cluster] store on {}; nodes run {}",
        store.url(),
        bin.display()
    );
    let rt = runtime();
    let figures = on_runtime(&rt, measure(bin, store.url(), sizes));
    drop(store);
    match figures {
        Ok(figures) => {
            tables::print(&figures, sizes, &load_before, &load_average());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("[cluster] {error}");
            println!("{error}");
            ExitCode::FAILURE
        }
    }
}

/// Everything measured.
#[derive(Debug)]
pub(crate) struct Figures {
    pub(crate) forwarding: forwarding::Forwarding,
    pub(crate) throughput: throughput::Throughput,
    pub(crate) recovery: recovery::Recovery,
}

async fn measure(bin: PathBuf, store: String, sizes: Sizes) -> Result<Figures, RunError> {
    let failed = |e: String| RunError::Failed(e);
    let names = ["a", "b", "c"];
    let ports: Vec<u16> = names
        .iter()
        .map(|_| free_port())
        .collect::<Result<_, _>>()
        .map_err(failed)?;
    let specs: Vec<NodeSpec> = names
        .iter()
        .zip(&ports)
        .map(|(name, &port)| NodeSpec {
            name: (*name).to_owned(),
            cluster_port: port,
            peers: ports.iter().copied().filter(|&p| p != port).collect(),
        })
        .collect();
    let mut nodes = Node::start_all(&bin, &specs, &store).map_err(failed)?;
    let http = reqwest::Client::new();
    nodes::wait_for_cluster(&nodes, &http)
        .await
        .map_err(failed)?;
    eprintln!("[cluster] nodes a, b and c have joined");

    let forwarding = forwarding::measure(
        &nodes,
        &http,
        sizes.rounds,
        sizes.forwarded_sessions,
        sizes.forwarded_requests,
        CONCURRENCY,
    )
    .await?;

    // One node alone beside the cluster, on the same store, for scale.
    let alone = [NodeSpec {
        name: "alone".to_owned(),
        cluster_port: free_port().map_err(failed)?,
        peers: Vec::new(),
    }];
    let alone = Node::start_all(&bin, &alone, &store).map_err(failed)?;
    let throughput = throughput::measure(
        &nodes,
        &alone,
        sizes.rounds,
        sizes.spread_sessions,
        sizes.spread_seconds,
        CONCURRENCY,
    )
    .await?;
    drop(alone);

    let recovery =
        recovery::measure(&mut nodes, &http, sizes.recovered_sessions, CONCURRENCY).await?;
    Ok(Figures {
        forwarding,
        throughput,
        recovery,
    })
}

/// `/proc/loadavg`'s three averages, or "unknown".
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "unknown".to_owned())
}
