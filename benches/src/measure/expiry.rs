//! Expiry throughput: sessions whose deadlines fall together, from the deadline until
//! every one has stopped and left its registry. Each measurement checks its own
//! assumption — that every session was started (and, for the library, touched) before its
//! deadline — and reports a broken one as an invalid run, not as an error of the library.

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use ractor::Actor;
use tokio::time::Instant;

use super::fresh_ids;
use crate::RunError;
use crate::contenders::{
    BareTokio, Contender, ExpiringActor, ExpiringArgs, ExpiryTally, Library, QuietSupervisor,
    RawRactor, bench_config, spawn_expiring_task,
};

/// Polls `done` every 100 µs until it holds or `limit` passes; `false` on timeout.
async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while !done() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        // A short real sleep off the runtime's timer (whose resolution is 1 ms).
        tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_micros(100)))
            .await
            .expect("sleep completes");
    }
    true
}

/// One expiry measurement: how long starting the sessions took, and the time from their
/// deadline until every one was gone — or why there is no such time.
#[derive(Debug)]
pub struct ExpiryRun {
    /// Time to start every session (before any deadline was set or refreshed).
    pub start_phase: Duration,
    /// From the earliest deadline until every session had stopped and left the registry.
    pub outcome: Result<Duration, RunError>,
}

/// The idle timeout (or shared deadline) for sessions whose start phase took
/// `start_phase`: three times that, plus 100 ms.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let ttl = ractor_session_benches::measure::ttl_after(Duration::from_secs(2));
/// assert_eq!(ttl, Duration::from_millis(6_100));
/// ```
#[must_use]
pub fn ttl_after(start_phase: Duration) -> Duration {
    start_phase * 3 + Duration::from_millis(100)
}

/// How long to wait for every session to go once its deadline has passed.
const EXPIRY_LIMIT: Duration = Duration::from_secs(60);

/// Expiry throughput of this library: `n` sessions with idle timeout `ttl` are started,
/// then all touched so that their deadlines fall together. The outcome is the time from
/// the earliest deadline until every session has left the registry and its actor has
/// stopped (the supervisor has no children left).
///
/// The run is invalid when starting and touching took longer than `ttl` (the first
/// sessions may have expired before their touch); a touch that fails sooner, or sessions
/// still there a minute after their deadline, are failures.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let rt = ractor_session_benches::runtime();
/// let run = ractor_session_benches::on_runtime(
///     &rt,
///     ractor_session_benches::measure::expiry_library(50, Duration::from_secs(1)),
/// );
/// assert!(run.outcome.expect("a second is plenty for 50 sessions").as_nanos() > 0);
/// ```
pub async fn expiry_library(n: usize, ttl: Duration) -> ExpiryRun {
    let lib = Library::spawn(bench_config(n.max(1)).with_idle_timeout(ttl)).await;
    let ids = fresh_ids(n);
    let began = Instant::now();
    for id in &ids {
        lib.start(id).await;
    }
    let start_phase = began.elapsed();
    let due = Instant::now() + ttl;
    let mut untouched = 0;
    for id in &ids {
        untouched += usize::from(lib.manager().touch(id).await.is_err());
    }
    let touched = began.elapsed();
    let outcome = if untouched > 0 && touched >= ttl {
        Err(RunError::Invalid(format!(
            "starting and touching {n} sessions took {touched:.2?}, longer than their idle timeout \
             ({ttl:.2?}): {untouched} expired before their touch"
        )))
    } else if untouched > 0 {
        Err(RunError::Failed(format!(
            "{untouched} of {n} sessions could not be touched {touched:.2?} after the first \
             started, within their {ttl:.2?} idle timeout"
        )))
    } else {
        tokio::time::sleep_until(due).await;
        let manager = lib.manager().clone();
        let gone = wait_until(ttl + EXPIRY_LIMIT, || super::is_drained(&manager)).await;
        let took = due.elapsed();
        gone.then_some(took).ok_or_else(|| {
            RunError::Failed(format!(
                "{} sessions were still there {took:.2?} after their deadline",
                manager.count()
            ))
        })
    };
    lib.manager().shutdown().await;
    ExpiryRun {
        start_phase,
        outcome,
    }
}

/// The rest of a run whose `n` sessions share one `deadline`, `ttl` after their start
/// phase `began`: invalid when the deadline passed before the last had started; else the
/// time from the deadline until all have ended (`tally`) and left their map (`emptied`).
async fn after_shared_deadline(
    n: usize,
    began: Instant,
    deadline: Instant,
    ttl: Duration,
    what: &str,
    tally: &ExpiryTally,
    emptied: impl Fn() -> bool,
) -> Result<Duration, RunError> {
    let now = Instant::now();
    if now >= deadline {
        return Err(RunError::Invalid(format!(
            "starting {n} {what} took {:.2?}, past their shared deadline ({ttl:.2?} after the \
             first start)",
            now - began
        )));
    }
    tokio::time::sleep_until(deadline).await;
    let gone = wait_until(ttl + EXPIRY_LIMIT, || tally.ended() == n && emptied()).await;
    let took = deadline.elapsed();
    gone.then_some(took).ok_or_else(|| {
        RunError::Failed(format!(
            "{} {what} were still running {took:.2?} after their deadline",
            n - tally.ended()
        ))
    })
}

/// Expiry throughput of raw ractor: `n` [`ExpiringActor`]s sharing one deadline, `ttl`
/// after the first is started. The outcome is the time from the deadline until every
/// one has removed itself and stopped; invalid when the deadline passed before they had
/// all started.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let rt = ractor_session_benches::runtime();
/// let run = ractor_session_benches::on_runtime(
///     &rt,
///     ractor_session_benches::measure::expiry_raw_ractor(50, Duration::from_secs(1)),
/// );
/// assert!(run.outcome.is_ok());
/// ```
pub async fn expiry_raw_ractor(n: usize, ttl: Duration) -> ExpiryRun {
    let (supervisor, _) = Actor::spawn(None, QuietSupervisor, ())
        .await
        .expect("supervisor starts");
    let sessions = Arc::new(DashMap::new());
    let tally = Arc::new(ExpiryTally::default());
    let began = Instant::now();
    let deadline = began + ttl;
    for id in fresh_ids(n) {
        let args = ExpiringArgs {
            id: id.clone(),
            sessions: Arc::clone(&sessions),
            deadline,
            tally: Arc::clone(&tally),
        };
        let (actor, _) = Actor::spawn_linked(None, ExpiringActor, args, supervisor.get_cell())
            .await
            .expect("actor starts");
        sessions.insert(id, actor);
    }
    let start_phase = began.elapsed();
    let outcome = after_shared_deadline(n, began, deadline, ttl, "actors", &tally, || {
        sessions.is_empty()
    })
    .await;
    supervisor.stop(None);
    ExpiryRun {
        start_phase,
        outcome,
    }
}

/// Expiry throughput of bare tokio tasks: `n` tasks waiting on their channel with one
/// shared deadline (`timeout_at`), `ttl` after the first is started. The outcome is the
/// time from the deadline until every task has removed itself and ended; invalid when the
/// deadline passed before they had all started.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let rt = ractor_session_benches::runtime();
/// let run = ractor_session_benches::on_runtime(
///     &rt,
///     ractor_session_benches::measure::expiry_bare_tokio(50, Duration::from_secs(1)),
/// );
/// assert!(run.outcome.is_ok());
/// ```
pub async fn expiry_bare_tokio(n: usize, ttl: Duration) -> ExpiryRun {
    let sessions = Arc::new(DashMap::new());
    let tally = Arc::new(ExpiryTally::default());
    let began = Instant::now();
    let deadline = began + ttl;
    for id in fresh_ids(n) {
        spawn_expiring_task(&id, &sessions, deadline, &tally);
    }
    let start_phase = began.elapsed();
    let outcome = after_shared_deadline(n, began, deadline, ttl, "tasks", &tally, || {
        sessions.is_empty()
    })
    .await;
    ExpiryRun {
        start_phase,
        outcome,
    }
}

/// Expiry time of `n` sessions for contender `C`, with an idle timeout (or shared
/// deadline) fitted to the start phase: first 50 µs per session + 100 ms (ten times the
/// expected cost of a start); when the start phase outlasted it (a slow or busy machine),
/// once more with [`ttl_after`] the start phase just measured. Still invalid after that,
/// or failed: the [`RunError`].
///
/// # Errors
///
/// [`RunError::Invalid`] when both attempts' start phases outlasted their timeouts,
/// [`RunError::Failed`] when the sessions did not all expire.
///
/// # Examples
///
/// ```
/// use ractor_session_benches::{RawRactor, measure};
/// let rt = ractor_session_benches::runtime();
/// let took = ractor_session_benches::on_runtime(&rt, measure::expiry::<RawRactor>(10));
/// assert!(took.expect("10 sessions expire").as_nanos() > 0);
/// ```
pub async fn expiry<C: Contender>(n: usize) -> Result<Duration, RunError> {
    let first = Duration::from_millis(100) + Duration::from_micros(50) * n as u32;
    let run = expiry_once::<C>(n, first).await;
    match run.outcome {
        Err(RunError::Invalid(_)) => {
            expiry_once::<C>(n, ttl_after(run.start_phase))
                .await
                .outcome
        }
        outcome => outcome,
    }
}

async fn expiry_once<C: Contender>(n: usize, ttl: Duration) -> ExpiryRun {
    match C::NAME {
        Library::NAME => expiry_library(n, ttl).await,
        RawRactor::NAME => expiry_raw_ractor(n, ttl).await,
        BareTokio::NAME => expiry_bare_tokio(n, ttl).await,
        other => unreachable!("no expiry measurement for {other}"),
    }
}
