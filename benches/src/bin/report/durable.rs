//! Durable sessions: the SQLite store measured directly (snapshots persisted per second in
//! batches, load and claim latency) and restore on next use through the manager.

use ractor_session_benches::store::{StoreRound, StoreScale, sqlite_round};
use ractor_session_benches::{RunError, Spread, runtime, show_or_dash as show, thousands};

use crate::table::Row;
use crate::{Scale, progress};

const SNAPSHOTS_TARGET: &str = "≥ 50,000 snapshots/s";

/// The durable rows.
pub(crate) fn rows(s: &Scale) -> Vec<Row> {
    let store = s.store;
    let rt = runtime();
    let mut rounds: Vec<StoreRound> = Vec::new();
    let mut broken: Option<RunError> = None;
    for round in 0..s.rounds {
        progress(&format!(
            "SQLite store, round {}/{}: {} records in batches of {}, {} loads and claims, {} restores",
            round + 1,
            s.rounds,
            store.records,
            store.batch,
            store.reads,
            store.restores
        ));
        match rt.block_on(sqlite_round(store)) {
            Ok(round) => rounds.push(round),
            Err(error) => {
                broken = Some(error);
                break;
            }
        }
    }
    let writes = [
        (
            "new sessions",
            (|r: &StoreRound| r.inserts_per_s) as fn(&StoreRound) -> f64,
        ),
        ("updated sessions", |r| r.updates_per_s),
        ("updated sessions, 4 writers at once", |r| {
            r.concurrent_per_s
        }),
    ];
    let mut rows = Vec::new();
    for (what, rate) in writes {
        let figure = format!(
            "snapshots persisted per second, SQLite store, batches of {}, {what}",
            thousands(store.batch)
        );
        rows.push(match &broken {
            Some(error) => Row::broken(figure, error, SNAPSHOTS_TARGET),
            None => {
                let spread = Spread::over(&rounds, rate);
                Row::library_only(
                    figure,
                    show(spread, 1e-3, 1, "k/s"),
                    SNAPSHOTS_TARGET,
                    spread.map(|s| s.median >= 50_000.0),
                )
            }
        });
    }
    let latencies = [
        (
            "store `load` latency (a restore's read)",
            (|r: &StoreRound| r.load) as fn(&StoreRound) -> _,
        ),
        (
            "store `claim` latency (a restore's read and epoch raise)",
            |r| r.claim,
        ),
    ];
    for (what, latency) in latencies {
        rows.push(match &broken {
            Some(error) => Row::broken(what, error, "—"),
            None => Row::library_only(
                what,
                format!(
                    "p50 {}; p99 {}",
                    show(
                        Spread::over(&rounds, |r| latency(r).0.as_secs_f64()),
                        1e6,
                        1,
                        "µs"
                    ),
                    show(
                        Spread::over(&rounds, |r| latency(r).1.as_secs_f64()),
                        1e6,
                        1,
                        "µs"
                    ),
                ),
                "— (the store's share of a restore)",
                None,
            ),
        });
    }
    let figure = format!(
        "restore on next use through the manager (`resume` of an ID only in SQLite: claim, \
         deserialize, start the actor), {} sessions, p50 / p99",
        thousands(store.restores)
    );
    const RESTORE_TARGET: &str = "p99 ≤ 1 ms from SQLite";
    rows.push(match &broken {
        Some(error) => Row::broken(figure, error, RESTORE_TARGET),
        None => {
            let p99 = Spread::over(&rounds, |r| r.restore.1.as_secs_f64());
            Row::library_only(
                figure,
                format!(
                    "p50 {}; p99 {}",
                    show(
                        Spread::over(&rounds, |r| r.restore.0.as_secs_f64()),
                        1e6,
                        1,
                        "µs"
                    ),
                    show(p99, 1e6, 1, "µs"),
                ),
                RESTORE_TARGET,
                p99.map(|s| s.median <= 1e-3),
            )
        }
    });
    rows
}

/// The store's counts for a run: `--quick` or full.
pub(crate) const fn store_scale(quick: bool) -> StoreScale {
    if quick {
        StoreScale::QUICK
    } else {
        StoreScale::FULL
    }
}
