//! Memory per idle session (each contender, each round in a fresh process), and the
//! library holding a million idle sessions until they expire — with an idle timeout
//! derived from the start phase measured by the memory rounds of the same run.

use std::time::{Duration, Instant};

use ractor_session_benches::{
    BareTokio, Contender, Library, RawRactor, RunError, bench_config, fresh_ids, measure,
    on_runtime, rss_bytes, runtime, thousands,
};

use crate::child::{self, Figures};
use crate::table::{Kind, Rounds, Row};
use crate::{Scale, progress};

const CONTENDERS: [&str; 3] = ["library", "raw", "tokio"];

/// The memory rows, then the hold row.
pub(crate) fn rows(s: &Scale) -> Vec<Row> {
    let mut rows = Vec::new();
    for n in [s.memory_small, s.memory_large] {
        let mut figures = [
            Rounds::new(Kind::Bytes),
            Rounds::new(Kind::Bytes),
            Rounds::new(Kind::Bytes),
        ];
        let mut library_starts = Vec::new();
        let mut broken = None;
        for round in 0..s.memory_rounds {
            for (which, contender) in CONTENDERS.iter().enumerate() {
                progress(&format!(
                    "memory, round {}/{}: {n} idle {contender} sessions in a fresh process",
                    round + 1,
                    s.memory_rounds
                ));
                let measured =
                    child::run(&["__idle".to_owned(), (*contender).to_owned(), n.to_string()])
                        .and_then(|f| Ok((bytes_per_session(&f)?, f.get::<f64>("start_s")?)));
                match measured {
                    Ok((bytes, start_s)) => {
                        figures[which].values.push(bytes);
                        if which == 0 {
                            library_starts.push(start_s);
                        }
                    }
                    Err(error) => {
                        broken.get_or_insert(error);
                    }
                }
            }
        }
        let figure = format!(
            "memory per idle session (default session), {} sessions",
            thousands(n)
        );
        let target = "≤ 8 KB (moonshot < 2.7 KB)";
        rows.push(match &broken {
            Some(error) => Row::broken(figure, error, target),
            None => Row::measured(
                figure,
                &figures,
                target,
                Some(&|lib, _| lib <= 8.0 * 1024.0),
            ),
        });
        if n == s.memory_large {
            let slowest = library_starts.iter().copied().fold(f64::NAN, f64::max);
            rows.push(hold_row(n, slowest));
        }
    }
    rows
}

fn bytes_per_session(f: &Figures) -> Result<f64, RunError> {
    let before: f64 = f.get("rss_before")?;
    let after: f64 = f.get("rss_after")?;
    let live: f64 = f.get("live")?;
    Ok((after - before) / live)
}

/// The idle timeout for holding sessions whose start phase took `start` in this run: three
/// times that, plus 2 s.
fn hold_ttl(start: Duration) -> Duration {
    start * 3 + Duration::from_secs(2)
}

fn hold_row(n: usize, slowest_start_s: f64) -> Row {
    let figure = format!("{} idle sessions: start, hold, expire", thousands(n));
    let target = "without error";
    if slowest_start_s.is_nan() {
        let error = RunError::Invalid(
            "no start phase was measured to derive the idle timeout from".to_owned(),
        );
        return Row::broken(figure, &error, target);
    }
    let ttl = hold_ttl(Duration::from_secs_f64(slowest_start_s));
    progress(&format!(
        "hold: {n} sessions, idle timeout {:.1} s (3 × this run's slowest start phase, {slowest_start_s:.1} s, + 2 s), in a fresh process",
        ttl.as_secs_f64()
    ));
    let result = child::run(&[
        "__hold".to_owned(),
        n.to_string(),
        ttl.as_millis().to_string(),
    ])
    .and_then(|f| {
        Ok((
            f.get::<f64>("start_s")?,
            f.get::<f64>("touch_s")?,
            f.get::<f64>("expire_s")?,
        ))
    });
    match result {
        Ok((start_s, touch_s, expire_s)) => Row::library_only(
            figure,
            format!(
                "started in {start_s:.1} s, touched in {touch_s:.1} s, all expired {expire_s:.1} s after the idle timeout ({:.1} s), 0 errors (1 round)",
                ttl.as_secs_f64()
            ),
            target,
            Some(true),
        ),
        Err(RunError::Invalid(reason)) => Row::broken(
            figure,
            &RunError::Invalid(format!(
                "{reason} (the idle timeout, {:.1} s, was 3 × the slowest start phase of this run's memory rounds + 2 s)",
                ttl.as_secs_f64()
            )),
            target,
        ),
        Err(error) => Row::broken(figure, &error, target),
    }
}

// ---------------------------------------------------------------------------------------
// Children

fn every_tenth(i: usize, n: usize, what: &str) {
    if n >= 100_000 && (i + 1).is_multiple_of(n / 10) {
        eprintln!("[report]   {what}: {}/{n}", i + 1);
    }
}

/// `__idle <contender> <n>`: starts `n` idle sessions; prints the RSS before and after,
/// the live count and how long the starts took.
pub(crate) fn idle_child(contender: &str, n: usize) -> Result<String, RunError> {
    let rt = runtime();
    let ids = fresh_ids(n);
    match contender {
        "library" => on_runtime(&rt, async move {
            let lib = Library::spawn(bench_config(n.max(1))).await;
            let line = idle(&lib, ids).await;
            lib.manager().shutdown().await;
            line
        }),
        "raw" => on_runtime(
            &rt,
            async move { idle(&RawRactor::spawn().await, ids).await },
        ),
        "tokio" => on_runtime(&rt, async { idle(&BareTokio::new(), ids).await }),
        other => Err(RunError::Failed(format!("unknown contender {other}"))),
    }
}

/// Warms the allocator and runtime with one session first, so the baseline is not
/// flattered.
async fn idle<C: Contender>(c: &C, ids: Vec<String>) -> Result<String, RunError> {
    c.start("warm-up").await;
    c.terminate("warm-up").await;
    let before = rss_bytes().unwrap_or(0);
    let began = Instant::now();
    for (i, id) in ids.iter().enumerate() {
        c.start(id).await;
        every_tenth(i, ids.len(), "started");
    }
    let start_s = began.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = rss_bytes().unwrap_or(0);
    Ok(format!(
        "rss_before={before} rss_after={after} live={} start_s={start_s}",
        c.live()
    ))
}

/// `__hold <n> <ttl_ms>`: starts `n` sessions with that idle timeout, touches each once,
/// and waits until all have expired. Invalid when the starts come so close to the timeout
/// that the first sessions could expire before their touch.
pub(crate) fn hold_child(n: usize, ttl: Duration) -> Result<String, RunError> {
    let rt = runtime();
    on_runtime(&rt, async move {
        let lib = Library::spawn(bench_config(n.max(1)).with_idle_timeout(ttl)).await;
        let result = hold(&lib, n, ttl).await;
        lib.manager().shutdown().await;
        result
    })
}

async fn hold(lib: &Library, n: usize, ttl: Duration) -> Result<String, RunError> {
    let manager = lib.manager();
    let ids = fresh_ids(n);
    let mut started_at = Vec::with_capacity(n);
    let mut errors = 0usize;
    let began = Instant::now();
    for (i, id) in ids.iter().enumerate() {
        if began.elapsed() >= ttl.mul_f64(0.9) {
            return Err(RunError::Invalid(format!(
                "starting {i} of {n} sessions took {:.1} s, 90% of their idle timeout: the first would expire before the touch pass",
                began.elapsed().as_secs_f64()
            )));
        }
        if manager.start(id).await.is_err() {
            errors += 1;
        }
        started_at.push(Instant::now());
        every_tenth(i, n, "started");
    }
    let start_s = began.elapsed().as_secs_f64();
    // Touch every session once: activity must keep it alive.
    let touching = Instant::now();
    let mut late = 0usize;
    for (id, at) in ids.iter().zip(&started_at) {
        if manager.touch(id).await.is_err() {
            if at.elapsed() >= ttl {
                late += 1;
            } else {
                errors += 1;
            }
        }
    }
    let touch_s = touching.elapsed().as_secs_f64();
    if late > 0 {
        return Err(RunError::Invalid(format!(
            "{late} sessions were touched later than their idle timeout after their start (starts took {start_s:.1} s, touches {touch_s:.1} s)"
        )));
    }
    if errors > 0 {
        return Err(RunError::Failed(format!(
            "{errors} of {n} sessions could not be started, or touched within their idle timeout"
        )));
    }
    let held = Instant::now();
    eprintln!(
        "[report]   holding {n} sessions; they expire {:.1} s after their touch",
        ttl.as_secs_f64()
    );
    if !measure::drained_within(manager, ttl + Duration::from_secs(120)).await {
        return Err(RunError::Failed(format!(
            "{} sessions were still live 120 s after their idle timeout",
            manager.count()
        )));
    }
    let expire_s = held.elapsed().saturating_sub(ttl).as_secs_f64();
    Ok(format!(
        "start_s={start_s} touch_s={touch_s} expire_s={expire_s}"
    ))
}
