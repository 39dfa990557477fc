//! Waiting for a condition with a deadline, instead of sleeping a fixed time.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long a test waits for something that should happen promptly.
///
/// Generous, because the machines that run tests are shared and can be slow: a passing test
/// never waits this long, a failing one fails after it.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// How long to wait between two checks.
const INTERVAL: Duration = Duration::from_millis(1);

/// Checks `check` until it answers `true`; panics naming `what` after [`PATIENCE`].
///
/// The condition is asynchronous so that it can make a request; a plain one is written
/// `|| async { … }`. The deadline is on the real clock, so a condition that never holds
/// fails in bounded time on tokio's paused clock too; the pause between checks is on
/// tokio's clock, which lets other tasks (and, paused, the clock) move on.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// use ractor_session_test_support::poll::eventually;
///
/// let done = Arc::new(AtomicBool::new(false));
/// let worker = Arc::clone(&done);
/// tokio::spawn(async move { worker.store(true, Ordering::SeqCst) });
/// eventually("the worker has run", || async { done.load(Ordering::SeqCst) }).await;
/// # }
/// ```
///
/// # Panics
///
/// When `check` has not answered `true` within [`PATIENCE`].
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    poll_within(what, PATIENCE, check).await;
}

/// [`eventually`] with a deadline of one's own.
async fn poll_within<F, Fut>(what: &str, patience: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + patience;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(INTERVAL).await;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[tokio::test]
    async fn returns_as_soon_as_the_condition_holds() {
        let checks = Cell::new(0);
        eventually("the third check", || async {
            checks.set(checks.get() + 1);
            checks.get() == 3
        })
        .await;
        assert_eq!(checks.get(), 3);
    }

    /// Waits briefly for a condition that never holds.
    async fn give_up_on(what: &str) {
        poll_within(what, Duration::from_millis(20), || async { false }).await;
    }

    #[tokio::test]
    #[should_panic(expected = "timed out waiting until the impossible happens")]
    async fn a_condition_that_never_holds_fails_naming_it() {
        give_up_on("the impossible happens").await;
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "timed out waiting until the paused clock gives up")]
    async fn the_deadline_holds_on_the_paused_clock() {
        give_up_on("the paused clock gives up").await;
    }
}
