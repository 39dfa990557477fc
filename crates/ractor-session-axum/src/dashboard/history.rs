//! The dashboard's memory of the last minutes: a reading of the cheap figures every
//! interval, and the per-second rates between consecutive readings.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ractor_session::SessionCounters;
use serde::Serialize;
use tokio::time::Instant;

/// The figures read every interval: a few atomic loads, whatever the number of sessions.
#[derive(Clone, Copy, Debug)]
pub(super) struct Reading {
    /// When, on tokio's clock (rates are computed from it).
    pub(super) at: Instant,
    /// When, in milliseconds since the Unix epoch (the page's time axis).
    pub(super) wall_ms: u64,
    pub(super) counters: SessionCounters,
    pub(super) active: usize,
    /// Live sockets, when the dashboard was given the app's `LiveSockets`.
    pub(super) sockets: Option<usize>,
}

impl Reading {
    /// A reading taken now.
    pub(super) fn now(counters: SessionCounters, active: usize, sockets: Option<usize>) -> Self {
        let wall_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
        Self {
            at: Instant::now(),
            wall_ms,
            counters,
            active,
            sockets,
        }
    }
}

/// One point of the charts: the gauges at a reading, and what happened per second since
/// the reading before it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct Sample {
    /// Milliseconds since the Unix epoch.
    pub(super) t: u64,
    pub(super) active: usize,
    pub(super) sockets: Option<usize>,
    /// Per second: sessions started, ended by reason, IDs rotated, sessions revived.
    pub(super) started: f64,
    pub(super) terminated: f64,
    pub(super) expired: f64,
    pub(super) crashed: f64,
    pub(super) evicted: f64,
    pub(super) shutdown: f64,
    pub(super) logged_out: f64,
    pub(super) rotated: f64,
    /// `None` while the manager has no store: there is nothing to revive.
    pub(super) revived: Option<f64>,
}

impl Sample {
    /// The sample at `now`, with rates since `before`.
    fn between(before: &Reading, now: &Reading) -> Self {
        let secs = now.at.saturating_duration_since(before.at).as_secs_f64();
        let rate = |then: u64, now: u64| per_second(now.saturating_sub(then), secs);
        let (b, n) = (&before.counters, &now.counters);
        Self {
            t: now.wall_ms,
            active: now.active,
            sockets: now.sockets,
            started: rate(b.started, n.started),
            terminated: rate(b.ended.terminated, n.ended.terminated),
            expired: rate(b.ended.expired, n.ended.expired),
            crashed: rate(b.ended.crashed, n.ended.crashed),
            evicted: rate(b.ended.evicted, n.ended.evicted),
            shutdown: rate(b.ended.shutdown, n.ended.shutdown),
            logged_out: rate(b.ended.logged_out, n.ended.logged_out),
            rotated: rate(b.rotated, n.rotated),
            revived: b.revived.zip(n.revived).map(|(then, now)| rate(then, now)),
        }
    }
}

/// `count` events over `secs` seconds, per second, to two decimals (0 over no time).
fn per_second(count: u64, secs: f64) -> f64 {
    if secs <= 0.0 {
        return 0.0;
    }
    (count as f64 / secs * 100.0).round() / 100.0
}

/// The readings of the last minutes, oldest first, at most `capacity` of them.
#[derive(Debug)]
pub(super) struct History {
    readings: VecDeque<Reading>,
    capacity: usize,
}

impl History {
    /// Room for `capacity` readings (one more than the samples shown: the first sample
    /// needs a reading before it).
    pub(super) fn new(capacity: usize) -> Self {
        // Grown as readings come rather than reserved: a long history fills slowly.
        Self {
            readings: VecDeque::new(),
            capacity,
        }
    }

    /// Adds `reading`, forgetting the oldest when full; returns the sample it makes.
    pub(super) fn push(&mut self, reading: Reading) -> Option<Sample> {
        if self.readings.len() == self.capacity {
            self.readings.pop_front();
        }
        let sample = self
            .readings
            .back()
            .map(|before| Sample::between(before, &reading));
        self.readings.push_back(reading);
        sample
    }

    /// Every sample held, oldest first.
    pub(super) fn samples(&self) -> Vec<Sample> {
        self.readings
            .iter()
            .zip(self.readings.iter().skip(1))
            .map(|(before, now)| Sample::between(before, now))
            .collect()
    }

    /// Sessions started within `window` before `now` (since the oldest reading, if that
    /// is more recent): how close the manager's rate limit is.
    pub(super) fn started_within(&self, window: Duration, now: &Reading) -> u64 {
        let since = now.at.checked_sub(window);
        let base = self
            .readings
            .iter()
            .find(|reading| since.is_none_or(|since| reading.at >= since))
            .map_or(now.counters.started, |reading| reading.counters.started);
        now.counters.started.saturating_sub(base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(started: u64, expired: u64, active: usize) -> Reading {
        let mut counters = SessionCounters::default();
        counters.started = started;
        counters.ended.expired = expired;
        Reading::now(counters, active, Some(active * 2))
    }

    #[tokio::test(start_paused = true)]
    async fn rates_are_per_second_between_readings() {
        let mut history = History::new(10);
        assert_eq!(
            history.push(reading(5, 0, 5)),
            None,
            "nothing to compare with"
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        let sample = history.push(reading(9, 3, 6)).unwrap();
        assert_eq!(
            (sample.started, sample.expired, sample.terminated),
            (2.0, 1.5, 0.0)
        );
        assert_eq!((sample.active, sample.sockets), (6, Some(12)));
        assert_eq!(sample.revived, None, "no store, no revival rate");
        assert_eq!(history.samples(), vec![sample]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_oldest_readings_are_forgotten() {
        let mut history = History::new(3);
        for n in 0..5 {
            history.push(reading(n, 0, 0));
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        let samples = history.samples();
        assert_eq!(samples.len(), 2);
        assert!(samples.iter().all(|s| s.started == 1.0));
    }

    #[tokio::test(start_paused = true)]
    async fn starts_within_a_window_count_from_the_reading_at_its_start() {
        let mut history = History::new(100);
        for n in 0..=90 {
            history.push(reading(n * 2, 0, 0));
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        // Readings every second with 2 starts each; the last was 1 s ago.
        let now = reading(182, 0, 0);
        assert_eq!(history.started_within(Duration::from_secs(60), &now), 120);
        let short = History::new(4);
        assert_eq!(short.started_within(Duration::from_secs(60), &now), 0);
    }

    #[test]
    fn no_time_is_no_rate() {
        assert_eq!(per_second(5, 0.0), 0.0);
        assert_eq!(per_second(1, 3.0), 0.33);
    }
}
