//! The measured loops, written once for every [`Contender`].
//!
//! Each function sets up what it needs (untimed), times only the operation it is named
//! after, cleans up (untimed) and returns the elapsed time. Run them on a runtime worker
//! with [`on_runtime`](crate::on_runtime): a caller outside the runtime pays a cross-thread
//! wake-up on every await.

mod expiry;

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use ractor_session::{SessionId, SessionManager};
use tokio::time::Instant;

use crate::contenders::Contender;

pub use expiry::{
    ExpiryRun, expiry, expiry_bare_tokio, expiry_library, expiry_raw_ractor, ttl_after,
};

/// `n` fresh, distinct, valid session IDs (32 characters, as the library generates).
///
/// # Examples
///
/// ```
/// let ids = ractor_session_benches::fresh_ids(3);
/// assert_eq!(ids.len(), 3);
/// assert_ne!(ids[0], ids[1]);
/// ```
#[must_use]
pub fn fresh_ids(n: usize) -> Vec<String> {
    (0..n).map(|_| SessionId::generate().to_string()).collect()
}

/// Splits `ids` into `parts` owned chunks of near-equal length.
fn split(ids: Vec<String>, parts: usize) -> Vec<Vec<String>> {
    let per = ids.len().div_ceil(parts.max(1)).max(1);
    let mut chunks = Vec::with_capacity(parts);
    let mut ids = ids.into_iter().peekable();
    while ids.peek().is_some() {
        chunks.push(ids.by_ref().take(per).collect());
    }
    chunks
}

/// Runs `work` on each chunk of `ids` in its own task (`tasks` of them, started together)
/// and returns the wall time until all are done.
async fn timed_in_tasks<C, F, Fut>(c: &Arc<C>, ids: Vec<String>, tasks: usize, work: F) -> Duration
where
    C: Contender,
    F: Fn(Arc<C>, Vec<String>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let chunks = split(ids, tasks);
    let began = Instant::now();
    let handles: Vec<_> = chunks
        .into_iter()
        .map(|chunk| tokio::spawn(work(Arc::clone(c), chunk)))
        .collect();
    for handle in handles {
        handle.await.expect("measured task completes");
    }
    began.elapsed()
}

/// Time to start `n` sessions, from `tasks` concurrent tasks (each awaiting its starts one
/// after another). The sessions are terminated afterwards, untimed.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use ractor_session_benches::{BareTokio, Contender, measure};
///
/// let rt = ractor_session_benches::runtime();
/// let c = Arc::new(BareTokio::new());
/// let took = ractor_session_benches::on_runtime(&rt, measure::creation(Arc::clone(&c), 100, 2));
/// assert!(took.as_nanos() > 0);
/// assert_eq!(c.live(), 0);
/// ```
pub async fn creation<C: Contender>(c: Arc<C>, n: usize, tasks: usize) -> Duration {
    let ids = fresh_ids(n);
    let took = timed_in_tasks(&c, ids.clone(), tasks, |c, chunk| async move {
        for id in &chunk {
            c.start(id).await;
        }
    })
    .await;
    for id in &ids {
        c.terminate(id).await;
    }
    took
}

/// Time to terminate `n` live sessions (started untimed), from `tasks` concurrent tasks.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use ractor_session_benches::{BareTokio, Contender, measure};
///
/// let rt = ractor_session_benches::runtime();
/// let c = Arc::new(BareTokio::new());
/// ractor_session_benches::on_runtime(&rt, measure::cleanup(Arc::clone(&c), 100, 1));
/// assert_eq!(c.live(), 0);
/// ```
pub async fn cleanup<C: Contender>(c: Arc<C>, n: usize, tasks: usize) -> Duration {
    let ids = fresh_ids(n);
    for id in &ids {
        c.start(id).await;
    }
    timed_in_tasks(&c, ids, tasks, |c, chunk| async move {
        for id in &chunk {
            c.terminate(id).await;
        }
    })
    .await
}

/// Which lookup [`lookups`] measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupKind {
    /// `is_started`: a yes or no.
    IsStarted,
    /// A typed handle (`lookup::<KvMsg>`), cloned out of the registry.
    Typed,
}

/// Wall time for 2 threads to do `per_thread` lookups each, round-robin over `live`
/// live sessions (started untimed). The two tasks are held at a barrier so they run on
/// both workers at once.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use ractor_session_benches::{BareTokio, measure};
///
/// let rt = ractor_session_benches::runtime();
/// let c = Arc::new(BareTokio::new());
/// let took = ractor_session_benches::on_runtime(
///     &rt,
///     measure::lookups(c, measure::LookupKind::Typed, 10, 1_000),
/// );
/// assert!(took.as_nanos() > 0);
/// ```
pub async fn lookups<C: Contender>(
    c: Arc<C>,
    kind: LookupKind,
    live: usize,
    per_thread: usize,
) -> Duration {
    const THREADS: usize = 2;
    let ids = Arc::new(fresh_ids(live.max(1)));
    for id in ids.iter() {
        c.start(id).await;
    }
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (c, ids, barrier) = (Arc::clone(&c), Arc::clone(&ids), Arc::clone(&barrier));
            tokio::spawn(async move {
                // Blocking on purpose: it pins the two tasks to the two workers.
                barrier.wait();
                let began = Instant::now();
                let mut found = 0usize;
                let mut i = t * ids.len() / THREADS;
                for _ in 0..per_thread {
                    let id = ids[i].as_str();
                    found += usize::from(match kind {
                        LookupKind::IsStarted => c.is_live(black_box(id)),
                        LookupKind::Typed => c.lookup(black_box(id)).await,
                    });
                    i += 1;
                    if i == ids.len() {
                        i = 0;
                    }
                }
                assert_eq!(found, per_thread, "every lookup finds its session");
                began.elapsed()
            })
        })
        .collect();
    let mut took = Duration::ZERO;
    for handle in handles {
        took = took.max(handle.await.expect("lookup task completes"));
    }
    for id in ids.iter() {
        c.terminate(id).await;
    }
    took
}

/// Time for `n` sequential call round trips to one session.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use ractor_session_benches::{BareTokio, measure};
///
/// let rt = ractor_session_benches::runtime();
/// let took = ractor_session_benches::on_runtime(&rt, measure::calls(Arc::new(BareTokio::new()), 100));
/// assert!(took.as_nanos() > 0);
/// ```
pub async fn calls<C: Contender>(c: Arc<C>, n: usize) -> Duration {
    let id = &fresh_ids(1)[0];
    c.start(id).await;
    c.call(id).await;
    let began = Instant::now();
    for _ in 0..n {
        c.call(id).await;
    }
    let took = began.elapsed();
    c.terminate(id).await;
    took
}

/// Time to cast `n` messages to one session and have them all handled (a final call
/// waits for the mailbox to drain).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use ractor_session_benches::{BareTokio, measure};
///
/// let rt = ractor_session_benches::runtime();
/// let took = ractor_session_benches::on_runtime(&rt, measure::casts(Arc::new(BareTokio::new()), 100));
/// assert!(took.as_nanos() > 0);
/// ```
pub async fn casts<C: Contender>(c: Arc<C>, n: usize) -> Duration {
    let id = &fresh_ids(1)[0];
    c.start(id).await;
    c.call(id).await;
    let began = Instant::now();
    for _ in 0..n {
        c.cast(id).await;
    }
    c.call(id).await;
    let took = began.elapsed();
    c.terminate(id).await;
    took
}

/// Whether `manager` holds no session any more: none registered, and no actor left under
/// its supervisor.
///
/// # Examples
///
/// ```
/// use ractor_session_benches::{Library, bench_config, measure};
///
/// let rt = ractor_session_benches::runtime();
/// ractor_session_benches::on_runtime(&rt, async {
///     let lib = Library::spawn(bench_config(10)).await;
///     lib.manager().start("s1").await.unwrap();
///     assert!(!measure::is_drained(lib.manager()));
///     lib.manager().terminate("s1").await.unwrap();
///     assert!(measure::drained_within(lib.manager(), std::time::Duration::from_secs(5)).await);
///     lib.manager().shutdown().await;
/// });
/// ```
#[must_use]
pub fn is_drained(manager: &SessionManager) -> bool {
    manager.count() == 0 && manager.supervisor().get_children().is_empty()
}

/// Polls [`is_drained`] every millisecond until it holds (`true`) or `limit` has passed
/// (`false`).
///
/// # Examples
///
/// See [`is_drained`].
pub async fn drained_within(manager: &SessionManager, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while !is_drained(manager) {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn split_keeps_every_id_once() {
        let ids: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        let chunks = split(ids.clone(), 3);
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks.concat(), ids);
        assert_eq!(split(Vec::new(), 2).len(), 0);
    }
}
