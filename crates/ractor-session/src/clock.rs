//! [`Clock`]: milliseconds since a manager started, for activity stamps and deadlines.

use std::time::SystemTime;

use tokio::time::{Duration, Instant};

/// Milliseconds since the manager started, on tokio's clock (so paused-time tests work).
///
/// Stamps and deadlines are plain `u64`s of these milliseconds: an activity stamp is one
/// relaxed atomic store, and a deadline check is one comparison.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    epoch: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            epoch: Instant::now(),
        }
    }

    /// Now, rounded down to the millisecond: for asking whether a deadline has passed.
    pub(crate) fn now_ms(&self) -> u64 {
        self.ms_at(Instant::now())
    }

    /// `at`, rounded down to the millisecond.
    pub(crate) fn ms_at(&self, at: Instant) -> u64 {
        let elapsed = at.saturating_duration_since(self.epoch);
        // Not `as_millis`: a u128 division, on every call, cast and touch.
        elapsed.as_secs() * 1000 + u64::from(elapsed.subsec_millis())
    }

    /// Now, rounded up to the millisecond: for stamping a start or an activity, so that a
    /// deadline computed from the stamp is never earlier than the true one.
    pub(crate) fn stamp_ms(&self) -> u64 {
        self.stamp_at(Instant::now())
    }

    /// `at`, rounded up to the millisecond.
    pub(crate) fn stamp_at(&self, at: Instant) -> u64 {
        let elapsed = at.saturating_duration_since(self.epoch);
        let ms = elapsed.as_secs() * 1000 + u64::from(elapsed.subsec_millis());
        ms + u64::from(!elapsed.subsec_nanos().is_multiple_of(1_000_000))
    }

    /// The instant `ms` milliseconds after the epoch.
    pub(crate) fn instant(&self, ms: u64) -> Instant {
        self.epoch + Duration::from_millis(ms)
    }

    /// The wall-clock time of clock milliseconds `ms`, for a record in a store: deadlines
    /// there must outlive the process, and this clock with it.
    pub(crate) fn wall_time(&self, ms: u64) -> SystemTime {
        wall_time(SystemTime::now(), self.now_ms(), ms)
    }

    /// The clock milliseconds of the wall-clock time `at` (now, if it has passed): the
    /// deadline of a record read back from a store.
    pub(crate) fn ms_of(&self, at: SystemTime) -> u64 {
        let ahead = at.duration_since(SystemTime::now()).unwrap_or_default();
        let ahead_ms = u64::try_from(ahead.as_millis()).unwrap_or(u64::MAX);
        self.now_ms().saturating_add(ahead_ms)
    }
}

/// The wall-clock time of clock milliseconds `ms`, given that `now_ms` is `now`.
fn wall_time(now: SystemTime, now_ms: u64, ms: u64) -> SystemTime {
    if ms >= now_ms {
        let ahead = Duration::from_millis(ms - now_ms);
        now.checked_add(ahead).unwrap_or(now + MAX_AHEAD)
    } else {
        now.checked_sub(Duration::from_millis(now_ms - ms))
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

/// Far enough ahead for any deadline a validated configuration makes ("none" included).
const MAX_AHEAD: Duration = Duration::from_secs(200 * 365 * 24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_milliseconds_map_to_wall_clock_times_around_now() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(wall_time(now, 500, 1_500), now + Duration::from_secs(1));
        assert_eq!(wall_time(now, 1_500, 500), now - Duration::from_secs(1));
        let far = wall_time(now, 0, u64::MAX);
        assert!(far > now + Duration::from_secs(100 * 365 * 86_400));
    }

    #[test]
    fn wall_clock_times_map_back_to_clock_milliseconds() {
        let clock = Clock::new();
        let now_ms = clock.now_ms();
        let later = clock.wall_time(now_ms + 60_000);
        let back = clock.ms_of(later);
        // Both readings round to the millisecond, a moment apart.
        assert!(
            (now_ms + 59_000..=now_ms + 61_000).contains(&back),
            "{back}"
        );
        let past = SystemTime::now() - Duration::from_secs(5);
        assert_eq!(clock.ms_of(past), clock.now_ms());
    }

    fn at(clock: &Clock, micros: u64) -> Instant {
        clock.epoch + Duration::from_micros(micros)
    }

    #[test]
    fn readings_round_down_and_stamps_round_up() {
        let clock = Clock::new();
        assert_eq!(clock.ms_at(at(&clock, 2_999)), 2);
        assert_eq!(clock.stamp_at(at(&clock, 2_999)), 3);
        assert_eq!(clock.ms_at(at(&clock, 2_001)), 2);
        assert_eq!(clock.stamp_at(at(&clock, 2_001)), 3);
        // A whole millisecond is the same either way.
        assert_eq!(clock.ms_at(at(&clock, 3_000)), 3);
        assert_eq!(clock.stamp_at(at(&clock, 3_000)), 3);
        // Less than a millisecond apart, but not on a boundary: still rounded up.
        assert_eq!(clock.stamp_at(clock.epoch + Duration::from_nanos(1)), 1);
    }

    #[test]
    fn whole_seconds_carry_into_milliseconds() {
        let clock = Clock::new();
        let later = clock.epoch + Duration::new(86_400, 123_456_789);
        assert_eq!(clock.ms_at(later), 86_400_123);
        assert_eq!(clock.stamp_at(later), 86_400_124);
    }

    #[test]
    fn instants_before_the_epoch_read_as_zero() {
        let clock = Clock {
            epoch: Instant::now() + Duration::from_secs(5),
        };
        assert_eq!(clock.ms_at(Instant::now()), 0);
        assert_eq!(clock.stamp_at(Instant::now()), 0);
        assert_eq!(clock.now_ms(), 0);
    }

    #[test]
    fn instant_is_the_inverse_of_a_reading() {
        let clock = Clock::new();
        for ms in [0, 1, 999, 1_000, 123_456] {
            assert_eq!(clock.instant(ms), clock.epoch + Duration::from_millis(ms));
            assert_eq!(clock.ms_at(clock.instant(ms)), ms);
            assert_eq!(clock.stamp_at(clock.instant(ms)), ms);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn follows_tokio_time() {
        let clock = Clock::new();
        assert_eq!(clock.now_ms(), 0);
        tokio::time::advance(Duration::from_micros(1_500)).await;
        assert_eq!(clock.now_ms(), 1);
        assert_eq!(clock.stamp_ms(), 2);
    }
}
