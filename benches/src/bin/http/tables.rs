//! The markdown tables the `http` binary prints, ready for docs/performance.md.

use ractor_session_benches::{Spread, show_or_dash as show, thousands};

use crate::Case;
use crate::load::Outcome;
use crate::servers::Server;

const OURS: Server = Server::Adapter;
const TOWER: Server = Server::Tower { signed: false };
const TOWER_SIGNED: Server = Server::Tower { signed: true };

impl Case {
    fn rounds(&self, server: Server) -> Option<&[Outcome]> {
        self.runs
            .iter()
            .find(|(s, _)| *s == server)
            .map(|(_, rounds)| rounds.as_slice())
    }

    /// `f` of `server`'s rounds.
    fn spread(&self, server: Server, f: impl Fn(&Outcome) -> f64) -> Option<Spread> {
        let values: Vec<f64> = self.rounds(server)?.iter().map(f).collect();
        Spread::of(&values)
    }

    /// `f(a's round) / f(b's round)`, round by round (both ran in the same round).
    fn paired(&self, a: Server, b: Server, f: impl Fn(&Outcome) -> f64) -> Option<Spread> {
        let (a, b) = (self.rounds(a)?, self.rounds(b)?);
        let ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| f(a) / f(b)).collect();
        Spread::of(&ratios)
    }

    fn is_one_core(&self) -> bool {
        self.scenario.server_workers == 1
    }
}

fn ratio(spread: Option<Spread>) -> String {
    spread.map_or_else(|| "—".to_owned(), |s| s.ratio())
}

/// "yes" / "**no**" on the median, "—" when not measured.
fn met(spread: Option<Spread>, ok: impl Fn(f64) -> bool) -> &'static str {
    match spread {
        Some(s) if ok(s.median) => "yes",
        Some(_) => "**no**",
        None => "—",
    }
}

/// Every table of the in-memory group.
pub(crate) fn print_in_memory(cases: &mut [Case], rounds: usize, seconds: f64) {
    println!(
        "All figures: min / median / max over {rounds} rounds of {seconds} s per contender; ratios taken round by round. \
         Server CPU = user + system time of the server process (getrusage) in the timed phase ÷ requests served in it."
    );
    println!();
    headline(cases);
    requests(cases);
    every_contender(cases);
    where_the_time_went(cases);
}

fn headline(cases: &[Case]) {
    println!("### Server CPU per request against the hand-written floor (headline)");
    println!();
    println!(
        "| scenario | server pinned to CPU | {} | {} | library ÷ floor | target | met (median) |",
        Server::Floor.name(),
        OURS.name()
    );
    println!("|---|---|---|---|---|---|---|");
    for case in cases {
        let cpu = |s| case.spread(s, Outcome::server_cpu_per_request);
        let vs_floor = case.paired(OURS, Server::Floor, Outcome::server_cpu_per_request);
        let (target, verdict) = if case.is_one_core() {
            ("≤ 1.15×", met(vs_floor, |r| r <= 1.15))
        } else {
            ("—", "—")
        };
        println!(
            "| {} | {} | {} | {} | {} | {target} | {verdict} |",
            case.label,
            if case.is_one_core() {
                case.cpus.as_str()
            } else {
                "not pinned"
            },
            show(cpu(Server::Floor), 1e6, 2, "µs"),
            show(cpu(OURS), 1e6, 2, "µs"),
            ratio(vs_floor),
        );
    }
    println!();
}

fn requests(cases: &[Case]) {
    println!("### Requests/s, this library against tower-sessions and the floor");
    println!();
    println!(
        "| scenario | library ÷ tower-sessions signed | library ÷ tower-sessions unsigned | library ÷ floor | target | met (median: signed / unsigned) |"
    );
    println!("|---|---|---|---|---|---|");
    for case in cases {
        let rate = |other| case.paired(OURS, other, Outcome::requests_per_s);
        let (signed, unsigned) = (rate(TOWER_SIGNED), rate(TOWER));
        let (target, verdict) = match (case.is_one_core(), case.scenario.sessions) {
            (true, 64) => (
                "≥ 1.2× tower-sessions",
                format!(
                    "{} / {}",
                    met(signed, |r| r >= 1.2),
                    met(unsigned, |r| r >= 1.2)
                ),
            ),
            (true, 10_000) => (
                "≥ 1.0× tower-sessions",
                format!(
                    "{} / {}",
                    met(signed, |r| r >= 1.0),
                    met(unsigned, |r| r >= 1.0)
                ),
            ),
            (true, _) => ("—", "—".to_owned()),
            (false, _) => ("zero lost updates (this library)", lost_verdict(case)),
        };
        println!(
            "| {} | {} | {} | {} | {target} | {verdict} |",
            case.label,
            ratio(signed),
            ratio(unsigned),
            ratio(rate(Server::Floor)),
        );
    }
    println!();
}

fn lost_verdict(case: &Case) -> String {
    match case.rounds(OURS) {
        Some(rounds) if rounds.iter().all(|o| o.lost == 0 && o.excess == 0) => "yes".to_owned(),
        Some(_) => "**no**".to_owned(),
        None => "—".to_owned(),
    }
}

fn every_contender(cases: &mut [Case]) {
    println!("### Every contender");
    println!();
    println!(
        "| scenario | server | requests/s | server CPU per request | p50 | p99 | requests (all rounds) | lost updates | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for case in cases.iter_mut() {
        for (server, rounds) in &mut case.runs {
            let p50: Vec<f64> = rounds.iter_mut().map(|o| o.latency(0.50)).collect();
            let p99: Vec<f64> = rounds.iter_mut().map(|o| o.latency(0.99)).collect();
            let requests: u64 = rounds.iter().map(|o| o.requests).sum();
            let lost: u64 = rounds.iter().map(|o| o.lost).sum();
            let excess: u64 = rounds.iter().map(|o| o.excess).sum();
            let errors: usize = rounds.iter().map(|o| o.errors + o.cookie_changes).sum();
            let lost = if requests > 0 {
                format!(
                    "{} ({:.2}%)",
                    thousands(lost as usize),
                    100.0 * lost as f64 / requests as f64
                )
            } else {
                "—".to_owned()
            };
            let excess = if excess > 0 {
                format!(", {excess} counted twice")
            } else {
                String::new()
            };
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {lost}{excess} | {errors} |",
                case.label,
                server.name(),
                show(Spread::over(rounds, Outcome::requests_per_s), 1.0, 0, ""),
                show(
                    Spread::over(rounds, Outcome::server_cpu_per_request),
                    1e6,
                    2,
                    "µs"
                ),
                show(Spread::of(&p50), 1e3, 2, "ms"),
                show(Spread::of(&p99), 1e3, 2, "ms"),
                thousands(requests as usize),
            );
        }
    }
    println!();
}

fn where_the_time_went(cases: &[Case]) {
    println!("### Where the time went (share of the timed phase; 100% = one core)");
    println!();
    println!(
        "| scenario | server | server busy (user + system) | server waiting for a core | load generator busy | load generator waiting for a core |"
    );
    println!("|---|---|---|---|---|---|");
    for case in cases {
        for (server, rounds) in &case.runs {
            let pct =
                |f: &dyn Fn(&Outcome) -> f64| show(Spread::over(rounds, |o| f(o)), 100.0, 0, "%");
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                case.label,
                server.name(),
                pct(&|o| o.share(o.server.process.total())),
                pct(&|o| o.share(o.server.threads.waiting)),
                pct(&|o| o.share(o.load.on_cpu)),
                pct(&|o| o.share(o.load.waiting)),
            );
        }
    }
    println!();
}

/// A group of figures that cannot be measured yet.
/// The durable figures: the library's server CPU per request over a SQLite store
/// (write-behind) against the same library in memory, in the same rounds.
pub(crate) fn print_durable(cases: &[Case]) {
    const DURABLE: Server = Server::AdapterDurable;
    println!("### Durable sessions: server CPU per request, durability on ÷ off");
    println!();
    println!(
        "| scenario | {} | {} | on ÷ off | requests/s on ÷ off | errors (on) | target | met (median) |",
        OURS.name(),
        DURABLE.name()
    );
    println!("|---|---|---|---|---|---|---|---|");
    for case in cases.iter().filter(|case| case.rounds(DURABLE).is_some()) {
        let cpu = |s| case.spread(s, Outcome::server_cpu_per_request);
        let on_off = case.paired(DURABLE, OURS, Outcome::server_cpu_per_request);
        let rate = case.paired(DURABLE, OURS, Outcome::requests_per_s);
        let errors: usize = case.rounds(DURABLE).map_or(0, |rounds| {
            rounds.iter().map(|o| o.errors + o.cookie_changes).sum()
        });
        println!(
            "| {} | {} | {} | {} | {} | {errors} | ≤ 1.1× | {} |",
            case.label,
            show(cpu(OURS), 1e6, 2, "µs"),
            show(cpu(DURABLE), 1e6, 2, "µs"),
            ratio(on_off),
            ratio(rate),
            met(on_off, |r| r <= 1.1),
        );
    }
    println!();
}

/// Where the several-nodes figures come from.
pub(crate) fn print_nodes() {
    println!("### Several nodes");
    println!();
    println!(
        "Measured by the `cluster` binary on three real `live_cart` processes: CPU per \
         forwarded request against a local one, throughput of three nodes, recovery from a \
         killed node (see benches/README.md)."
    );
    println!();
}
