//! [`History`] and [`HistoryEntry`]: the store's bounded record of applied actions, and time
//! travel by replaying them.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::error::StoreError;

/// How an entry's new state came about.
///
/// # Examples
///
/// ```
/// use ractor_session::store::{Origin, Store};
///
/// let mut store = Store::new(0, |n: &i32, add: &i32| n + add);
/// store.dispatch(1)?;
/// assert_eq!(store.history().newest().unwrap().origin(), Origin::Reduced);
/// # Ok::<(), ractor_session::store::StoreError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Origin {
    /// The reducer computed it from the action; time travel replays the reducer.
    Reduced,
    /// A middleware [short-circuited](crate::store::Step::ShortCircuit) to it; time travel reuses
    /// the recorded state, as no reducer produced it.
    ShortCircuited,
}

/// One applied action: its sequence number, the action as it reached the reducer, the
/// state before and after, and when it happened.
///
/// # Examples
///
/// ```
/// use ractor_session::store::Store;
///
/// let mut store = Store::new(10, |n: &i32, add: &i32| n + add);
/// store.dispatch(5)?;
/// let entry = store.history().newest().unwrap();
/// assert_eq!((entry.seq(), *entry.action(), *entry.previous(), *entry.state()), (1, 5, 10, 15));
/// assert!(entry.timestamp() <= std::time::SystemTime::now());
/// # Ok::<(), ractor_session::store::StoreError>(())
/// ```
pub struct HistoryEntry<S, A> {
    pub(super) seq: u64,
    pub(super) action: A,
    pub(super) previous: Arc<S>,
    pub(super) state: Arc<S>,
    pub(super) timestamp: SystemTime,
    pub(super) origin: Origin,
}

impl<S, A> HistoryEntry<S, A> {
    /// The action's sequence number: 1 for the first action after the store was created or
    /// reset, counting up.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(1)?;
    /// store.dispatch(1)?;
    /// assert_eq!(store.history().newest().unwrap().seq(), 2);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The action, as the reducer received it (after any middleware transformed it).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(7)?;
    /// assert_eq!(store.history().newest().unwrap().action(), &7);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn action(&self) -> &A {
        &self.action
    }

    /// The state before the action.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(3, |n: &i32, add: &i32| n + add);
    /// store.dispatch(1)?;
    /// assert_eq!(store.history().newest().unwrap().previous(), &3);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn previous(&self) -> &S {
        &self.previous
    }

    /// The state after the action.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(3, |n: &i32, add: &i32| n + add);
    /// store.dispatch(1)?;
    /// assert_eq!(store.history().newest().unwrap().state(), &4);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn state(&self) -> &S {
        &self.state
    }

    /// When the action was applied (wall clock).
    ///
    /// # Examples
    ///
    /// ```
    /// let before = std::time::SystemTime::now();
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(1)?;
    /// assert!(store.history().newest().unwrap().timestamp() >= before);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn timestamp(&self) -> SystemTime {
        self.timestamp
    }

    /// Whether the reducer or a short-circuiting middleware produced the new state.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(1)?;
    /// assert_eq!(store.history().newest().unwrap().origin(), ractor_session::store::Origin::Reduced);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn origin(&self) -> Origin {
        self.origin
    }
}

// States are shared `Arc`s: a clone never copies a state, so only `A` must be `Clone`.
impl<S, A: Clone> Clone for HistoryEntry<S, A> {
    fn clone(&self) -> Self {
        Self {
            seq: self.seq,
            action: self.action.clone(),
            previous: Arc::clone(&self.previous),
            state: Arc::clone(&self.state),
            timestamp: self.timestamp,
            origin: self.origin,
        }
    }
}

impl<S: fmt::Debug, A: fmt::Debug> fmt::Debug for HistoryEntry<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HistoryEntry")
            .field("seq", &self.seq)
            .field("action", &self.action)
            .field("previous", &*self.previous)
            .field("state", &*self.state)
            .field("timestamp", &self.timestamp)
            .field("origin", &self.origin)
            .finish()
    }
}

/// The last applied actions of a [`Store`](crate::store::Store), newest first, at most
/// [`limit`](Self::limit) of them.
///
/// Entries share their states with one another and with the store (`previous` of one entry
/// is the `state` of the entry before it), so an entry costs its action plus one state.
///
/// # Examples
///
/// ```
/// use ractor_session::store::Store;
///
/// let mut store = Store::new(0, |n: &i32, add: &i32| n + add).with_history_limit(2);
/// for add in [1, 2, 3] {
///     store.dispatch(add)?;
/// }
/// let actions: Vec<i32> = store.history().iter().map(|e| *e.action()).collect();
/// assert_eq!(actions, [3, 2]);
/// # Ok::<(), ractor_session::store::StoreError>(())
/// ```
pub struct History<S, A> {
    entries: VecDeque<HistoryEntry<S, A>>,
    limit: usize,
}

impl<S: fmt::Debug, A: fmt::Debug> fmt::Debug for History<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("History")
            .field("limit", &self.limit)
            .field("entries", &self.entries)
            .finish()
    }
}

impl<S, A> History<S, A> {
    pub(super) fn new(limit: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            limit,
        }
    }

    /// The most entries kept; older ones are dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add).with_history_limit(3);
    /// assert_eq!(store.history().limit(), 3);
    /// ```
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// How many entries are held.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(1)?;
    /// assert_eq!(store.history().len(), 1);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is held.
    ///
    /// # Examples
    ///
    /// ```
    /// let store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// assert!(store.history().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, newest first.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(1)?;
    /// store.dispatch(2)?;
    /// let seqs: Vec<u64> = store.history().iter().map(|e| e.seq()).collect();
    /// assert_eq!(seqs, [2, 1]);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &HistoryEntry<S, A>> + ExactSizeIterator {
        self.entries.iter()
    }

    /// The latest entry.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// assert!(store.history().newest().is_none());
    /// store.dispatch(4)?;
    /// assert_eq!(store.history().newest().unwrap().action(), &4);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn newest(&self) -> Option<&HistoryEntry<S, A>> {
        self.entries.front()
    }

    /// The earliest entry still held.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add).with_history_limit(1);
    /// store.dispatch(4)?;
    /// store.dispatch(5)?;
    /// assert_eq!(store.history().oldest().unwrap().action(), &5);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn oldest(&self) -> Option<&HistoryEntry<S, A>> {
        self.entries.back()
    }

    /// The entry of action number `seq`, if still held.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(4)?;
    /// store.dispatch(5)?;
    /// assert_eq!(store.history().get(1).unwrap().action(), &4);
    /// assert!(store.history().get(3).is_none());
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn get(&self, seq: u64) -> Option<&HistoryEntry<S, A>> {
        let newest = self.entries.front()?.seq;
        let back = usize::try_from(newest.checked_sub(seq)?).ok()?;
        self.entries.get(back)
    }

    pub(super) fn record(&mut self, entry: HistoryEntry<S, A>) {
        if self.limit == 0 {
            return;
        }
        self.entries.truncate(self.limit - 1);
        self.entries.push_front(entry);
    }

    pub(super) fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
        self.entries.truncate(limit);
    }

    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }

    /// Replaces the entries (newest first, at most `limit` of them).
    pub(super) fn replace(&mut self, entries: VecDeque<HistoryEntry<S, A>>) {
        debug_assert!(entries.len() <= self.limit);
        self.entries = entries;
    }

    /// The action numbers whose resulting state time travel can produce, given that the
    /// store is at `current`.
    pub(super) fn available(&self, current: u64) -> std::ops::RangeInclusive<u64> {
        match self.entries.back() {
            Some(oldest) => oldest.seq - 1..=current,
            None => current..=current,
        }
    }

    /// The state after action `seq`, found by replaying `reducer` from the state before the
    /// oldest held entry. Short-circuited entries contribute their recorded state; an entry
    /// the reducer no longer takes (`None`, an impure reducer) leaves the state as it was.
    pub(super) fn replay(
        &self,
        seq: u64,
        current: (u64, &Arc<S>),
        reducer: &dyn Fn(&S, &A) -> Option<S>,
    ) -> Result<Arc<S>, StoreError> {
        let available = self.available(current.0);
        if !available.contains(&seq) {
            return Err(StoreError::OutOfRange {
                requested: seq,
                available,
            });
        }
        let Some(oldest) = self.entries.back() else {
            return Ok(Arc::clone(current.1));
        };
        let mut state = Arc::clone(&oldest.previous);
        for entry in self.entries.iter().rev().take_while(|e| e.seq <= seq) {
            state = match entry.origin {
                Origin::Reduced => reducer(&state, &entry.action).map_or(state, Arc::new),
                Origin::ShortCircuited => Arc::clone(&entry.state),
            };
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64) -> HistoryEntry<u64, u64> {
        HistoryEntry {
            seq,
            action: seq,
            previous: Arc::new(seq - 1),
            state: Arc::new(seq),
            timestamp: SystemTime::now(),
            origin: Origin::Reduced,
        }
    }

    #[test]
    fn a_zero_limit_keeps_nothing() {
        let mut history = History::new(0);
        history.record(entry(1));
        assert!(history.is_empty());
        assert_eq!(history.available(1), 1..=1);
    }

    #[test]
    fn lowering_the_limit_drops_the_oldest() {
        let mut history = History::new(5);
        for seq in 1..=4 {
            history.record(entry(seq));
        }
        history.set_limit(2);
        let seqs: Vec<u64> = history.iter().map(HistoryEntry::seq).collect();
        assert_eq!(seqs, [4, 3]);
        assert_eq!(history.available(4), 2..=4);
    }

    #[test]
    fn get_finds_by_sequence_number() {
        let mut history = History::new(3);
        for seq in 1..=5 {
            history.record(entry(seq));
        }
        assert!(history.get(2).is_none());
        assert_eq!(history.get(3).map(HistoryEntry::seq), Some(3));
        assert_eq!(history.get(5).map(HistoryEntry::seq), Some(5));
        assert!(history.get(6).is_none());
    }
}
