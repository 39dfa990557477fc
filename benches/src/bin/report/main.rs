//! Prints the performance figures (targets in docs/performance.md) as markdown tables, one per group: this library, raw
//! ractor and bare tokio side by side, every figure as min / median / max of its rounds
//! (the contenders interleaved round by round), the ratio of this library's cost to raw
//! ractor's taken round by round, the target and whether the median meets it.
//!
//! ```text
//! cargo run --release -p ractor-session-benches --bin report -- [--quick] [--rounds N] [--only GROUP]
//! ```
//!
//! Groups: `core` (creation, cleanup, lookups, call, cast, expiry), `memory` (memory per
//! idle session; a million idle sessions started, held and expired), `churn`, `durable`
//! (the SQLite store; restore on next use when built) and `passivation` (parked sessions'
//! memory, revival latency, the Zipf workload). `--quick` scales every count down for CI.
//!
//! Timeouts are derived from start phases measured in the same run, and a run that breaks
//! its own assumptions (a machine too slow for them) says so — "invalid run: …" — instead
//! of reporting errors of the library. The memory, hold, churn and Zipf phases each run in
//! a fresh process (this binary re-executed with a hidden subcommand), so that one phase's
//! heap does not hide another's growth. Progress goes to stderr; the tables to stdout.

mod child;
mod churn;
mod durable;
mod in_process;
mod memory;
mod passivation;
mod table;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use ractor_session_benches::store::StoreScale;

/// Counts for one run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub(crate) rounds: usize,
    pub(crate) lifecycle: usize,
    pub(crate) lookup_live: usize,
    pub(crate) lookups_per_thread: usize,
    pub(crate) calls: usize,
    pub(crate) casts: usize,
    pub(crate) expiry: usize,
    pub(crate) expiry_rounds: usize,
    pub(crate) memory_small: usize,
    pub(crate) memory_large: usize,
    pub(crate) memory_rounds: usize,
    pub(crate) churn: usize,
    pub(crate) churn_ttl: Duration,
    pub(crate) store: StoreScale,
    pub(crate) zipf_sessions: usize,
    pub(crate) zipf_requests: usize,
}

const FULL: Scale = Scale {
    rounds: 5,
    lifecycle: 100_000,
    lookup_live: 10_000,
    lookups_per_thread: 5_000_000,
    calls: 200_000,
    casts: 1_000_000,
    expiry: 100_000,
    expiry_rounds: 3,
    memory_small: 100_000,
    memory_large: 1_000_000,
    memory_rounds: 3,
    churn: 1_000_000,
    churn_ttl: Duration::from_secs(1),
    store: durable::store_scale(false),
    zipf_sessions: 1_000_000,
    zipf_requests: 2_000_000,
};

const QUICK: Scale = Scale {
    rounds: 3,
    lifecycle: 10_000,
    lookup_live: 1_000,
    lookups_per_thread: 500_000,
    calls: 20_000,
    casts: 100_000,
    expiry: 10_000,
    expiry_rounds: 3,
    memory_small: 10_000,
    memory_large: 50_000,
    memory_rounds: 3,
    churn: 50_000,
    churn_ttl: Duration::from_millis(200),
    store: durable::store_scale(true),
    zipf_sessions: 20_000,
    zipf_requests: 100_000,
};

/// The performance figures for this library, raw ractor and bare tokio.
#[derive(Debug, Parser)]
#[command(name = "report")]
struct Args {
    /// Small counts for CI (well under two minutes on two busy cores).
    #[arg(long)]
    quick: bool,
    /// Rounds of every figure [default: 5 in-process, 3 for expiry and memory; 3 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: Option<u32>,
    /// Print only this group of figures (repeatable) [default: all].
    #[arg(long = "only", value_enum)]
    groups: Vec<Group>,
    #[command(subcommand)]
    child: Option<Child>,
}

/// A group of figures, printed as a table of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Group {
    /// Creation, cleanup, lookups, call, cast, expiry.
    Core,
    /// Memory per idle session; a million idle sessions started, held and expired.
    Memory,
    /// A million sessions through start → call → expiry.
    Churn,
    /// The durable store (SQLite), and restore on next use.
    Durable,
    /// Parked sessions, revival, the Zipf workload.
    Passivation,
}

impl Group {
    const ALL: [Self; 5] = [
        Self::Core,
        Self::Memory,
        Self::Churn,
        Self::Durable,
        Self::Passivation,
    ];

    fn title(self) -> &'static str {
        match self {
            Self::Core => "Sessions in memory: lifecycle and messaging",
            Self::Memory => "Memory per idle session",
            Self::Churn => "Churn",
            Self::Durable => "Durable sessions",
            Self::Passivation => "Passivation",
        }
    }
}

/// The phases that run in a fresh process.
#[derive(Debug, Subcommand)]
enum Child {
    #[command(name = "__idle", hide = true)]
    Idle { contender: String, n: usize },
    #[command(name = "__hold", hide = true)]
    Hold { n: usize, ttl_ms: u64 },
    #[command(name = "__churn", hide = true)]
    Churn { n: usize, ttl_ms: u64 },
    #[command(name = "__zipf", hide = true)]
    Zipf {
        sessions: usize,
        requests: usize,
        max_active: Option<usize>,
    },
    #[command(name = "__parked", hide = true)]
    Parked { place: String, n: usize },
    #[command(name = "__revive", hide = true)]
    Revive { place: String, n: usize },
}

pub(crate) fn progress(message: &str) {
    eprintln!("[report] {message}");
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(phase) = args.child {
        child::finish(match phase {
            Child::Idle { contender, n } => memory::idle_child(&contender, n),
            Child::Hold { n, ttl_ms } => memory::hold_child(n, Duration::from_millis(ttl_ms)),
            Child::Churn { n, ttl_ms } => churn::churn_child(n, Duration::from_millis(ttl_ms)),
            Child::Zipf {
                sessions,
                requests,
                max_active,
            } => passivation::zipf_child(sessions, requests, max_active),
            Child::Parked { place, n } => passivation::parked_child(&place, n),
            Child::Revive { place, n } => passivation::revive_child(&place, n),
        });
        return ExitCode::SUCCESS;
    }
    let mut scale = if args.quick { QUICK } else { FULL };
    if let Some(rounds) = args.rounds {
        let rounds = rounds as usize;
        scale.rounds = rounds;
        scale.expiry_rounds = rounds;
        scale.memory_rounds = rounds;
    }
    let groups = if args.groups.is_empty() {
        Group::ALL.to_vec()
    } else {
        args.groups
    };
    let began = Instant::now();
    progress(if args.quick { "quick run" } else { "full run" });
    for group in groups {
        let rows = match group {
            Group::Core => in_process::rows(&scale),
            Group::Memory => memory::rows(&scale),
            Group::Churn => vec![churn::row(&scale)],
            Group::Durable => durable::rows(&scale),
            Group::Passivation => passivation::rows(&scale),
        };
        table::print_table(group.title(), &rows);
    }
    progress(&format!("done in {:.1} s", began.elapsed().as_secs_f64()));
    ExitCode::SUCCESS
}
