//! Prints the figures of SPEC §5 as one markdown table: this library, raw ractor and bare
//! tokio side by side, the ratio of this library's cost to raw ractor's, the target and
//! whether it is met.
//!
//! ```text
//! cargo run --release -p ractor-session-benches --bin report -- [--quick]
//! ```
//!
//! `--quick` scales every count down so the whole run takes well under a minute on two
//! cores. Memory per idle session and the one-million-session phases each run in a fresh
//! process (this binary re-executed with a hidden subcommand), so that one phase's heap
//! does not hide another's growth. Progress goes to stderr; the table to stdout.

use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ractor_session::{KvMsg, SessionId};
use ractor_session_benches::measure::{self, LookupKind};
use ractor_session_benches::{
    BareTokio, Contender, Library, RawRactor, bench_config, fresh_ids, on_runtime, rss_bytes,
    runtime,
};
use tokio::runtime::Runtime;

/// Counts for one run.
#[derive(Debug, Clone, Copy)]
struct Scale {
    rounds: usize,
    lifecycle: usize,
    lookup_live: usize,
    lookups_per_thread: usize,
    calls: usize,
    casts: usize,
    expiry: usize,
    expiry_rounds: usize,
    memory_small: usize,
    memory_large: usize,
    churn: usize,
    churn_ttl: Duration,
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
    churn: 1_000_000,
    churn_ttl: Duration::from_secs(1),
};

const QUICK: Scale = Scale {
    rounds: 3,
    lifecycle: 10_000,
    lookup_live: 1_000,
    lookups_per_thread: 500_000,
    calls: 20_000,
    casts: 100_000,
    expiry: 10_000,
    expiry_rounds: 1,
    memory_small: 10_000,
    memory_large: 50_000,
    churn: 50_000,
    churn_ttl: Duration::from_millis(200),
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => report(FULL, false),
        ["--quick"] => report(QUICK, true),
        ["__idle", contender, n, ttl_ms] => idle_child(contender, parse(n), parse(ttl_ms)),
        ["__churn", n, ttl_ms] => churn_child(parse(n), parse(ttl_ms)),
        _ => {
            eprintln!("usage: report [--quick]");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

fn parse(value: &str) -> usize {
    value.parse().expect("a count")
}

fn progress(message: &str) {
    eprintln!("[report] {message}");
}

// ---------------------------------------------------------------------------------------
// Figures

/// A figure: lower is better for a cost, higher for a rate.
#[derive(Debug, Clone, Copy)]
enum Figure {
    /// Operations per second.
    Rate(f64),
    /// Seconds per operation.
    Time(f64),
    /// Bytes per session.
    Bytes(f64),
}

impl Figure {
    /// The cost of one operation (seconds, or bytes), so ratios read "times the cost".
    fn cost(self) -> f64 {
        match self {
            Self::Rate(r) => 1.0 / r,
            Self::Time(t) => t,
            Self::Bytes(b) => b,
        }
    }

    fn show(self) -> String {
        match self {
            Self::Rate(r) if r >= 1e6 => format!("{:.2} M/s", r / 1e6),
            Self::Rate(r) => format!("{:.1} k/s", r / 1e3),
            Self::Time(t) => format!("{:.2} µs", t * 1e6),
            Self::Bytes(b) => format!("{:.2} KB", b / 1024.0),
        }
    }
}

fn rate(n: usize, took: Duration) -> Figure {
    Figure::Rate(n as f64 / took.as_secs_f64())
}

fn per_op(n: usize, took: Duration) -> Figure {
    Figure::Time(took.as_secs_f64() / n as f64)
}

/// The median of `rounds` measurements by cost.
fn median(mut figures: Vec<Figure>) -> Figure {
    figures.sort_by(|a, b| a.cost().total_cmp(&b.cost()));
    figures[figures.len() / 2]
}

/// One row of the table.
#[derive(Debug)]
struct Row {
    figure: String,
    library: String,
    raw: String,
    tokio: String,
    ratio: String,
    target: &'static str,
    met: String,
}

impl Row {
    fn measured(
        figure: impl Into<String>,
        [lib, raw, tokio]: [Figure; 3],
        target: &'static str,
        met: Option<bool>,
    ) -> Self {
        Self {
            figure: figure.into(),
            library: lib.show(),
            raw: raw.show(),
            tokio: tokio.show(),
            ratio: format!("{:.2}×", lib.cost() / raw.cost()),
            target,
            met: verdict(met),
        }
    }
}

fn verdict(met: Option<bool>) -> String {
    match met {
        Some(true) => "yes".to_owned(),
        Some(false) => "**no**".to_owned(),
        None => "—".to_owned(),
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "| figure | this library | raw ractor | bare tokio | ratio (library / raw ractor cost) | target | met |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.figure, r.library, r.raw, r.tokio, r.ratio, r.target, r.met
        );
    }
}

// ---------------------------------------------------------------------------------------
// The in-process measurements

struct All {
    library: Arc<Library>,
    raw: Arc<RawRactor>,
    tokio: Arc<BareTokio>,
}

/// Runs `measure` for each contender, `rounds` times interleaved (so that the machine's
/// noise falls on all three alike), and keeps each one's median.
fn three<F>(rounds: usize, mut measure: F) -> [Figure; 3]
where
    F: FnMut(usize) -> Figure,
{
    let mut figures = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (which, list) in figures.iter_mut().enumerate() {
            list.push(measure(which));
        }
    }
    figures.map(median)
}

fn lifecycle_rows(rt: &Runtime, all: &All, s: Scale, rows: &mut Vec<Row>) -> f64 {
    let mut sequential_rate = 0.0;
    for tasks in [1, 2] {
        progress(&format!(
            "creation, {tasks} task(s), {} sessions",
            s.lifecycle
        ));
        let n = s.lifecycle;
        let f = three(s.rounds, |which| {
            let took = match which {
                0 => on_runtime(rt, measure::creation(Arc::clone(&all.library), n, tasks)),
                1 => on_runtime(rt, measure::creation(Arc::clone(&all.raw), n, tasks)),
                _ => on_runtime(rt, measure::creation(Arc::clone(&all.tokio), n, tasks)),
            };
            rate(n, took)
        });
        let Figure::Rate(lib) = f[0] else {
            unreachable!()
        };
        if tasks == 1 {
            sequential_rate = lib;
        }
        let ratio = f[0].cost() / f[1].cost();
        rows.push(Row::measured(
            format!("session creation, {tasks} task(s)"),
            f,
            "≥ 150 k/s and ≤ 1.5× raw ractor",
            Some(lib >= 150_000.0 && ratio <= 1.5),
        ));
    }
    for tasks in [1, 2] {
        progress(&format!(
            "cleanup, {tasks} task(s), {} sessions",
            s.lifecycle
        ));
        let n = s.lifecycle;
        let f = three(s.rounds, |which| {
            let took = match which {
                0 => on_runtime(rt, measure::cleanup(Arc::clone(&all.library), n, tasks)),
                1 => on_runtime(rt, measure::cleanup(Arc::clone(&all.raw), n, tasks)),
                _ => on_runtime(rt, measure::cleanup(Arc::clone(&all.tokio), n, tasks)),
            };
            rate(n, took)
        });
        let Figure::Rate(lib) = f[0] else {
            unreachable!()
        };
        rows.push(Row::measured(
            format!("cleanup (terminate + deregister), {tasks} task(s)"),
            f,
            "≥ 200 k/s",
            Some(lib >= 200_000.0),
        ));
    }
    sequential_rate
}

fn messaging_rows(rt: &Runtime, all: &All, s: Scale, rows: &mut Vec<Row>) {
    for (name, kind) in [
        ("lookups `is_started`, 2 threads", LookupKind::IsStarted),
        (
            "lookups typed (`lookup::<KvMsg>`), 2 threads",
            LookupKind::Typed,
        ),
    ] {
        progress(&format!("{name}, {} per thread", s.lookups_per_thread));
        let (live, per) = (s.lookup_live, s.lookups_per_thread);
        let f = three(s.rounds, |which| {
            let took = match which {
                0 => on_runtime(
                    rt,
                    measure::lookups(Arc::clone(&all.library), kind, live, per),
                ),
                1 => on_runtime(rt, measure::lookups(Arc::clone(&all.raw), kind, live, per)),
                _ => on_runtime(
                    rt,
                    measure::lookups(Arc::clone(&all.tokio), kind, live, per),
                ),
            };
            rate(2 * per, took)
        });
        let Figure::Rate(lib) = f[0] else {
            unreachable!()
        };
        rows.push(Row::measured(name, f, "≥ 10 M/s", Some(lib >= 10e6)));
    }

    progress(&format!("call round trips, {}", s.calls));
    let n = s.calls;
    let f = three(s.rounds, |which| {
        let took = match which {
            0 => on_runtime(rt, measure::calls(Arc::clone(&all.library), n)),
            1 => on_runtime(rt, measure::calls(Arc::clone(&all.raw), n)),
            _ => on_runtime(rt, measure::calls(Arc::clone(&all.tokio), n)),
        };
        per_op(n, took)
    });
    let ratio = f[0].cost() / f[1].cost();
    rows.push(Row::measured(
        "call round trip (ping, 15 s timeout)",
        f,
        "≤ 1.3× raw ractor",
        Some(ratio <= 1.3),
    ));

    progress(&format!("casts, {} to one session", s.casts));
    let n = s.casts;
    let f = three(s.rounds, |which| {
        let took = match which {
            0 => on_runtime(rt, measure::casts(Arc::clone(&all.library), n)),
            1 => on_runtime(rt, measure::casts(Arc::clone(&all.raw), n)),
            _ => on_runtime(rt, measure::casts(Arc::clone(&all.tokio), n)),
        };
        rate(n, took)
    });
    rows.push(Row::measured(
        "cast throughput (sent and handled)",
        f,
        "—",
        None,
    ));

    progress(&format!("expiry, {} sessions due together", s.expiry));
    let n = s.expiry;
    let f = three(s.expiry_rounds, |which| {
        let took = match which {
            0 => on_runtime(rt, measure::expiry_library(n)),
            1 => on_runtime(rt, measure::expiry_raw_ractor(n)),
            _ => on_runtime(rt, measure::expiry_bare_tokio(n)),
        };
        rate(n, took)
    });
    rows.push(Row::measured(
        "expiry throughput (deadline → stopped and deregistered)",
        f,
        "—",
        None,
    ));
}

// ---------------------------------------------------------------------------------------
// Fresh-process phases

/// Runs this binary with `args` and returns its stdout's `key=value` pairs.
fn child(args: &[String]) -> Vec<(String, String)> {
    let exe = std::env::current_exe().expect("the report binary's path");
    let output = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("the child process runs");
    assert!(
        output.status.success(),
        "child {args:?} failed: {}",
        output.status
    );
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn field<T: std::str::FromStr>(pairs: &[(String, String)], key: &str) -> T {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or_else(|| panic!("child output lacks {key}: {pairs:?}"))
}

fn idle_memory(contender: &str, n: usize, ttl: Duration) -> Vec<(String, String)> {
    progress(&format!(
        "memory: {n} idle {contender} sessions in a fresh process"
    ));
    child(&[
        "__idle".to_owned(),
        contender.to_owned(),
        n.to_string(),
        ttl.as_millis().to_string(),
    ])
}

fn bytes_per_session(pairs: &[(String, String)]) -> Figure {
    let before: f64 = field(pairs, "rss_before");
    let after: f64 = field(pairs, "rss_after");
    let live: f64 = field(pairs, "live");
    Figure::Bytes((after - before) / live)
}

fn memory_rows(s: Scale, sequential_rate: f64, rows: &mut Vec<Row>) {
    for n in [s.memory_small, s.memory_large] {
        // The large library run also holds its sessions and lets them expire: give them an
        // idle timeout well past the time it takes to start them all.
        let hold = n == s.memory_large;
        let start_secs = n as f64 / sequential_rate.max(10_000.0);
        let ttl = if hold {
            Duration::from_secs_f64(3.0 * start_secs + 5.0)
        } else {
            Duration::ZERO
        };
        let lib = idle_memory("library", n, ttl);
        let raw = idle_memory("raw", n, Duration::ZERO);
        let tokio = idle_memory("tokio", n, Duration::ZERO);
        let f = [
            bytes_per_session(&lib),
            bytes_per_session(&raw),
            bytes_per_session(&tokio),
        ];
        let Figure::Bytes(per) = f[0] else {
            unreachable!()
        };
        let moonshot = if per < 2.7 * 1024.0 {
            " (below the BEAM's 2.7 KB)"
        } else {
            ""
        };
        rows.push(Row::measured(
            format!(
                "memory per idle session (default session), {} sessions{moonshot}",
                thousands(n)
            ),
            f,
            "≤ 8 KB (moonshot < 2.7 KB)",
            Some(per <= 8.0 * 1024.0),
        ));
        if hold {
            let errors: usize = field(&lib, "errors");
            let expired: bool = field(&lib, "expired");
            let start_s: f64 = field(&lib, "start_s");
            let expire_s: f64 = field(&lib, "expire_s");
            let ok = errors == 0 && expired;
            rows.push(Row {
                figure: format!("{} idle sessions: start, hold, expire", thousands(n)),
                library: format!(
                    "started in {start_s:.1} s, all expired {expire_s:.1} s after the idle timeout, {errors} errors"
                ),
                raw: "—".to_owned(),
                tokio: "—".to_owned(),
                ratio: "—".to_owned(),
                target: "without error",
                met: verdict(Some(ok)),
            });
        }
    }
}

fn churn_row(s: Scale, rows: &mut Vec<Row>) {
    progress(&format!(
        "churn: {} sessions start → call → expiry (idle timeout {:?}) in a fresh process",
        s.churn, s.churn_ttl
    ));
    let pairs = child(&[
        "__churn".to_owned(),
        s.churn.to_string(),
        s.churn_ttl.as_millis().to_string(),
    ]);
    let errors: usize = field(&pairs, "errors");
    let empty: bool = field(&pairs, "empty");
    let run_s: f64 = field(&pairs, "run_s");
    let drain_s: f64 = field(&pairs, "drain_s");
    let peak: usize = field(&pairs, "peak_live");
    let rss_first: f64 = field(&pairs, "rss_first_mb");
    let rss_second: f64 = field(&pairs, "rss_second_mb");
    rows.push(Row {
        figure: format!(
            "churn of {} sessions: start → call → expiry ({} ms idle timeout)",
            thousands(s.churn),
            s.churn_ttl.as_millis()
        ),
        library: format!(
            "{:.1} k/s start+call (2 tasks); peak {} live; registry {} at most {drain_s:.1} s after the last start; {errors} errors; RSS after draining each half: {rss_first:.0} MB, {rss_second:.0} MB",
            s.churn as f64 / run_s / 1e3,
            thousands(peak),
            if empty { "empty" } else { "NOT empty" },
        ),
        raw: "—".to_owned(),
        tokio: "—".to_owned(),
        ratio: "—".to_owned(),
        target: "no registry/timer leak (SPEC §6)",
        met: verdict(Some(empty && errors == 0)),
    });
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn report(s: Scale, quick: bool) {
    let began = Instant::now();
    progress(if quick { "quick run" } else { "full run" });
    let rt = runtime();
    let all = on_runtime(&rt, async {
        All {
            library: Arc::new(Library::spawn(bench_config(usize::MAX)).await),
            raw: Arc::new(RawRactor::spawn().await),
            tokio: Arc::new(BareTokio::new()),
        }
    });
    let mut rows = Vec::new();
    let sequential_rate = lifecycle_rows(&rt, &all, s, &mut rows);
    messaging_rows(&rt, &all, s, &mut rows);
    drop(all);
    drop(rt);
    memory_rows(s, sequential_rate, &mut rows);
    churn_row(s, &mut rows);
    print_table(&rows);
    progress(&format!("done in {:.1} s", began.elapsed().as_secs_f64()));
}

// ---------------------------------------------------------------------------------------
// Children

/// Polls `done` every millisecond until it holds or `limit` passes.
async fn settle(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    true
}

/// Starts `n` idle sessions of one contender; prints RSS before and after (and, for the
/// library with a timeout, whether and when they all expired).
fn idle_child(contender: &str, n: usize, ttl_ms: usize) {
    let rt = runtime();
    let ids = fresh_ids(n);
    let line = match contender {
        "library" => on_runtime(&rt, idle_library(ids, ttl_ms)),
        "raw" => on_runtime(&rt, async {
            let raw = RawRactor::spawn().await;
            idle_contender(raw, ids).await
        }),
        "tokio" => on_runtime(&rt, idle_contender(BareTokio::new(), ids)),
        other => panic!("unknown contender {other}"),
    };
    println!("{line}");
}

fn every_tenth(i: usize, n: usize, what: &str) {
    if n >= 100_000 && (i + 1).is_multiple_of(n / 10) {
        eprintln!("[report]   {what}: {}/{n}", i + 1);
    }
}

/// Warms the allocator and runtime with one session, so the baseline is not flattered.
async fn idle_contender<C: Contender>(c: C, ids: Vec<String>) -> String {
    c.start("warm-up").await;
    c.terminate("warm-up").await;
    let before = rss_bytes().unwrap_or(0);
    for (i, id) in ids.iter().enumerate() {
        c.start(id).await;
        every_tenth(i, ids.len(), "started");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = rss_bytes().unwrap_or(0);
    format!("rss_before={before} rss_after={after} live={}", c.live())
}

async fn idle_library(ids: Vec<String>, ttl_ms: usize) -> String {
    let n = ids.len();
    let mut config = bench_config(n);
    if ttl_ms > 0 {
        config = config.with_idle_timeout(Duration::from_millis(ttl_ms as u64));
    }
    let lib = Library::spawn(config).await;
    let manager = lib.manager();
    manager.start("warm-up").await.expect("warm-up session");
    manager.terminate("warm-up").await.expect("warm-up stop");
    let before = rss_bytes().unwrap_or(0);
    let began = Instant::now();
    let mut errors = 0usize;
    for (i, id) in ids.iter().enumerate() {
        if let Err(error) = manager.start(id).await {
            if errors == 0 {
                eprintln!("[report]   start failed: {error}");
            }
            errors += 1;
        }
        every_tenth(i, n, "started");
    }
    let start_s = began.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = rss_bytes().unwrap_or(0);
    let live = manager.count();
    let mut line = format!("rss_before={before} rss_after={after} live={live} start_s={start_s}");
    if ttl_ms > 0 {
        // Touch every session once while holding them: activity must keep them alive.
        for id in &ids {
            if manager.touch(id).is_err() {
                errors += 1;
            }
        }
        let held = Instant::now();
        let ttl = Duration::from_millis(ttl_ms as u64);
        eprintln!(
            "[report]   holding {live} sessions; they expire {:.1} s after the last touch",
            ttl.as_secs_f64()
        );
        let expired = settle(ttl + Duration::from_secs(120), || {
            manager.count() == 0 && manager.supervisor().get_children().is_empty()
        })
        .await;
        let expire_s = held.elapsed().saturating_sub(ttl).as_secs_f64();
        line.push_str(&format!(
            " errors={errors} expired={expired} expire_s={expire_s}"
        ));
    } else {
        line.push_str(&format!(" errors={errors}"));
    }
    manager.shutdown().await;
    line
}

/// Churns `n` sessions through start → call → expiry from 2 tasks (one per worker), in
/// two halves; prints throughput, the peak of live sessions, whether the registry drained
/// after each half, and the RSS after each drain (growth from the first drain to the
/// second would be a leak: the allocator keeps what the first half freed for reuse).
fn churn_child(n: usize, ttl_ms: usize) {
    let rt = runtime();
    let line = on_runtime(&rt, async move {
        let ttl = Duration::from_millis(ttl_ms as u64);
        let lib = Library::spawn(bench_config(n).with_idle_timeout(ttl)).await;
        let manager = lib.manager().clone();
        let done = Arc::new(AtomicUsize::new(0));
        let errors = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut run = Duration::ZERO;
        let mut drain = Duration::ZERO;
        let mut empty = true;
        let mut rss = Vec::new();
        for half in [n / 2, n - n / 2] {
            let target = done.load(Ordering::Relaxed) + half;
            let began = Instant::now();
            const TASKS: usize = 2;
            let workers: Vec<_> = (0..TASKS)
                .map(|t| {
                    let (manager, done, errors) =
                        (manager.clone(), Arc::clone(&done), Arc::clone(&errors));
                    let share = half / TASKS + usize::from(t < half % TASKS);
                    tokio::spawn(async move {
                        for _ in 0..share {
                            // IDs made as we go: a million held at once would blur RSS.
                            let id = SessionId::generate();
                            let ok = match manager.start(&id).await {
                                Ok(_) => manager.call(&id, KvMsg::Ping).await.is_ok(),
                                Err(_) => false,
                            };
                            if !ok {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            let watcher = {
                let (manager, done, peak) = (manager.clone(), Arc::clone(&done), Arc::clone(&peak));
                tokio::spawn(async move {
                    let mut last_report = Instant::now();
                    while done.load(Ordering::Relaxed) < target {
                        peak.fetch_max(manager.count(), Ordering::Relaxed);
                        if last_report.elapsed() >= Duration::from_secs(2) {
                            eprintln!(
                                "[report]   churn: {}/{n}, {} live",
                                done.load(Ordering::Relaxed),
                                manager.count()
                            );
                            last_report = Instant::now();
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                })
            };
            for worker in workers {
                worker.await.expect("churn task completes");
            }
            run += began.elapsed();
            watcher.await.expect("watcher completes");
            let drained = Instant::now();
            let drained_ok = settle(ttl + Duration::from_secs(120), || {
                manager.count() == 0 && manager.supervisor().get_children().is_empty()
            })
            .await;
            let stats = manager.stats();
            empty &=
                drained_ok && stats.live == 0 && stats.starting == 0 && manager.list().is_empty();
            drain = drain.max(drained.elapsed());
            rss.push(rss_bytes().unwrap_or(0) as f64 / 1e6);
        }
        manager.shutdown().await;
        format!(
            "errors={} empty={empty} run_s={} drain_s={} peak_live={} rss_first_mb={} rss_second_mb={}",
            errors.load(Ordering::Relaxed),
            run.as_secs_f64(),
            drain.as_secs_f64(),
            peak.load(Ordering::Relaxed),
            rss[0],
            rss[1],
        )
    });
    println!("{line}");
}
