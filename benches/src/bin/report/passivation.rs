//! Passivation: memory per parked session, revival latency, and the skewed (Zipf)
//! workload over many sessions with few of them active.
//!
//! - memory per parked session (`__parked <where> <n>`): a fresh process starts `n` default
//!   sessions under `max_active` = 1,000 and `passivate_after` = 1 s, waits until all are
//!   parked (with the SQLite store: written, their bytes gone from memory), and divides the
//!   RSS growth by `n`;
//! - revival latency (`__revive <where> <n>`): parks `n` sessions holding a small cart,
//!   then times the next call to each (revival from the parked bytes, or from SQLite, and
//!   the call), p50 / p99;
//! - the Zipf workload: [`zipf_child`] with every session active (the baseline), and with
//!   `max_active` a tenth of the sessions (revivals per second from the manager's
//!   counters).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ractor_session::durable::SqliteStore;
use ractor_session::{KvMsg, KvSession, SessionConfig, SessionId, SessionManager};
use ractor_session_benches::{
    DEFAULT_EXPONENT, Library, RunError, ZipfKeys, bench_config, fresh_ids, on_runtime, rss_bytes,
    runtime, sized, thousands,
};

use crate::child;
use crate::table::Row;
use crate::{Scale, progress};

/// The two places a parked session's state can wait.
const PLACES: [(&str, &str); 2] = [("memory", "in memory"), ("sqlite", "in the SQLite store")];

/// The most actors while sessions are started to be parked.
const MAX_ACTIVE: usize = 1_000;

/// The passivation rows.
pub(crate) fn rows(s: &Scale) -> Vec<Row> {
    let mut rows = Vec::new();
    for n in [s.memory_small, s.memory_large] {
        for (place, parked_in) in PLACES {
            rows.push(memory_row(n, place, parked_in));
        }
    }
    let n = sized(10_000, 2_000);
    for ((place, parked_in), target, limit) in PLACES
        .into_iter()
        .zip([("p99 ≤ 50 µs", 50e-6), ("p99 ≤ 1 ms", 1e-3)])
        .map(|(p, (t, l))| (p, t, l))
    {
        rows.push(revival_row(n, place, parked_in, target, limit));
    }
    rows.push(zipf_row(s, None));
    rows.push(zipf_row(s, Some(s.zipf_sessions / 10)));
    rows
}

fn memory_row(n: usize, place: &str, parked_in: &str) -> Row {
    let figure = format!(
        "memory per parked session (default session), {} sessions, parked {parked_in}",
        thousands(n)
    );
    let target = "< 2.7 KB (moonshot ≤ 1 KB)";
    progress(&format!("{figure}, in a fresh process"));
    let measured =
        child::run(&["__parked".to_owned(), place.to_owned(), n.to_string()]).and_then(|f| {
            let grew = f.get::<f64>("rss_after")? - f.get::<f64>("rss_before")?;
            Ok((
                grew / n as f64,
                f.get::<f64>("start_s")?,
                f.get::<f64>("park_s")?,
            ))
        });
    match measured {
        Ok((bytes, start_s, park_s)) => Row::library_only(
            figure,
            format!(
                "{bytes:.0} B per session (RSS growth / n; started in {start_s:.1} s, all parked {park_s:.1} s later; 1 round)"
            ),
            target,
            Some(bytes < 2_700.0),
        ),
        Err(error) => Row::broken(figure, &error, target),
    }
}

fn revival_row(n: usize, place: &str, parked_in: &str, target: &'static str, limit: f64) -> Row {
    let figure = format!(
        "revival latency (next call to a parked session: revive + call), parked {parked_in}, {} sessions, p50 / p99",
        thousands(n)
    );
    progress(&format!("{figure}, in a fresh process"));
    let measured = child::run(&["__revive".to_owned(), place.to_owned(), n.to_string()])
        .and_then(|f| Ok((f.get::<f64>("p50_s")?, f.get::<f64>("p99_s")?)));
    match measured {
        Ok((p50, p99)) => Row::library_only(
            figure,
            format!("p50 {:.1} µs; p99 {:.1} µs (1 round)", p50 * 1e6, p99 * 1e6),
            target,
            Some(p99 <= limit),
        ),
        Err(error) => Row::broken(figure, &error, target),
    }
}

/// A manager that parks its default sessions as `config` says, in memory or (`sqlite`)
/// in a SQLite store in `dir`.
async fn parking_manager(
    place: &str,
    config: SessionConfig,
    dir: &Path,
) -> Result<SessionManager, RunError> {
    let builder = SessionManager::builder(config);
    let builder = match place {
        "memory" => builder,
        "sqlite" => {
            let store = SqliteStore::open(dir.join("sessions.db"))
                .await
                .map_err(|e| RunError::Failed(format!("the SQLite store: {e}")))?;
            builder.with_store(Arc::new(store))
        }
        other => return Err(RunError::Failed(format!("unknown place {other}"))),
    };
    builder
        .spawn()
        .await
        .map_err(|e| RunError::Failed(format!("the manager: {e}")))
}

/// Waits until `n` sessions of `manager` are parked (and, with a store, written and out
/// of memory), at most ten minutes.
async fn all_parked(manager: &SessionManager, n: usize) -> Result<(), RunError> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while manager.stats().parked != Some(n) {
        if Instant::now() >= deadline {
            return Err(RunError::Failed(format!(
                "{:?} of {n} sessions parked after ten minutes",
                manager.stats().parked
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // With a store: every parked state written, and its bytes released.
    manager
        .flush()
        .await
        .map_err(|e| RunError::Failed(format!("flush: {e}")))
}

fn start_failed(e: impl std::fmt::Display) -> RunError {
    RunError::Failed(format!("a start: {e}"))
}

/// `__parked <where> <n>`: starts `n` default sessions, lets them all park, and prints
/// the RSS before and after, the time to start them and the time until all were parked.
pub(crate) fn parked_child(place: &str, n: usize) -> Result<String, RunError> {
    let rt = runtime();
    let dir = tempfile::tempdir().map_err(|e| RunError::Failed(e.to_string()))?;
    let place = place.to_owned();
    on_runtime(&rt, async move {
        let config = bench_config(n.max(1) + 1)
            .with_passivate_after(Some(Duration::from_secs(1)))
            .with_max_active(Some(MAX_ACTIVE));
        let manager = parking_manager(&place, config, dir.path()).await?;
        let ids = fresh_ids(n);
        // Warms the allocator, the runtime and (with SQLite) the store first.
        manager.start("warm-up").await.map_err(start_failed)?;
        manager.terminate("warm-up").await.map_err(start_failed)?;
        manager.flush().await.map_err(start_failed)?;
        let before = rss_bytes().unwrap_or(0);
        let began = Instant::now();
        for (i, id) in ids.iter().enumerate() {
            manager.start(id).await.map_err(start_failed)?;
            if n >= 100_000 && (i + 1).is_multiple_of(n / 10) {
                eprintln!("[report]   started: {}/{n}", i + 1);
            }
        }
        let start_s = began.elapsed().as_secs_f64();
        all_parked(&manager, n).await?;
        let park_s = began.elapsed().as_secs_f64() - start_s;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let after = rss_bytes().unwrap_or(0);
        Ok(format!(
            "rss_before={before} rss_after={after} start_s={start_s} park_s={park_s}"
        ))
    })
}

/// `__revive <where> <n>`: parks `n` sessions holding a small cart, then times the next
/// call to each one by one; prints p50 and p99. Invalid unless every call revived its
/// session.
pub(crate) fn revive_child(place: &str, n: usize) -> Result<String, RunError> {
    let rt = runtime();
    let dir = tempfile::tempdir().map_err(|e| RunError::Failed(e.to_string()))?;
    let place = place.to_owned();
    on_runtime(&rt, async move {
        let config = bench_config(n.max(1)).with_passivate_after(Some(Duration::from_millis(500)));
        let manager = parking_manager(&place, config, dir.path()).await?;
        let ids = fresh_ids(n);
        let cart = serde_json::json!([{"sku": "A-100", "qty": 2}, {"sku": "B-7", "qty": 1}]);
        for id in &ids {
            manager.start(id).await.map_err(start_failed)?;
            manager
                .cast(id, KvMsg::put("cart", cart.clone()))
                .await
                .map_err(start_failed)?;
        }
        all_parked(&manager, n).await?;
        let revived_before = manager.counters().revived.unwrap_or(0);
        let mut took = Vec::with_capacity(n);
        for id in &ids {
            let began = Instant::now();
            manager
                .call(id, KvMsg::Ping)
                .await
                .map_err(|e| RunError::Failed(format!("a call: {e}")))?;
            took.push(began.elapsed());
        }
        let revived = manager.counters().revived.unwrap_or(0) - revived_before;
        if revived != n as u64 {
            return Err(RunError::Invalid(format!(
                "{revived} of {n} calls revived their session (the others were not parked)"
            )));
        }
        took.sort_unstable();
        let p50 = took[n / 2].as_secs_f64();
        let p99 = took[(n * 99 / 100).min(n - 1)].as_secs_f64();
        Ok(format!("p50_s={p50} p99_s={p99}"))
    })
}

fn zipf_row(s: &Scale, max_active: Option<usize>) -> Row {
    let kept = match max_active {
        None => "every session kept active (the baseline, no passivation)".to_owned(),
        Some(max) => format!("`max_active` = {}", thousands(max)),
    };
    let figure = format!(
        "Zipf workload (s = {DEFAULT_EXPONENT}), {} sessions, {} requests from 2 tasks, {kept}",
        thousands(s.zipf_sessions),
        thousands(s.zipf_requests)
    );
    progress(&format!("{figure}, in a fresh process"));
    let mut args = vec![
        "__zipf".to_owned(),
        s.zipf_sessions.to_string(),
        s.zipf_requests.to_string(),
    ];
    args.extend(max_active.map(|max| max.to_string()));
    let figures = child::run(&args).and_then(|f| {
        Ok((
            f.get::<f64>("run_s")?,
            f.get::<f64>("peak_rss_mb")?,
            f.get::<usize>("live")?,
            f.get::<u64>("revived")?,
        ))
    });
    match figures {
        Ok((run_s, peak_mb, live, revived)) => Row::library_only(
            figure,
            format!(
                "{:.1} k requests/s; peak RSS {peak_mb:.0} MB; {} sessions live at the end; {:.1} k revivals/s (1 round)",
                s.zipf_requests as f64 / run_s / 1e3,
                thousands(live),
                revived as f64 / run_s / 1e3
            ),
            "—",
            None,
        ),
        Err(error) => Row::broken(figure, &error, "—"),
    }
}

/// `__zipf <sessions> <requests> [max_active]`: requests from 2 tasks to sessions drawn by
/// [`ZipfKeys`] (each task its own seed); each request starts its session if it is not
/// live yet and calls it once, as a web request does. With `max_active`, the least
/// recently used sessions are parked above it and revived by their next request. Prints
/// the time, the peak RSS, the sessions live at the end and the revivals.
pub(crate) fn zipf_child(
    sessions: usize,
    requests: usize,
    max_active: Option<usize>,
) -> Result<String, RunError> {
    const TASKS: usize = 2;
    let rt = runtime();
    on_runtime(&rt, async move {
        let config = bench_config(sessions.max(1)).with_max_active(max_active);
        let lib = Library::spawn(config).await;
        let manager = lib.manager().clone();
        let ids: Arc<Vec<SessionId>> =
            Arc::new((0..sessions).map(|_| SessionId::generate()).collect());
        let errors = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(rss_bytes().unwrap_or(0) as usize));
        let began = Instant::now();
        let workers: Vec<_> = (0..TASKS)
            .map(|t| {
                let (manager, ids, errors, peak) = (
                    manager.clone(),
                    Arc::clone(&ids),
                    Arc::clone(&errors),
                    Arc::clone(&peak),
                );
                let keys = ZipfKeys::new(sessions, DEFAULT_EXPONENT, t as u64 + 1);
                tokio::spawn(async move {
                    let Ok(keys) = keys else {
                        errors.fetch_add(1, Ordering::Relaxed);
                        return;
                    };
                    for (i, k) in keys.take(requests / TASKS).enumerate() {
                        let answered = match manager
                            .get_or_start_session_with(&ids[k], || (KvSession, Default::default()))
                            .await
                        {
                            Ok(session) => session.call(KvMsg::Ping).await.is_ok(),
                            Err(_) => false,
                        };
                        if !answered {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        if i % 65_536 == 0 {
                            peak.fetch_max(rss_bytes().unwrap_or(0) as usize, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            worker
                .await
                .map_err(|e| RunError::Failed(format!("a Zipf task: {e}")))?;
        }
        let run_s = began.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak.fetch_max(rss_bytes().unwrap_or(0) as usize, Ordering::Relaxed);
        let live = manager.count();
        let revived = manager.counters().revived.unwrap_or(0);
        manager.shutdown().await;
        match errors.load(Ordering::Relaxed) {
            0 => Ok(format!(
                "run_s={run_s} peak_rss_mb={} live={live} revived={revived}",
                peak.load(Ordering::Relaxed) as f64 / 1e6
            )),
            errors => Err(RunError::Failed(format!(
                "{errors} requests of the Zipf workload failed"
            ))),
        }
    })
}
