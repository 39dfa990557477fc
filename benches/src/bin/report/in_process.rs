//! The in-process figures: creation, cleanup, lookups, calls, casts and expiry, each
//! measured for this library, raw ractor and bare tokio in interleaved rounds.

use std::sync::Arc;
use std::time::Duration;

use ractor_session_benches::measure::{self, LookupKind};
use ractor_session_benches::{
    BareTokio, Library, RawRactor, RunError, bench_config, on_runtime, runtime,
};
use tokio::runtime::Runtime;

use crate::table::{Kind, Rounds, Row};
use crate::{Scale, progress};

/// The three contenders, spawned once.
struct All {
    library: Arc<Library>,
    raw: Arc<RawRactor>,
    tokio: Arc<BareTokio>,
}

/// Runs the measured future `$body`, in which `$c` is contender number `$which` (0: this
/// library, 1: raw ractor, 2: bare tokio), on the runtime's workers.
macro_rules! on_contender {
    ($rt:expr, $all:expr, $which:expr, |$c:ident| $body:expr) => {
        match $which {
            0 => {
                let $c = Arc::clone(&$all.library);
                on_runtime($rt, $body)
            }
            1 => {
                let $c = Arc::clone(&$all.raw);
                on_runtime($rt, $body)
            }
            _ => {
                let $c = Arc::clone(&$all.tokio);
                on_runtime($rt, $body)
            }
        }
    };
}

/// Runs `measure` for each contender, `rounds` times interleaved (so that the machine's
/// noise falls on all three alike), and keeps every round's value.
fn three(rounds: usize, kind: Kind, mut measure: impl FnMut(usize) -> f64) -> [Rounds; 3] {
    let mut figures = [Rounds::new(kind), Rounds::new(kind), Rounds::new(kind)];
    for _ in 0..rounds {
        for (which, figure) in figures.iter_mut().enumerate() {
            figure.values.push(measure(which));
        }
    }
    figures
}

fn rate(n: usize, took: Duration) -> f64 {
    n as f64 / took.as_secs_f64()
}

/// Every in-process row.
pub(crate) fn rows(s: &Scale) -> Vec<Row> {
    let rt = runtime();
    let all = on_runtime(&rt, async {
        All {
            library: Arc::new(Library::spawn(bench_config(usize::MAX)).await),
            raw: Arc::new(RawRactor::spawn().await),
            tokio: Arc::new(BareTokio::new()),
        }
    });
    let mut rows = Vec::new();
    lifecycle(&rt, &all, s, &mut rows);
    messaging(&rt, &all, s, &mut rows);
    rows.push(expiry(&rt, s));
    rows
}

fn lifecycle(rt: &Runtime, all: &All, s: &Scale, rows: &mut Vec<Row>) {
    let n = s.lifecycle;
    let creation: (&str, &'static str, &dyn Fn(f64, f64) -> bool) = (
        "session creation",
        "≥ 150 k/s and ≤ 1.5× raw ractor",
        &|lib, ratio| lib >= 150_000.0 && ratio <= 1.5,
    );
    let cleanup: (&str, &'static str, &dyn Fn(f64, f64) -> bool) = (
        "cleanup (terminate + deregister)",
        "≥ 200 k/s",
        &|lib, _| lib >= 200_000.0,
    );
    for (stopping, (name, target, met)) in [(false, creation), (true, cleanup)] {
        for tasks in [1, 2] {
            progress(&format!("{name}, {tasks} task(s), {n} sessions"));
            let f = three(s.rounds, Kind::Rate, |which| {
                let took = on_contender!(rt, all, which, |c| async move {
                    if stopping {
                        measure::cleanup(c, n, tasks).await
                    } else {
                        measure::creation(c, n, tasks).await
                    }
                });
                rate(n, took)
            });
            rows.push(Row::measured(
                format!("{name}, {tasks} task(s)"),
                &f,
                target,
                Some(met),
            ));
        }
    }
}

fn messaging(rt: &Runtime, all: &All, s: &Scale, rows: &mut Vec<Row>) {
    for (name, kind) in [
        ("lookups `is_started`, 2 threads", LookupKind::IsStarted),
        (
            "lookups typed (`lookup::<KvMsg>`), 2 threads",
            LookupKind::Typed,
        ),
    ] {
        progress(&format!("{name}, {} per thread", s.lookups_per_thread));
        let (live, per) = (s.lookup_live, s.lookups_per_thread);
        let f = three(s.rounds, Kind::Rate, |which| {
            let took = on_contender!(rt, all, which, |c| measure::lookups(c, kind, live, per));
            rate(2 * per, took)
        });
        rows.push(Row::measured(
            name,
            &f,
            "≥ 10 M/s",
            Some(&|lib, _| lib >= 10e6),
        ));
    }

    progress(&format!("call round trips, {}", s.calls));
    let n = s.calls;
    let f = three(s.rounds, Kind::Time, |which| {
        let took = on_contender!(rt, all, which, |c| measure::calls(c, n));
        took.as_secs_f64() / n as f64
    });
    rows.push(Row::measured(
        "call round trip (ping, 15 s timeout)",
        &f,
        "≤ 1.2× raw ractor",
        Some(&|_, ratio| ratio <= 1.2),
    ));

    progress(&format!("casts, {} to one session", s.casts));
    let n = s.casts;
    let f = three(s.rounds, Kind::Rate, |which| {
        let took = on_contender!(rt, all, which, |c| measure::casts(c, n));
        rate(n, took)
    });
    rows.push(Row::measured(
        "cast throughput (sent and handled)",
        &f,
        "—",
        None,
    ));
}

/// Expiry throughput; a round whose start phase outlasted its timeout even after the
/// timeout was derived from it makes the row an invalid run.
fn expiry(rt: &Runtime, s: &Scale) -> Row {
    const FIGURE: &str = "expiry throughput (deadline → stopped and deregistered)";
    let n = s.expiry;
    progress(&format!("expiry, {n} sessions due together"));
    let mut broken: Option<RunError> = None;
    let f = three(s.expiry_rounds, Kind::Rate, |which| {
        let took = match which {
            0 => on_runtime(rt, measure::expiry::<Library>(n)),
            1 => on_runtime(rt, measure::expiry::<RawRactor>(n)),
            _ => on_runtime(rt, measure::expiry::<BareTokio>(n)),
        };
        match took {
            Ok(took) => rate(n, took),
            Err(error) => {
                broken.get_or_insert(error);
                f64::NAN
            }
        }
    });
    match broken {
        Some(error) => Row::broken(FIGURE, &error, "—"),
        None => Row::measured(FIGURE, &f, "—", None),
    }
}
