//! The markdown tables the `cluster` binary prints, ready for docs/performance.md.

use ractor_session_benches::{Spread, allowed_cpus, show_or_dash as show, thousands};

use crate::forwarding::Forwarding;
use crate::recovery::Recovery;
use crate::throughput::Throughput;
use crate::{Figures, Sizes};

/// "—" for a ratio that could not be taken.
fn ratio(spread: Option<Spread>) -> String {
    spread.map_or_else(|| "—".to_owned(), |s| s.ratio())
}

/// Every table.
pub(crate) fn print(figures: &Figures, sizes: Sizes, load_before: &str, load_after: &str) {
    println!(
        "Three live_cart nodes (release, cluster + postgres), a PostgreSQL store and the load \
         generator on the same machine: {} CPUs allowed; load average (1, 5, 15 min) {load_before} \
         at the start, {load_after} at the end. Figures: min / median / max over {} rounds, the \
         two contenders of a figure alternating which goes first; ratios taken round by round. \
         CPU = user + system time of the node processes (/proc/PID/stat).",
        allowed_cpus().len(),
        sizes.rounds
    );
    println!();
    forwarding(&figures.forwarding);
    throughput(&figures.throughput);
    recovery(&figures.recovery);
}

fn forwarding(f: &Forwarding) {
    println!("### CPU per forwarded request against a local one");
    println!();
    println!(
        "{} sessions born on node a; `GET /api/cart` {} times per run, {} at once, through a \
         (local) and through b (forwarded to a).",
        f.sessions,
        thousands(f.requests),
        f.concurrency
    );
    println!();
    println!("| figure | value | target | met (median) |");
    println!("|---|---|---|---|");
    let local = |g: &dyn Fn(&crate::forwarding::Run) -> f64| Spread::over(&f.rounds, |r| g(&r.0));
    let fwd = |g: &dyn Fn(&crate::forwarding::Run) -> f64| Spread::over(&f.rounds, |r| g(&r.1));
    let ratio_spread = f.ratio();
    let met = match ratio_spread {
        Some(s) if s.median <= 2.0 => "yes",
        Some(_) => "**no**",
        None => "—",
    };
    let rows = [
        (
            "CPU per request, local (every node)".to_owned(),
            show(local(&|r| r.cpu_per_request()), 1e6, 1, "µs"),
        ),
        (
            "CPU per request, forwarded (every node)".to_owned(),
            show(fwd(&|r| r.cpu_per_request()), 1e6, 1, "µs"),
        ),
        (
            "… of which the owner a, forwarded".to_owned(),
            show(fwd(&|r| r.node_cpu_per_request(Some(0))), 1e6, 1, "µs"),
        ),
        (
            "… of which the forwarder b, forwarded".to_owned(),
            show(fwd(&|r| r.node_cpu_per_request(Some(1))), 1e6, 1, "µs"),
        ),
        (
            "requests/s, local".to_owned(),
            show(
                local(&|r| r.requests as f64 / r.took.as_secs_f64()),
                1e-3,
                1,
                "k",
            ),
        ),
        (
            "requests/s, forwarded".to_owned(),
            show(
                fwd(&|r| r.requests as f64 / r.took.as_secs_f64()),
                1e-3,
                1,
                "k",
            ),
        ),
        (
            "failed requests, local / forwarded (all rounds)".to_owned(),
            format!(
                "{} / {}",
                f.rounds.iter().map(|r| r.0.failed).sum::<usize>(),
                f.rounds.iter().map(|r| r.1.failed).sum::<usize>()
            ),
        ),
        (
            "sessions live on b or c after the forwarded runs".to_owned(),
            f.live_elsewhere.to_string(),
        ),
    ];
    for (figure, value) in rows {
        println!("| {figure} | {value} | | |");
    }
    println!(
        "| **CPU per request, forwarded ÷ local** | {} | ≤ 2× | {met} |",
        ratio(ratio_spread)
    );
    println!();
}

fn throughput(t: &Throughput) {
    println!("### Throughput: three nodes, requests spread at random");
    println!();
    println!(
        "{} sessions (each born on a node drawn at random), `GET /api/cart` for a session and \
         through a node drawn at random, {} at once, {} s per run; beside it the same load \
         on one node alone (no peers, the same store).",
        thousands(t.sessions),
        t.concurrency,
        t.seconds
    );
    println!();
    println!(
        "| nodes | requests/s | CPU per request (every node) | failed requests (all rounds) |"
    );
    println!("|---|---|---|---|");
    let row = |name: &str,
               pick: fn(
        &(crate::throughput::Run, crate::throughput::Run),
    ) -> crate::throughput::Run| {
        println!(
            "| {name} | {} | {} | {} |",
            show(t.spread(|r| pick(r).per_s()), 1e-3, 1, "k"),
            show(t.spread(|r| pick(r).cpu_per_request()), 1e6, 1, "µs"),
            t.rounds.iter().map(|r| pick(r).failed).sum::<usize>()
        );
    };
    row("three, spread at random", |r| r.0);
    row("one alone", |r| r.1);
    println!(
        "| three ÷ one | {} | {} | |",
        ratio(t.spread(|r| r.0.per_s() / r.1.per_s())),
        ratio(t.spread(|r| r.0.cpu_per_request() / r.1.cpu_per_request()))
    );
    println!();
}

fn recovery(r: &Recovery) {
    let ms = |d: Option<std::time::Duration>| {
        d.map_or_else(|| "—".to_owned(), |d| format!("{} ms", d.as_millis()))
    };
    let rate = r.all().map_or_else(
        || "—".to_owned(),
        |all| {
            let rate = r.sessions as f64 / all.as_secs_f64();
            format!("{} sessions/s", thousands(rate as usize))
        },
    );
    println!("### Recovering the sessions of a killed node");
    println!();
    println!(
        "{} sessions born on node c, each with an item written through to the store; `kill -9` \
         c; then every session asked for through a and b, {} at once, each retried every 20 ms \
         until it answers (1 round).",
        thousands(r.sessions),
        r.concurrency
    );
    println!();
    println!("| figure | value |");
    println!("|---|---|");
    println!("| kill → first session answered | {} |", ms(r.first()));
    println!("| kill → every session answered | {} |", ms(r.all()));
    println!("| sessions recovered per second (all ÷ that time) | {rate} |");
    println!(
        "| kill → half the sessions answered | {} |",
        ms(r.answered.get(r.sessions / 2).copied())
    );
    println!(
        "| sessions answered without their item (lost) | {} |",
        r.lost
    );
    println!("| sessions not answered within 120 s | {} |", r.gave_up);
    println!(
        "| failed tries before a session answered | {}{} |",
        thousands(r.failed_tries),
        r.first_failure
            .as_ref()
            .map_or_else(String::new, |first| format!(" (the first: {first})"))
    );
    println!();
}
