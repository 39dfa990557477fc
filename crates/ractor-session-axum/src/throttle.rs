//! Rate limits on `governor` (GCRA) with tokio's clock, and the log throttle built on
//! one: client-caused events are logged at most once per interval per kind.

use std::time::Duration;

use dashmap::DashMap;
use governor::clock::Clock;
use governor::{Quota, RateLimiter};

/// `governor`'s clock read from tokio's: real time in production, the paused clock in
/// tests.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TokioClock;

impl Clock for TokioClock {
    type Instant = std::time::Instant;

    fn now(&self) -> Self::Instant {
        tokio::time::Instant::now().into_std()
    }
}

/// A limiter of one stream of events (a socket's messages).
pub(crate) type DirectLimiter = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    TokioClock,
    governor::middleware::NoOpMiddleware<std::time::Instant>,
>;

/// A limiter keyed by `K` (clients, log kinds).
pub(crate) type KeyedLimiter<K> = RateLimiter<
    K,
    governor::state::keyed::DashMapStateStore<K>,
    TokioClock,
    governor::middleware::NoOpMiddleware<std::time::Instant>,
>;

/// How often each kind of client-caused event may be logged.
pub(crate) const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Lets one event of each kind through per [`LOG_INTERVAL`], and counts the others, so a
/// flood of refused requests writes a line every ten seconds instead of one per request.
/// The metrics count every event.
#[derive(Debug)]
pub(crate) struct LogThrottle {
    limiter: KeyedLimiter<Kind>,
    suppressed: DashMap<Kind, u64>,
}

/// An event and its reason.
type Kind = (&'static str, &'static str);

impl Default for LogThrottle {
    fn default() -> Self {
        let quota = Quota::with_period(LOG_INTERVAL).expect("a non-zero interval");
        Self {
            limiter: RateLimiter::dashmap_with_clock(quota, TokioClock),
            suppressed: DashMap::new(),
        }
    }
}

impl LogThrottle {
    /// `Some(n)` if an event of `kind` may be logged now, `n` being how many were held back
    /// since the last one; `None` if it must not.
    pub(crate) fn allow(&self, kind: Kind) -> Option<u64> {
        if self.limiter.check_key(&kind).is_ok() {
            Some(self.suppressed.remove(&kind).map_or(0, |(_, n)| n))
        } else {
            *self.suppressed.entry(kind).or_insert(0) += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_line_per_interval_per_kind_with_the_count_held_back() {
        let throttle = LogThrottle::default();
        let (a, b) = (("refused", "a"), ("refused", "b"));
        assert_eq!(throttle.allow(a), Some(0));
        assert_eq!(throttle.allow(b), Some(0), "kinds are throttled apart");
        for _ in 0..5 {
            assert_eq!(throttle.allow(a), None);
        }
        tokio::time::advance(LOG_INTERVAL).await;
        assert_eq!(throttle.allow(a), Some(5));
        assert_eq!(throttle.allow(a), None);
    }
}
