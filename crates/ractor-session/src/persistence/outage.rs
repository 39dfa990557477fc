//! [`Outage`]: when to try a failing store again, and when to say so again.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::time::{Duration, Instant};

/// The first wait after a failure; it doubles up to the configured cap.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);

/// A failing store is reported at its first failure, then at most this often: a store
/// down for an hour writes about a hundred lines, not one per attempt.
pub(crate) const WARN_EVERY: Duration = Duration::from_secs(30);

/// The state of a store's failures: the exponential backoff of retries and the rate limit
/// of the warnings about them.
#[derive(Debug, Default)]
pub(crate) struct Outage {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// When the current outage began; `None` while the store answers.
    since: Option<Instant>,
    backoff: Duration,
    retry_at: Option<Instant>,
    warned_at: Option<Instant>,
}

/// What to do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failure {
    /// Whether to log it (the first of an outage, or the first in [`WARN_EVERY`]).
    pub(crate) warn: bool,
    /// How long until the next attempt.
    pub(crate) retry_in: Duration,
}

impl Outage {
    /// Records a failure at `now`; the wait before the next attempt doubles, up to `cap`.
    pub(crate) fn failed(&self, now: Instant, cap: Duration) -> Failure {
        let mut state = self.lock();
        state.since.get_or_insert(now);
        state.backoff = if state.backoff.is_zero() {
            FIRST_BACKOFF
        } else {
            state.backoff.saturating_mul(2)
        }
        .min(cap);
        state.retry_at = Some(now + state.backoff);
        let warn = state
            .warned_at
            .is_none_or(|at| now.saturating_duration_since(at) >= WARN_EVERY);
        if warn {
            state.warned_at = Some(now);
        }
        Failure {
            warn,
            retry_in: state.backoff,
        }
    }

    /// Records a success at `now`: returns how long the outage it ends lasted, if any.
    pub(crate) fn succeeded(&self, now: Instant) -> Option<Duration> {
        let mut state = self.lock();
        let since = state.since.take()?;
        *state = State::default();
        Some(now.saturating_duration_since(since))
    }

    /// When the next attempt is due, while the store fails.
    pub(crate) fn retry_at(&self) -> Option<Instant> {
        self.lock().retry_at
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding it; the state is whole either way.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let outage = Outage::default();
        let now = Instant::now();
        let cap = Duration::from_millis(300);
        let waits: Vec<_> = (0..5)
            .map(|_| outage.failed(now, cap).retry_in.as_millis())
            .collect();
        assert_eq!(waits, [50, 100, 200, 300, 300]);
        assert_eq!(outage.retry_at(), Some(now + cap));
    }

    #[test]
    fn a_failing_store_is_reported_at_once_then_at_most_every_thirty_seconds() {
        let outage = Outage::default();
        let start = Instant::now();
        let cap = Duration::from_secs(1);
        assert!(outage.failed(start, cap).warn);
        assert!(!outage.failed(start + Duration::from_secs(29), cap).warn);
        assert!(outage.failed(start + WARN_EVERY, cap).warn);
        assert!(!outage.failed(start + Duration::from_secs(31), cap).warn);
    }

    #[test]
    fn a_success_ends_the_outage_and_resets_the_backoff() {
        let outage = Outage::default();
        let start = Instant::now();
        assert_eq!(outage.succeeded(start), None, "no outage to end");
        outage.failed(start, Duration::from_secs(1));
        outage.failed(start, Duration::from_secs(1));
        let lasted = outage.succeeded(start + Duration::from_secs(4));
        assert_eq!(lasted, Some(Duration::from_secs(4)));
        assert_eq!(outage.retry_at(), None);
        let next = outage.failed(start + Duration::from_secs(5), Duration::from_secs(1));
        assert_eq!(next.retry_in, FIRST_BACKOFF);
        assert!(next.warn, "a new outage is reported");
    }
}
