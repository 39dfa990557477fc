//! Redux-style state: a [`Store`] (one reducer or [`Combined`] reducers over named slices,
//! middleware, bounded history, time travel by replay, reset, subscriptions with selectors,
//! persistence, [`Pace`] rules) and [`StoreSession`], the session actor that hosts one so
//! that web apps can dispatch actions, run asynchronous jobs and select by session ID.
//!
//! The guide `docs/state.md` compares a store with a plain actor and an
//! [`Agent`](crate::Agent), and covers each feature at length; this page is the map.
//!
//! # Which type does what
//!
//! Each operation has one home:
//!
//! | You hold | Use | It offers |
//! |---|---|---|
//! | the state, in your own code or actor | [`Store`] | `new`, `combined`, `with_pace`, `dispatch`, `state`, `seq`, `history`, `state_at`, `reset`, `subscribe`, `unsubscribe`, `snapshot`, `restore` |
//! | a session ID | [`StoreSessions`] | `start`, `get`, `get_or_start`: each gives a [`StoreHandle`] |
//! | one store session | [`StoreHandle`] | `dispatch` (waits for the new state), `cast` (does not), `state`, `select` (a part of it, chosen in the session), `spawn` (an asynchronous job, giving a [`JobHandle`]), and `run` for any other [`Store`] method |
//! | an axum request | `Session<StoreMsg<S, A>>` (in `ractor-session-axum`) | `store()`: the [`StoreHandle`] of the request's session |
//!
//! Why: a store session is an actor whose state is a [`Store`], so everything it can do
//! is already a [`Store`] method. [`StoreHandle`] sends the session's messages
//! ([`StoreMsg`]), one method per message, and reaches every other [`Store`] method with
//! [`run`](StoreHandle::run), which runs it in the session (`run(|store|
//! store.state_at(3))`), rather than repeating each one. [`StoreSessions`] only finds and
//! starts sessions by ID, and the axum extractor hands out the same [`StoreHandle`] instead
//! of wrapping its methods again. Fire-and-forget is `cast` throughout, as for
//! [`SessionManager::cast`](crate::SessionManager::cast).
//!
//! # Guarantees
//!
//! - The reducer is the only way the state changes; time travel replays it, so it should
//!   be pure.
//! - A store session handles one message at a time: dispatches from any number of requests
//!   are applied in turn, and actions cast from one task in the order cast.
//! - Every [`StoreHandle`] operation counts as session activity and obeys the manager's
//!   call timeout.
//! - A panicking selector (in [`StoreHandle::select`] or a subscription) or job is caught:
//!   the caller gets [`StoreError::SelectorPanicked`] (or [`JobStatus::Panicked`]), the
//!   state is untouched and the session serves on. A cancelled job dispatches nothing.
//! - A panic in the reducer, a middleware or a `run` closure ends that store session alone
//!   ([`EndReason::Crashed`](crate::EndReason::Crashed)); its subscriptions and jobs end.
//!   Outside a session, a panicking reducer leaves the store as it was.
//!
//! # Examples
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ractor_session::SessionManager;
//! use ractor_session::store::{Store, StoreError, StoreSessions, Validate};
//!
//! fn counter() -> Store<u32, u32> {
//!     Store::new(0, |n: &u32, add: &u32| n + add).with_middleware(Validate::new(
//!         |add: &u32, _: &u32| if *add > 10 { Err("at most 10 at a time") } else { Ok(()) },
//!     ))
//! }
//!
//! // In process: a value of your own.
//! let mut local = counter();
//! local.dispatch(3)?;
//! assert_eq!(*local.state_at(0)?, 0);
//!
//! // In a session: reached by ID, from any task.
//! let manager = SessionManager::spawn(Default::default()).await?;
//! let counters = StoreSessions::new(manager.clone());
//! let visitor = counters.start("visitor-1", counter()).await?;
//! visitor.cast(2)?;
//! assert_eq!(*visitor.dispatch(3).await?, 5);
//! assert!(matches!(visitor.dispatch(50).await, Err(StoreError::Rejected { .. })));
//! assert_eq!(counters.get("visitor-1").await?.run(|store| store.seq()).await?, 2);
//! # manager.shutdown().await;
//! # Ok(())
//! # }
//! ```

// One concept per file: `reducer` (one reducer or several, behind one trait), `combined`
// (reducers over named slices, routed by action name), `action` (named actions and
// patterns), `middleware` (the chain and its built-ins), `history` (entries and replay),
// `subscription` (selectors over watch channels), `persist` (snapshot and restore),
// `pacing` (throttle and debounce), `select` (server-side select), `job` (asynchronous
// actions), `session` (the actor and its messages), `handle` (one store session, reached
// directly) and `sessions` (store sessions found or started by ID). `Store` itself is here,
// since every one of them adds to or uses it.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

mod action;
mod combined;
mod durable;
mod error;
mod handle;
mod history;
mod job;
mod middleware;
mod pacing;
mod persist;
mod reducer;
mod select;
mod session;
mod sessions;
mod subscription;

pub use action::{NamedAction, Routable};
pub use combined::{Combined, SliceReducer, Unhandled};
pub use error::StoreError;
pub use handle::StoreHandle;
pub use history::{History, HistoryEntry, Origin};
pub use job::{JobHandle, JobStatus, StoreJob};
pub use middleware::{Logging, Middleware, Step, Validate};
pub use pacing::Pace;
pub use persist::StoreSnapshot;
pub use select::StoreSelect;
pub use session::{StoreMsg, StoreSession, StoreTask};
pub use sessions::StoreSessions;
pub use subscription::{Subscription, SubscriptionId};

use job::Jobs;
use pacing::Pacing;
use reducer::{Reduce, Single};
use subscription::Subscribers;

const DEFAULT_HISTORY_LIMIT: usize = 100;

/// A Redux-style store: the state `S` changes only by dispatching actions `A` through the
/// middleware chain to a pure reducer.
///
/// - **Reducer**: `Fn(&S, &A) -> S`, the one way the state changes. It should be pure (time
///   travel replays it) and should not panic (a panic propagates to the dispatcher and
///   leaves the state as it was; in a [`StoreSession`] it crashes that one session).
/// - **Middleware** ([`with_middleware`](Self::with_middleware)): sees each action first.
/// - **History** ([`history`](Self::history)): the last [`with_history_limit`]
///   (default 100) applied actions, newest first, each with the state before and after.
/// - **Time travel** ([`state_at`](Self::state_at)): the state after action *k*, replayed.
/// - **Subscriptions** ([`subscribe`](Self::subscribe)): selected values, told of changes.
/// - **Persistence** ([`snapshot`](Self::snapshot) / [`restore`](Self::restore)).
///
/// States are kept behind `Arc`s and shared between the store and its history, so a
/// dispatch copies no state: `S` need not even be `Clone` (only a snapshot needs it).
///
/// [`with_history_limit`]: Self::with_history_limit
///
/// # Examples
///
/// ```
/// use ractor_session::store::{Store, Validate};
///
/// #[derive(Clone, Debug, PartialEq)]
/// enum Action { Add(u32), Clear }
///
/// let mut cart = Store::new(Vec::<u32>::new(), |items: &Vec<u32>, action: &Action| match action {
///     Action::Add(item) => [items.as_slice(), &[*item]].concat(),
///     Action::Clear => Vec::new(),
/// })
/// .with_middleware(Validate::new(|action: &Action, _: &Vec<u32>| match action {
///     Action::Add(0) => Err("item 0 does not exist"),
///     _ => Ok(()),
/// }))
/// .with_history_limit(10);
///
/// cart.dispatch(Action::Add(7))?;
/// cart.dispatch(Action::Add(9))?;
/// assert!(cart.dispatch(Action::Add(0)).is_err());
/// assert_eq!(cart.state(), &[7, 9]);
/// assert_eq!(*cart.state_at(1)?, [7]);
/// assert_eq!(cart.history().newest().unwrap().action(), &Action::Add(9));
/// # Ok::<(), ractor_session::store::StoreError>(())
/// ```
pub struct Store<S, A> {
    state: Arc<S>,
    initial: Arc<S>,
    seq: u64,
    reducer: Box<dyn Reduce<S, A>>,
    middleware: Vec<Box<dyn Middleware<S, A>>>,
    history: History<S, A>,
    subscribers: Subscribers<S>,
    pacing: Pacing<S, A>,
    jobs: Jobs,
}

impl<S, A> fmt::Debug for Store<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("seq", &self.seq)
            .field("middleware", &self.middleware.len())
            .field("history", &self.history.len())
            .field("history_limit", &self.history.limit())
            .field("subscribers", &self.subscribers.len())
            .field("pace_rules", &self.pacing.len())
            .field("jobs", &self.jobs.len())
            .finish_non_exhaustive()
    }
}

impl<S, A> Store<S, A> {
    /// A store starting at `initial`, changed by `reducer`; no middleware, a history of
    /// 100 actions.
    ///
    /// # Examples
    ///
    /// ```
    /// let store = ractor_session::store::Store::new(0_i64, |n: &i64, add: &i64| n + add);
    /// assert_eq!(*store.state(), 0);
    /// ```
    #[must_use]
    pub fn new(initial: S, reducer: impl Fn(&S, &A) -> S + Send + Sync + 'static) -> Self {
        Self::from_reducer(initial, Box::new(Single(reducer)))
    }

    fn from_reducer(initial: S, reducer: Box<dyn Reduce<S, A>>) -> Self {
        let initial = Arc::new(initial);
        Self {
            state: Arc::clone(&initial),
            initial,
            seq: 0,
            reducer,
            middleware: Vec::new(),
            history: History::new(DEFAULT_HISTORY_LIMIT),
            subscribers: Subscribers::new(),
            pacing: Pacing::new(),
            jobs: Jobs::default(),
        }
    }

    /// Adds `middleware` after the middleware already added.
    ///
    /// Order: on the way in, middleware runs in the order it was added, each seeing the
    /// action as the ones before it left it; the first to short-circuit or reject ends the
    /// way in (later middleware and the reducer never see the action). Once the new state
    /// is in place, the [`after`](Middleware::after) hooks of the middleware that passed the
    /// action on run in reverse order. So a validation added before a transformation checks
    /// the action as dispatched; added after it, the action as transformed.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{Step, Store, Validate};
    ///
    /// let double = |add: &i32, _: &i32| Step::Transform(add * 2);
    /// let at_most_ten = Validate::new(|add: &i32, _: &i32| if *add > 10 { Err("too big") } else { Ok(()) });
    ///
    /// // Validation first: it sees 6, which passes; the reducer gets 12.
    /// let mut first = Store::new(0, |n: &i32, add: &i32| n + add)
    ///     .with_middleware(at_most_ten)
    ///     .with_middleware(double);
    /// assert_eq!(*first.dispatch(6)?, 12);
    ///
    /// // Validation second: it sees 12, which fails.
    /// let mut second = Store::new(0, |n: &i32, add: &i32| n + add)
    ///     .with_middleware(double)
    ///     .with_middleware(at_most_ten);
    /// assert!(second.dispatch(6).is_err());
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn with_middleware(mut self, middleware: impl Middleware<S, A> + 'static) -> Self {
        self.middleware.push(Box::new(middleware));
        self
    }

    /// Keeps at most `limit` actions in the history (default 100; 0 keeps none). Time
    /// travel reaches back as far as the history does.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add).with_history_limit(3);
    /// for add in 1..=5 {
    ///     store.dispatch(add)?;
    /// }
    /// let actions: Vec<i32> = store.history().iter().map(|e| *e.action()).collect();
    /// assert_eq!(actions, [5, 4, 3]);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn with_history_limit(mut self, limit: usize) -> Self {
        self.history.set_limit(limit);
        self
    }

    /// Runs `action` through the middleware chain and the reducer, records it in the
    /// history, tells the subscribers, and returns the new state.
    ///
    /// With [`Combined`] reducers, an action no reducer takes changes nothing: it goes to
    /// the [`Unhandled`] handler, is not recorded, and the current state is returned.
    ///
    /// # Errors
    ///
    /// [`StoreError::Rejected`] when a middleware rejects the action, and
    /// [`StoreError::UnknownReducer`] when it targets a reducer the store lacks; the state,
    /// the history and the subscribers are then untouched.
    ///
    /// # Panics
    ///
    /// If the reducer or a middleware panics; the state and history are left as they were
    /// when the reducer or a middleware's `before` panics. A panicking subscription selector
    /// is caught: it ends that subscription alone (see [`subscribe`](Self::subscribe)).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(1, |n: &i32, times: &i32| n * times);
    /// assert_eq!(*store.dispatch(3)?, 3);
    /// assert_eq!(*store.dispatch(2)?, 6);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    pub fn dispatch(&mut self, action: A) -> Result<&S, StoreError> {
        let mut action = action;
        let mut short_circuit = None;
        let mut passed = 0;
        for middleware in &self.middleware {
            match middleware.before(&action, &self.state) {
                Step::Next => {}
                Step::Transform(transformed) => action = transformed,
                Step::ShortCircuit(state) => {
                    short_circuit = Some(state);
                    break;
                }
                Step::Reject(reason) => {
                    tracing::debug!(target: "ractor_session::store", %reason, "action rejected");
                    return Err(StoreError::rejected(reason));
                }
            }
            passed += 1;
        }
        let (next, origin) = match short_circuit {
            Some(state) => (state, Origin::ShortCircuited),
            None => match self.reducer.reduce(&self.state, &action)? {
                Some(next) => (next, Origin::Reduced),
                None => {
                    self.reducer.unhandled(&action);
                    return Ok(&self.state);
                }
            },
        };
        let next = Arc::new(next);
        let previous = std::mem::replace(&mut self.state, Arc::clone(&next));
        self.seq += 1;
        for middleware in self.middleware[..passed].iter().rev() {
            middleware.after(&action, &previous, &next);
        }
        self.history.record(HistoryEntry {
            seq: self.seq,
            action,
            previous,
            state: next,
            timestamp: SystemTime::now(),
            origin,
        });
        self.subscribers.notify(&self.state);
        Ok(&self.state)
    }

    /// The current state.
    ///
    /// # Examples
    ///
    /// ```
    /// let store = ractor_session::store::Store::new("idle", |s: &&str, next: &&'static str| *next);
    /// assert_eq!(*store.state(), "idle");
    /// ```
    #[must_use]
    pub fn state(&self) -> &S {
        &self.state
    }

    /// The current state as a shared pointer: cheap to hand to another task.
    ///
    /// # Examples
    ///
    /// ```
    /// let store = ractor_session::store::Store::new(vec![1, 2, 3], |v: &Vec<i32>, _: &()| v.clone());
    /// let state = store.shared_state();
    /// std::thread::spawn(move || assert_eq!(state.len(), 3)).join().unwrap();
    /// ```
    #[must_use]
    pub fn shared_state(&self) -> Arc<S> {
        Arc::clone(&self.state)
    }

    /// The sequence number of the latest applied action: how many actions were applied
    /// since the store was created or reset (0 before the first).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add).with_history_limit(1);
    /// store.dispatch(1)?;
    /// store.dispatch(1)?;
    /// assert_eq!(store.seq(), 2);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The applied actions still held, newest first.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(2)?;
    /// let entry = store.history().newest().unwrap();
    /// assert_eq!((*entry.previous(), *entry.state()), (0, 2));
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn history(&self) -> &History<S, A> {
        &self.history
    }

    /// Time travel: the state right after action number `seq` (0 = before the first
    /// action), computed by replaying the reducer over the recorded actions from the state
    /// before the oldest one held. Changes nothing.
    ///
    /// Reachable: from the state before the oldest action in the history up to the current
    /// state ([`seq`](Self::seq)). An action a middleware short-circuited contributes its
    /// recorded state, since no reducer produced it.
    ///
    /// # Errors
    ///
    /// [`StoreError::OutOfRange`], saying which numbers are reachable, for any other `seq`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::StoreError;
    ///
    /// let mut store = ractor_session::store::Store::new(1, |n: &i32, times: &i32| n * times).with_history_limit(2);
    /// for times in [2, 3, 4] {
    ///     store.dispatch(times)?;
    /// }
    /// assert_eq!(*store.state_at(1)?, 2);
    /// assert_eq!(*store.state_at(2)?, 6);
    /// assert_eq!(*store.state_at(3)?, 24);
    /// assert!(matches!(store.state_at(0), Err(StoreError::OutOfRange { .. })));
    /// assert!(matches!(store.state_at(4), Err(StoreError::OutOfRange { .. })));
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    pub fn state_at(&self, seq: u64) -> Result<Arc<S>, StoreError> {
        let reducer = |state: &S, action: &A| self.reducer.reduce(state, action).ok().flatten();
        self.history.replay(seq, (self.seq, &self.state), &reducer)
    }

    /// Goes back to the initial state: clears the history, restarts the action numbers at
    /// 0 and tells the subscribers. Middleware and subscriptions stay.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// store.dispatch(5)?;
    /// store.reset();
    /// assert_eq!((*store.state(), store.seq(), store.history().len()), (0, 0, 0));
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    pub fn reset(&mut self) {
        self.state = Arc::clone(&self.initial);
        self.seq = 0;
        self.history.clear();
        self.subscribers.notify(&self.state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_reducer_leaves_state_and_history_untouched() {
        let mut store = Store::new(0, |n: &i32, add: &i32| {
            assert!(*add >= 0, "negative");
            n + add
        });
        store.dispatch(1).unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = store.dispatch(-1);
        }));
        assert!(outcome.is_err());
        assert_eq!(
            (*store.state(), store.seq(), store.history().len()),
            (1, 1, 1)
        );
    }

    #[test]
    fn stores_are_send_and_sync_for_send_and_sync_parts() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Store<Vec<String>, String>>();
    }
}
