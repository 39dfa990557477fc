//! [`Wheel`]: a coarse timer wheel, generic over what it holds.
//!
//! Items sit in buckets of `tick_ms` milliseconds, each in the bucket of its deadline
//! rounded up to the tick, so a bucket is due at or after every deadline in it, and at most
//! one tick after. Arming is a push and disarming a swap-remove: each item carries its own
//! [`WheelPosition`] (bucket and index), which the wheel keeps up to date, so no search is
//! ever needed. Whoever owns the wheel holds it behind a lock; the positions are read and
//! written only under that lock (their atomics are there for shared access, not ordering).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::time::Duration;

/// The finest and the coarsest tick of a wheel.
const MIN_TICK_MS: u64 = 1;
const MAX_TICK_MS: u64 = 100;

/// The tick for deadlines that are at least `shortest` away when armed: a thousandth of
/// it, between 1 ms and 100 ms.
pub(crate) fn tick_for(shortest: Duration) -> u64 {
    (shortest.as_millis() as u64 / 1000).clamp(MIN_TICK_MS, MAX_TICK_MS)
}

/// Where an item sits in a [`Wheel`], kept by the wheel.
#[derive(Debug, Default)]
pub(crate) struct WheelPosition {
    /// The bucket plus one; zero when the item is not in the wheel.
    bucket: AtomicU64,
    /// Its index in that bucket.
    index: AtomicU64,
}

/// What a [`Wheel`] can hold: anything that carries a [`WheelPosition`].
pub(crate) trait WheelItem {
    fn wheel_position(&self) -> &WheelPosition;
}

/// Items bucketed by deadline.
#[derive(Debug)]
pub(crate) struct Wheel<T> {
    tick_ms: u64,
    buckets: BTreeMap<u64, Vec<Arc<T>>>,
    /// The bucket its consumer sleeps until (`u64::MAX` when it sleeps for long): arming
    /// an earlier one must wake it.
    sleeping_until: u64,
}

impl<T: WheelItem> Wheel<T> {
    pub(crate) fn new(tick_ms: u64) -> Self {
        debug_assert!(tick_ms > 0, "a wheel needs a tick");
        Self {
            tick_ms,
            buckets: BTreeMap::new(),
            sleeping_until: u64::MAX,
        }
    }

    /// Puts `item` in the bucket of `deadline_ms`. Returns whether the consumer must be
    /// woken because the bucket is earlier than the one it sleeps until.
    pub(crate) fn arm(&mut self, item: &Arc<T>, deadline_ms: u64) -> bool {
        let position = item.wheel_position();
        debug_assert_eq!(position.bucket.load(Ordering::Relaxed), 0, "armed twice");
        let bucket = deadline_ms.div_ceil(self.tick_ms);
        let items = self.buckets.entry(bucket).or_default();
        position.index.store(items.len() as u64, Ordering::Relaxed);
        position.bucket.store(bucket + 1, Ordering::Relaxed);
        items.push(Arc::clone(item));
        bucket < self.sleeping_until
    }

    /// Takes `item` out of the wheel, if it is in.
    pub(crate) fn disarm(&mut self, item: &T) {
        let position = item.wheel_position();
        let bucket = position.bucket.swap(0, Ordering::Relaxed);
        if bucket == 0 {
            return;
        }
        let index = position.index.load(Ordering::Relaxed) as usize;
        let Some(items) = self.buckets.get_mut(&(bucket - 1)) else {
            debug_assert!(false, "an armed item's bucket is missing");
            return;
        };
        items.swap_remove(index);
        if let Some(moved) = items.get(index) {
            // The last item took the removed one's place.
            moved
                .wheel_position()
                .index
                .store(index as u64, Ordering::Relaxed);
        } else if items.is_empty() {
            self.buckets.remove(&(bucket - 1));
        }
    }

    /// Moves `item`, if it is in the wheel, to the bucket of `deadline_ms`; returns whether
    /// the consumer must be woken. An item not in the wheel is left out: whoever took it
    /// out (a sweep) arms it again with its deadline read then.
    pub(crate) fn rearm(&mut self, item: &Arc<T>, deadline_ms: u64) -> bool {
        if item.wheel_position().bucket.load(Ordering::Relaxed) == 0 {
            return false;
        }
        self.disarm(item);
        self.arm(item, deadline_ms)
    }

    /// Takes every item whose bucket is due at `now_ms`; they are no longer in the wheel.
    pub(crate) fn take_due(&mut self, now_ms: u64) -> Vec<Arc<T>> {
        let later = self.buckets.split_off(&(now_ms / self.tick_ms + 1));
        let due = std::mem::replace(&mut self.buckets, later);
        let mut taken = Vec::with_capacity(due.values().map(Vec::len).sum());
        for item in due.into_values().flatten() {
            item.wheel_position().bucket.store(0, Ordering::Relaxed);
            taken.push(item);
        }
        taken
    }

    /// When the earliest bucket is due, in milliseconds, recorded as the time the consumer
    /// sleeps until: from now on, [`arm`](Self::arm) reports an earlier bucket.
    pub(crate) fn sleep_until_next_due(&mut self) -> Option<u64> {
        let next = self.buckets.keys().next().copied();
        self.sleeping_until = next.unwrap_or(u64::MAX);
        next.map(|bucket| bucket * self.tick_ms)
    }

    /// Items in the wheel.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.buckets.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct Item {
        name: usize,
        position: WheelPosition,
    }

    impl WheelItem for Item {
        fn wheel_position(&self) -> &WheelPosition {
            &self.position
        }
    }

    fn items(n: usize) -> Vec<Arc<Item>> {
        (0..n)
            .map(|name| {
                Arc::new(Item {
                    name,
                    ..Item::default()
                })
            })
            .collect()
    }

    fn names(taken: Vec<Arc<Item>>) -> Vec<usize> {
        let mut names: Vec<usize> = taken.iter().map(|item| item.name).collect();
        names.sort_unstable();
        names
    }

    #[test]
    fn tick_is_a_thousandth_of_the_shortest_timeout_within_bounds() {
        assert_eq!(tick_for(Duration::from_secs(30)), 30);
        assert_eq!(tick_for(Duration::from_millis(300)), 1);
        assert_eq!(tick_for(Duration::from_millis(1)), 1);
        assert_eq!(tick_for(Duration::from_secs(3600)), 100);
    }

    #[test]
    fn an_armed_item_is_due_at_the_tick_boundary_at_or_after_its_deadline() {
        for (deadline, due_at) in [(1, 10), (9, 10), (10, 10), (11, 20), (20, 20), (21, 30)] {
            let mut wheel = Wheel::new(10);
            let item = &items(1)[0];
            wheel.arm(item, deadline);
            assert_eq!(
                wheel.sleep_until_next_due(),
                Some(due_at),
                "deadline {deadline}"
            );
            assert!(wheel.take_due(due_at - 1).is_empty(), "deadline {deadline}");
            assert_eq!(wheel.len(), 1);
            assert_eq!(names(wheel.take_due(due_at)), [0], "deadline {deadline}");
            assert_eq!(wheel.len(), 0);
            assert_eq!(wheel.sleep_until_next_due(), None);
        }
    }

    #[test]
    fn take_due_takes_every_due_bucket_and_leaves_later_ones() {
        let mut wheel = Wheel::new(10);
        let all = items(4);
        for (item, deadline) in all.iter().zip([5, 15, 25, 35]) {
            wheel.arm(item, deadline);
        }
        assert_eq!(names(wheel.take_due(29)), [0, 1]);
        assert_eq!(wheel.sleep_until_next_due(), Some(30));
        assert_eq!(names(wheel.take_due(1_000)), [2, 3]);
        assert_eq!(wheel.len(), 0);
    }

    #[test]
    fn disarm_moves_the_last_item_into_the_gap() {
        let mut wheel = Wheel::new(10);
        let all = items(4);
        for item in &all {
            wheel.arm(item, 10);
        }
        // Item 3 moves from index 3 to index 0; disarming it afterwards must find it there.
        wheel.disarm(&all[0]);
        assert_eq!(all[3].position.index.load(Ordering::Relaxed), 0);
        wheel.disarm(&all[3]);
        assert_eq!(wheel.len(), 2);
        // Disarming the last item moves nothing.
        wheel.disarm(&all[2]);
        assert_eq!(names(wheel.take_due(10)), [1]);
    }

    #[test]
    fn disarming_the_last_item_of_a_bucket_removes_the_bucket() {
        let mut wheel = Wheel::new(10);
        let all = items(2);
        wheel.arm(&all[0], 10);
        wheel.arm(&all[1], 50);
        wheel.disarm(&all[0]);
        assert_eq!(wheel.sleep_until_next_due(), Some(50));
    }

    #[test]
    fn disarming_an_item_not_in_the_wheel_does_nothing() {
        let mut wheel = Wheel::new(10);
        let all = items(2);
        wheel.arm(&all[0], 10);
        wheel.disarm(&all[1]);
        wheel.disarm(&all[0]);
        wheel.disarm(&all[0]);
        assert_eq!(wheel.len(), 0);
        // Taken items are out of the wheel too.
        wheel.arm(&all[1], 10);
        assert_eq!(names(wheel.take_due(10)), [1]);
        wheel.disarm(&all[1]);
        assert_eq!(wheel.len(), 0);
    }

    #[test]
    fn a_disarmed_or_taken_item_can_be_armed_again() {
        let mut wheel = Wheel::new(10);
        let all = items(2);
        wheel.arm(&all[0], 10);
        wheel.arm(&all[1], 10);
        wheel.disarm(&all[0]);
        wheel.arm(&all[0], 40);
        assert_eq!(names(wheel.take_due(10)), [1]);
        wheel.arm(&all[1], 70);
        assert_eq!(names(wheel.take_due(40)), [0]);
        assert_eq!(names(wheel.take_due(70)), [1]);
    }

    #[test]
    fn rearm_moves_an_armed_item_and_leaves_a_taken_one_out() {
        let mut wheel = Wheel::new(10);
        let all = items(2);
        wheel.arm(&all[0], 100);
        wheel.arm(&all[1], 100);
        assert_eq!(wheel.sleep_until_next_due(), Some(100));
        assert!(
            wheel.rearm(&all[0], 20),
            "an earlier bucket wakes the consumer"
        );
        assert_eq!(names(wheel.take_due(20)), [0]);
        // Taken out (as a sweep does): whoever took it arms it again.
        assert!(!wheel.rearm(&all[0], 30));
        assert_eq!(wheel.len(), 1);
        assert_eq!(names(wheel.take_due(100)), [1]);
    }

    #[test]
    fn arm_reports_a_bucket_earlier_than_the_one_slept_until() {
        let mut wheel = Wheel::new(10);
        let all = items(4);
        // Nothing to sleep until: any bucket is earlier.
        assert_eq!(wheel.sleep_until_next_due(), None);
        assert!(wheel.arm(&all[0], 30));
        assert_eq!(wheel.sleep_until_next_due(), Some(30));
        assert!(!wheel.arm(&all[1], 30), "the bucket slept until");
        assert!(!wheel.arm(&all[2], 45), "a later bucket");
        assert!(wheel.arm(&all[3], 15), "an earlier bucket");
    }

    #[test]
    fn many_items_each_leave_exactly_once() {
        let mut wheel = Wheel::new(7);
        let all = items(10_000);
        for item in &all {
            wheel.arm(item, (item.name as u64 * 31) % 1_000);
        }
        // Disarm every third item, in an order that moves items around within buckets.
        for item in all.iter().rev().filter(|item| item.name % 3 == 0) {
            wheel.disarm(item);
        }
        let mut taken = Vec::new();
        for now in (0..=1_050).step_by(50) {
            for item in wheel.take_due(now) {
                let deadline = (item.name as u64 * 31) % 1_000;
                assert!(deadline <= now, "taken before its deadline");
                let due_at = deadline.div_ceil(7) * 7;
                assert!(due_at + 50 > now, "taken a step after its bucket was due");
                taken.push(item);
            }
        }
        assert_eq!(wheel.len(), 0);
        let expected: Vec<usize> = (0..10_000).filter(|n| n % 3 != 0).collect();
        assert_eq!(names(taken), expected);
    }
}
