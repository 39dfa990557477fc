//! Churn: a million sessions through start → call → expiry, in a fresh process; the
//! registry must be empty after each half (no registry or timer leak).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ractor_session::{KvMsg, SessionError, SessionId, SessionManager};
use ractor_session_benches::{
    Library, RunError, bench_config, measure, on_runtime, rss_bytes, runtime, thousands,
};

use crate::child;
use crate::table::Row;
use crate::{Scale, progress};

/// The churn row.
pub(crate) fn row(s: &Scale) -> Row {
    let figure = format!(
        "churn of {} sessions: start → call → expiry ({} ms idle timeout)",
        thousands(s.churn),
        s.churn_ttl.as_millis()
    );
    let target = "no registry/timer leak";
    progress(&format!(
        "churn: {} sessions start → call → expiry (idle timeout {:?}) in a fresh process",
        s.churn, s.churn_ttl
    ));
    let figures = child::run(&[
        "__churn".to_owned(),
        s.churn.to_string(),
        s.churn_ttl.as_millis().to_string(),
    ])
    .and_then(|f| {
        Ok((
            f.get::<f64>("run_s")?,
            f.get::<f64>("drain_s")?,
            f.get::<usize>("peak_live")?,
            f.get::<f64>("rss_first_mb")?,
            f.get::<f64>("rss_second_mb")?,
        ))
    });
    match figures {
        Ok((run_s, drain_s, peak, rss_first, rss_second)) => Row::library_only(
            figure,
            format!(
                "{:.1} k/s start+call (2 tasks); peak {} live; registry empty at most {drain_s:.1} s after the last start; 0 errors; RSS after draining each half: {rss_first:.0} MB, {rss_second:.0} MB (1 round)",
                s.churn as f64 / run_s / 1e3,
                thousands(peak),
            ),
            target,
            Some(true),
        ),
        Err(error) => Row::broken(figure, &error, target),
    }
}

/// What the churning tasks count.
#[derive(Debug, Default)]
struct Tally {
    done: AtomicUsize,
    /// Start or call failed although the call came within the idle timeout of the start.
    errors: AtomicUsize,
    /// The call came later than the idle timeout after the start (a stalled machine):
    /// the session may rightly have expired.
    late: AtomicUsize,
    peak: AtomicUsize,
}

/// `__churn <n> <ttl_ms>`: churns `n` sessions through start → call → expiry from 2
/// tasks (one per worker), in two halves; prints throughput, the peak of live sessions,
/// how long the registry took to drain after each half, and the RSS after each drain
/// (growth from the first drain to the second would be a leak: the allocator keeps what
/// the first half freed for reuse).
pub(crate) fn churn_child(n: usize, ttl: Duration) -> Result<String, RunError> {
    let rt = runtime();
    on_runtime(&rt, async move {
        let lib = Library::spawn(bench_config(n.max(1)).with_idle_timeout(ttl)).await;
        let manager = lib.manager().clone();
        let result = churn(&manager, n, ttl).await;
        manager.shutdown().await;
        result
    })
}

async fn churn(manager: &SessionManager, n: usize, ttl: Duration) -> Result<String, RunError> {
    const TASKS: usize = 2;
    let tally = Arc::new(Tally::default());
    let (mut run, mut drain) = (Duration::ZERO, Duration::ZERO);
    let mut rss = Vec::new();
    for half in [n / 2, n - n / 2] {
        let target = tally.done.load(Ordering::Relaxed) + half;
        let began = Instant::now();
        let workers: Vec<_> = (0..TASKS)
            .map(|t| {
                let (manager, tally) = (manager.clone(), Arc::clone(&tally));
                let share = half / TASKS + usize::from(t < half % TASKS);
                tokio::spawn(async move {
                    for _ in 0..share {
                        // IDs made as we go: a million held at once would blur RSS.
                        let id = SessionId::generate();
                        let began = Instant::now();
                        let outcome = match manager.start(&id).await {
                            Ok(_) => manager.call(&id, KvMsg::Ping).await.map(drop),
                            Err(error) => Err(error),
                        };
                        match outcome {
                            Ok(()) => {}
                            // Gone by the time of the call, which came after its idle
                            // timeout: the run's assumption broke, not the library.
                            Err(SessionError::SessionNotFound { .. }) if began.elapsed() >= ttl => {
                                tally.late.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(_) => {
                                tally.errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        tally.done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let watcher = {
            let (manager, tally) = (manager.clone(), Arc::clone(&tally));
            tokio::spawn(async move {
                let mut last_report = Instant::now();
                while tally.done.load(Ordering::Relaxed) < target {
                    tally.peak.fetch_max(manager.count(), Ordering::Relaxed);
                    if last_report.elapsed() >= Duration::from_secs(2) {
                        eprintln!(
                            "[report]   churn: {}/{n}, {} live",
                            tally.done.load(Ordering::Relaxed),
                            manager.count()
                        );
                        last_report = Instant::now();
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        };
        for worker in workers {
            worker
                .await
                .map_err(|e| RunError::Failed(format!("a churn task: {e}")))?;
        }
        run += began.elapsed();
        let _ = watcher.await;
        let drained = Instant::now();
        if !measure::drained_within(manager, ttl + Duration::from_secs(120)).await {
            return Err(RunError::Failed(format!(
                "the registry still held {} sessions 120 s after the last idle timeout",
                manager.count()
            )));
        }
        let stats = manager.stats();
        if stats.live != 0 || stats.starting != 0 || !manager.list().is_empty() {
            return Err(RunError::Failed(format!(
                "after draining, stats() says {} live and {} starting, list() has {}",
                stats.live,
                stats.starting,
                manager.list().len()
            )));
        }
        drain = drain.max(drained.elapsed());
        rss.push(rss_bytes().unwrap_or(0) as f64 / 1e6);
    }
    let (errors, late) = (
        tally.errors.load(Ordering::Relaxed),
        tally.late.load(Ordering::Relaxed),
    );
    if late > 0 {
        return Err(RunError::Invalid(format!(
            "{late} calls came later than the {ttl:?} idle timeout after their session's start (a stalled machine); their sessions may rightly have expired"
        )));
    }
    if errors > 0 {
        return Err(RunError::Failed(format!(
            "{errors} of {n} sessions failed to start or to answer a call within their idle timeout"
        )));
    }
    Ok(format!(
        "run_s={} drain_s={} peak_live={} rss_first_mb={} rss_second_mb={}",
        run.as_secs_f64(),
        drain.as_secs_f64(),
        tally.peak.load(Ordering::Relaxed),
        rss[0],
        rss[1],
    ))
}
