//! Persistence: [`StoreSnapshot`], a serde snapshot of a store's state and history, and
//! [`Store::restore`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::Store;
use super::error::StoreError;
use super::history::{HistoryEntry, Origin};

/// A copy of a store's state and history, to serialize with any serde format and
/// [`restore`](Store::restore) later, e.g. after a restart or in another process.
///
/// It holds the action number, the current state and the history entries (newest first),
/// each with its number, action, the state before it, timestamp and
/// [`Origin`]; the state after an entry is the state before the next one (or the current
/// state), so no state is stored twice. The reducer, middleware, history limit,
/// subscriptions and initial state belong to the code, not to the snapshot.
///
/// # Examples
///
/// ```
/// use ractor_session::store::{Store, StoreSnapshot};
///
/// let reducer = |n: &i32, add: &i32| n + add;
/// let mut store = Store::new(0, reducer);
/// store.dispatch(2)?;
/// store.dispatch(3)?;
///
/// let json = serde_json::to_string(&store.snapshot()).unwrap();
/// let snapshot: StoreSnapshot<i32, i32> = serde_json::from_str(&json).unwrap();
///
/// let mut restored = Store::new(0, reducer);
/// restored.restore(snapshot)?;
/// assert_eq!((*restored.state(), restored.seq(), restored.history().len()), (5, 2, 2));
/// assert_eq!(*restored.state_at(1)?, 2);
/// # Ok::<(), ractor_session::store::StoreError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoreSnapshot<S, A> {
    seq: u64,
    state: S,
    history: Vec<SnapshotEntry<S, A>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct SnapshotEntry<S, A> {
    seq: u64,
    action: A,
    previous: S,
    timestamp: SystemTime,
    origin: Origin,
}

impl<S, A> StoreSnapshot<S, A> {
    /// The number of the latest action when the snapshot was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(1)?;
    /// assert_eq!(store.snapshot().seq(), 1);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The state when the snapshot was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(4)?;
    /// assert_eq!(*store.snapshot().state(), 4);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn state(&self) -> &S {
        &self.state
    }

    /// How many history entries the snapshot holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(4)?;
    /// assert_eq!(store.snapshot().history_len(), 1);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// Checks that the entries are numbered newest first, one apart, ending at `seq`.
    fn validate(&self) -> Result<(), StoreError> {
        let mut expected = self.seq;
        for entry in &self.history {
            if expected == 0 {
                return Err(StoreError::InvalidSnapshot(format!(
                    "{} history entries but the latest action is number {}",
                    self.history.len(),
                    self.seq
                )));
            }
            if entry.seq != expected {
                return Err(StoreError::InvalidSnapshot(format!(
                    "history entry numbered {} where {expected} was expected \
                     (entries must run newest first, one apart, from the latest action {})",
                    entry.seq, self.seq
                )));
            }
            expected -= 1;
        }
        Ok(())
    }
}

impl<S, A> Store<S, A> {
    /// A copy of the state and history, for [`restore`](Self::restore); serialize it with
    /// any serde format.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(1)?;
    /// let json = serde_json::to_value(store.snapshot()).unwrap();
    /// assert_eq!(json["state"], 1);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn snapshot(&self) -> StoreSnapshot<S, A>
    where
        S: Clone,
        A: Clone,
    {
        StoreSnapshot {
            seq: self.seq,
            state: S::clone(&self.state),
            history: self
                .history
                .iter()
                .map(|entry| SnapshotEntry {
                    seq: entry.seq,
                    action: entry.action.clone(),
                    previous: S::clone(&entry.previous),
                    timestamp: entry.timestamp,
                    origin: entry.origin,
                })
                .collect(),
        }
    }

    /// Replaces the state and history with those of `snapshot` and tells the subscribers.
    ///
    /// Action numbers carry on from the snapshot's. A snapshot holding more history than
    /// this store's limit keeps its newest entries. The reducer, middleware, limit,
    /// subscriptions and initial state (for [`reset`](Self::reset)) stay this store's own.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidSnapshot`] when the entries are not numbered newest first, one
    /// apart, ending at the snapshot's action number (a hand-edited or corrupted
    /// snapshot); the store is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let reducer = |n: &i32, add: &i32| n + add;
    /// let mut store = ractor_session::store::Store::new(0, reducer);
    /// store.dispatch(5)?;
    /// let saved = store.snapshot();
    /// store.dispatch(1)?;
    /// store.restore(saved)?;
    /// assert_eq!((*store.state(), store.seq()), (5, 1));
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    pub fn restore(&mut self, snapshot: StoreSnapshot<S, A>) -> Result<(), StoreError> {
        snapshot.validate()?;
        let state = Arc::new(snapshot.state);
        let mut after = Arc::clone(&state);
        let mut entries = VecDeque::with_capacity(snapshot.history.len());
        for entry in snapshot.history.into_iter().take(self.history.limit()) {
            let previous = Arc::new(entry.previous);
            entries.push_back(HistoryEntry {
                seq: entry.seq,
                action: entry.action,
                previous: Arc::clone(&previous),
                state: after,
                timestamp: entry.timestamp,
                origin: entry.origin,
            });
            after = previous;
        }
        self.state = state;
        self.seq = snapshot.seq;
        self.history.replace(entries);
        self.subscribers.notify(&self.state);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store<i32, i32> {
        Store::new(0, |n: &i32, add: &i32| n + add)
    }

    #[test]
    fn entries_out_of_order_are_refused_and_leave_the_store_alone() {
        let mut source = store();
        for add in 1..=3 {
            source.dispatch(add).unwrap();
        }
        let mut snapshot = source.snapshot();
        snapshot.history.swap(0, 1);
        let mut target = store();
        target.dispatch(9).unwrap();
        let err = target.restore(snapshot).unwrap_err();
        assert!(matches!(err, StoreError::InvalidSnapshot(_)), "{err}");
        assert_eq!((*target.state(), target.seq()), (9, 1));
    }

    #[test]
    fn more_entries_than_actions_are_refused() {
        let json = serde_json::json!({
            "seq": 0,
            "state": 1,
            "history": [{
                "seq": 0, "action": 1, "previous": 0, "origin": "reduced",
                "timestamp": {"secs_since_epoch": 0, "nanos_since_epoch": 0}
            }]
        });
        let snapshot: StoreSnapshot<i32, i32> = serde_json::from_value(json).unwrap();
        let err = store().restore(snapshot).unwrap_err();
        assert!(
            err.to_string().contains("latest action is number 0"),
            "{err}"
        );
    }

    #[test]
    fn a_longer_history_than_the_limit_keeps_the_newest() {
        let mut source = store();
        for add in 1..=5 {
            source.dispatch(add).unwrap();
        }
        let mut target = store().with_history_limit(2);
        target.restore(source.snapshot()).unwrap();
        let seqs: Vec<u64> = target.history().iter().map(HistoryEntry::seq).collect();
        assert_eq!(seqs, [5, 4]);
        assert_eq!(*target.state_at(3).unwrap(), 6);
    }
}
