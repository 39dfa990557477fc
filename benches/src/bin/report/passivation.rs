//! Passivation: memory per parked session, revival latency, and the skewed (Zipf)
//! workload over many sessions with few of them active.
//!
//! Only the workload's baseline can be measured today: the same Zipf requests with every
//! session kept active (no passivation). The rest reads "n/a (not built)". The hooks, once
//! `SessionConfig` has `passivate_after` and `max_active`:
//! - memory per parked session: an `__idle`-like child that starts `n` sessions, lets
//!   them park (`passivate_after` short, or `max_active` small), and divides the RSS
//!   growth by `n` — in memory, and with a `SqliteStore`;
//! - revival latency: park `n` sessions, then time one call to each, p50 / p99;
//! - the Zipf workload: [`zipf_child`] with `max_active` set (pass it through `__zipf`),
//!   reporting revivals per second from the manager's passivation counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ractor_session::{KvMsg, KvSession, SessionId};
use ractor_session_benches::{
    DEFAULT_EXPONENT, Library, RunError, ZipfKeys, bench_config, on_runtime, rss_bytes, runtime,
    thousands,
};

use crate::child;
use crate::table::Row;
use crate::{Scale, progress};

const NEEDS: &str = "passivation";

/// The passivation rows.
pub(crate) fn rows(s: &Scale) -> Vec<Row> {
    let mut rows = Vec::new();
    for n in [100_000, 1_000_000] {
        for parked_in in ["in memory", "in the SQLite store"] {
            rows.push(Row::not_built(
                format!(
                    "memory per parked session, {} sessions, parked {parked_in}",
                    thousands(n)
                ),
                NEEDS,
                "< 2.7 KB (moonshot ≤ 1 KB)",
            ));
        }
    }
    rows.push(Row::not_built(
        "revival latency (next call to a parked session), parked in memory, p50 / p99",
        NEEDS,
        "p99 ≤ 50 µs",
    ));
    rows.push(Row::not_built(
        "revival latency, parked in the SQLite store, p50 / p99",
        NEEDS,
        "p99 ≤ 1 ms",
    ));
    rows.push(zipf_baseline(s));
    rows.push(Row::not_built(
        format!(
            "Zipf workload, {} sessions, `max_active` = {}: requests/s, peak RSS, revivals/s",
            thousands(s.zipf_sessions),
            thousands(s.zipf_sessions / 10)
        ),
        NEEDS,
        "—",
    ));
    rows
}

fn zipf_baseline(s: &Scale) -> Row {
    let figure = format!(
        "Zipf workload (s = {DEFAULT_EXPONENT}), {} sessions, {} requests from 2 tasks, every session kept active (the baseline, no passivation)",
        thousands(s.zipf_sessions),
        thousands(s.zipf_requests)
    );
    progress(&format!("{figure}, in a fresh process"));
    let figures = child::run(&[
        "__zipf".to_owned(),
        s.zipf_sessions.to_string(),
        s.zipf_requests.to_string(),
    ])
    .and_then(|f| {
        Ok((
            f.get::<f64>("run_s")?,
            f.get::<f64>("peak_rss_mb")?,
            f.get::<usize>("live")?,
        ))
    });
    match figures {
        Ok((run_s, peak_mb, live)) => Row::library_only(
            figure,
            format!(
                "{:.1} k requests/s; peak RSS {peak_mb:.0} MB; {} sessions live at the end (1 round)",
                s.zipf_requests as f64 / run_s / 1e3,
                thousands(live)
            ),
            "—",
            None,
        ),
        Err(error) => Row::broken(figure, &error, "—"),
    }
}

/// `__zipf <sessions> <requests>`: requests from 2 tasks to sessions drawn by
/// [`ZipfKeys`] (each task its own seed); each request starts its session if it is not
/// live yet and calls it once, as a web request does. Prints the time, the peak RSS and
/// the sessions live at the end.
pub(crate) fn zipf_child(sessions: usize, requests: usize) -> Result<String, RunError> {
    const TASKS: usize = 2;
    let rt = runtime();
    on_runtime(&rt, async move {
        let lib = Library::spawn(bench_config(sessions.max(1))).await;
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
        manager.shutdown().await;
        match errors.load(Ordering::Relaxed) {
            0 => Ok(format!(
                "run_s={run_s} peak_rss_mb={} live={live}",
                peak.load(Ordering::Relaxed) as f64 / 1e6
            )),
            errors => Err(RunError::Failed(format!(
                "{errors} requests of the Zipf workload failed"
            ))),
        }
    })
}
