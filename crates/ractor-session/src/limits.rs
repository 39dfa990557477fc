//! `max_sessions` and `rate_limit`: both race-free and O(1) per check.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::time::{Duration, Instant};

/// Counts live sessions against `max_sessions`. Reserving a place for a session is one
/// compare-and-swap, so N racing starts against a limit of M admit exactly M.
#[derive(Debug)]
pub(crate) struct SessionLimit {
    live: AtomicUsize,
    max: usize,
}

impl SessionLimit {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            live: AtomicUsize::new(0),
            max,
        }
    }

    /// Reserves a place for one more session, or returns `false` when all `max` are taken.
    pub(crate) fn try_reserve(&self) -> bool {
        self.live
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .is_ok()
    }

    /// Gives back a place reserved by [`SessionLimit::try_reserve`].
    pub(crate) fn release(&self) {
        let previous = self.live.fetch_sub(1, Ordering::AcqRel);
        debug_assert!(previous > 0, "released more sessions than reserved");
    }

    /// Places taken: live sessions and starts under way.
    #[cfg(test)]
    pub(crate) fn live(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    pub(crate) fn max(&self) -> usize {
        self.max
    }
}

/// A token bucket of `per_minute` tokens refilled continuously: a burst of `per_minute`
/// creations passes, then one more every `60 s / per_minute`. A check is O(1) whatever
/// the load (the original kept an O(n) log of timestamps).
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_minute: u32,
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

const WINDOW: Duration = Duration::from_secs(60);

impl RateLimiter {
    pub(crate) fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            bucket: Mutex::new(Bucket {
                tokens: f64::from(per_minute),
                updated: Instant::now(),
            }),
        }
    }

    pub(crate) fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Takes one token if one is there. A refused attempt takes nothing.
    pub(crate) fn try_acquire(&self) -> bool {
        let capacity = f64::from(self.per_minute);
        let now = Instant::now();
        let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * capacity / WINDOW.as_secs_f64()).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Returns a token taken for a start that then failed.
    pub(crate) fn refund(&self) {
        let capacity = f64::from(self.per_minute);
        let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        bucket.tokens = (bucket.tokens + 1.0).min(capacity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn reservations_are_exact_under_contention() {
        let counter = Arc::new(SessionLimit::new(10));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || (0..100).filter(|_| counter.try_reserve()).count())
            })
            .collect();
        let admitted: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(admitted, 10);
        assert_eq!(counter.live(), 10);
        counter.release();
        assert!(counter.try_reserve());
        assert!(!counter.try_reserve());
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_admits_a_burst_then_refills_over_the_minute() {
        let limiter = RateLimiter::new(5);
        assert_eq!((0..10).filter(|_| limiter.try_acquire()).count(), 5);
        tokio::time::advance(Duration::from_secs(12)).await;
        assert!(limiter.try_acquire(), "one token back after 60 s / 5");
        assert!(!limiter.try_acquire());
        tokio::time::advance(Duration::from_secs(600)).await;
        assert_eq!(
            (0..10).filter(|_| limiter.try_acquire()).count(),
            5,
            "capped at 5"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn refunds_never_exceed_capacity() {
        let limiter = RateLimiter::new(2);
        limiter.refund();
        assert_eq!((0..5).filter(|_| limiter.try_acquire()).count(), 2);
        limiter.refund();
        assert!(limiter.try_acquire());
    }
}
