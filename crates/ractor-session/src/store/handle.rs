//! [`StoreHandle`]: one store session, reached directly: dispatch, cast, state, run.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use super::Store;
use super::error::StoreError;
use super::job::{JobHandle, StoreJob};
use super::select::StoreSelect;
use super::session::{StoreMsg, StoreTask};
use crate::handle::SessionHandle;

/// A typed handle on one [`StoreSession`](super::StoreSession): dispatch, cast, read the
/// state, or run any [`Store`] method in the session.
///
/// Got from [`StoreSessions`](super::StoreSessions) by session ID (`get`, `start`,
/// `get_or_start`), from the axum adapter's `Session<StoreMsg<S, A>>::store()` for the
/// request's session, or from any [`SessionHandle`] with [`new`](Self::new). It wraps a
/// [`SessionHandle`], so it reaches its session without another registry lookup, follows
/// it through an ID [rotation](crate::SessionManager::rotate), counts every operation as
/// activity and uses the manager's call timeout. A cheap [`Clone`].
///
/// Its methods are the session's messages, one each: [`dispatch`](Self::dispatch)
/// ([`StoreMsg::Dispatch`]), [`cast`](Self::cast) ([`StoreMsg::Cast`]),
/// [`state`](Self::state) ([`StoreMsg::State`]), [`select`](Self::select)
/// ([`StoreMsg::Select`]), [`spawn`](Self::spawn) ([`StoreMsg::Spawn`]) and
/// [`run`](Self::run) ([`StoreMsg::Run`]), which runs the [`Store`]'s own methods (history,
/// time travel, subscribe, snapshot…) in the session rather than copying each of them here.
///
/// # Errors
///
/// Every method fails with [`StoreError::Session`] when the session has ended, is not a
/// store session of these types, timed out, or stopped before replying (e.g. its reducer
/// panicked).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::SessionManager;
/// use ractor_session::store::{Store, StoreSessions};
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// let counters = StoreSessions::new(manager.clone());
/// let counter = counters.start("user-1", Store::new(0_i64, |n: &i64, add: &i64| n + add)).await?;
///
/// assert_eq!(*counter.dispatch(2).await?, 2);
/// counter.cast(3)?;
/// assert_eq!(*counter.state().await?, 5);
/// assert_eq!(counter.run(|store| store.history().len()).await?, 2);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct StoreHandle<S, A> {
    session: SessionHandle,
    _types: PhantomData<fn() -> (S, A)>,
}

impl<S, A> Clone for StoreHandle<S, A> {
    fn clone(&self) -> Self {
        Self::new(self.session.clone())
    }
}

impl<S, A> fmt::Debug for StoreHandle<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The session handle shows a redacted ID only.
        f.debug_struct("StoreHandle")
            .field("session", &self.session)
            .finish()
    }
}

impl<S, A> StoreHandle<S, A> {
    /// The store session `session` is a handle on. Nothing is checked here: if `session`
    /// is not a store session of these types, every operation fails with
    /// [`SessionError::WrongSessionType`](crate::SessionError::WrongSessionType).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::SessionManager;
    /// use ractor_session::store::{Store, StoreHandle, StoreSession};
    ///
    /// let manager = SessionManager::spawn(Default::default()).await?;
    /// let store = Store::new(0_u32, |n: &u32, add: &u32| n + add);
    /// let session = manager.get_or_start_session_with("s1", || (StoreSession::new(), store)).await?;
    /// let counter = StoreHandle::<u32, u32>::new(session);
    /// assert_eq!(*counter.dispatch(4).await?, 4);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn new(session: SessionHandle) -> Self {
        Self {
            session,
            _types: PhantomData,
        }
    }

    /// The session this handle reaches: its ID, liveness, `touch` and `watch`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::store::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// let counter = stores.start("s1", Store::new(0_u32, |n: &u32, add: &u32| n + add)).await?;
    /// assert_eq!(counter.session().id(), "s1");
    /// manager.terminate("s1").await?;
    /// assert!(!counter.session().is_live());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn session(&self) -> &SessionHandle {
        &self.session
    }
}

impl<S, A> StoreHandle<S, A>
where
    S: Send + Sync + 'static,
    A: Send + 'static,
{
    /// Dispatches `action` to the session's store and returns its new state.
    ///
    /// # Errors
    ///
    /// [`StoreError::Rejected`] when a middleware refused the action; [`StoreError::Session`]
    /// when the session could not be reached or crashed (e.g. a panicking reducer).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::store::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// let product = stores.start("s1", Store::new(1_u64, |n: &u64, k: &u64| n * k)).await?;
    /// assert_eq!(*product.dispatch(7).await?, 7);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn dispatch(&self, action: A) -> Result<Arc<S>, StoreError> {
        self.session
            .call(|reply| StoreMsg::Dispatch(action, reply))
            .await?
    }

    /// Dispatches `action` without waiting; a refusal by a middleware is only logged.
    /// Actions cast from one task are applied in the order cast.
    ///
    /// # Errors
    ///
    /// [`StoreError::Session`] when the session has ended or is of another type.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::store::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// let sum = stores.start("s1", Store::new(0_u64, |n: &u64, k: &u64| n + k)).await?;
    /// sum.cast(2)?;
    /// sum.cast(3)?;
    /// assert_eq!(*sum.state().await?, 5);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn cast(&self, action: A) -> Result<(), StoreError> {
        Ok(self.session.cast(StoreMsg::<S, A>::Cast(action))?)
    }

    /// The store's current state: a shared snapshot, cheap to read from. To take only a
    /// part of it, [`select`](Self::select) in the session instead.
    ///
    /// # Errors
    ///
    /// [`StoreError::Session`] when the session could not be reached.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::store::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// let items = stores.start("s1", Store::new(vec![], |v: &Vec<u32>, x: &u32| [v.as_slice(), &[*x]].concat())).await?;
    /// items.dispatch(4).await?;
    /// assert_eq!(items.state().await?.len(), 1);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn state(&self) -> Result<Arc<S>, StoreError> {
        Ok(self.session.call(StoreMsg::<S, A>::State).await?)
    }

    /// Server-side select: runs `select` on the state inside the session, in turn with its
    /// other messages, and returns what it selects; only that crosses the mailbox (the
    /// caller holds no reference to the state).
    ///
    /// A panicking selector does not end the session: the caller gets
    /// [`StoreError::SelectorPanicked`] and the session serves on, its state untouched.
    ///
    /// # Errors
    ///
    /// [`StoreError::SelectorPanicked`] when `select` panicked; [`StoreError::Session`]
    /// when the session could not be reached.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::store::{Store, StoreError, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// let items = stores.start("s1", Store::new(vec![], |v: &Vec<u32>, x: &u32| [v.as_slice(), &[*x]].concat())).await?;
    /// items.dispatch(4).await?;
    /// assert_eq!(items.select(|v: &Vec<u32>| v.len()).await?, 1);
    /// let out_of_range = items.select(|v: &Vec<u32>| v[7]).await;
    /// assert!(matches!(out_of_range, Err(StoreError::SelectorPanicked { .. })));
    /// assert_eq!(items.select(|v: &Vec<u32>| v[0]).await?, 4, "the session serves on");
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn select<T: Send + 'static>(
        &self,
        select: impl FnOnce(&S) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        self.session
            .call(|reply| StoreMsg::<S, A>::Select(StoreSelect::new(select, reply)))
            .await?
    }

    /// Starts an asynchronous job in the session, without waiting: `job` gets the state as
    /// the session starts it, and the actions its future returns (an `Option`, a `Vec`,
    /// an array…) are then dispatched to the store, in order, in one turn, each through the
    /// middleware and the reducer. The returned [`JobHandle`] cancels it or waits for it.
    ///
    /// A job never leaves the state half-way: cancelled, panicking, or outlived by its
    /// session (which stops its jobs when it ends), it dispatches nothing, and the session
    /// serves on. Dispatch a "loading" action before spawning if the page should show one.
    ///
    /// # Errors
    ///
    /// [`StoreError::Session`] when the session has ended or is of another type.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::store::{JobStatus, Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// let sum = stores.start("s1", Store::new(0_u64, |n: &u64, k: &u64| n + k)).await?;
    ///
    /// // E.g. a price fetched from another service, added once it arrives.
    /// let fetch = sum.spawn(|state| async move {
    ///     let price = 40; // an HTTP call, in real life
    ///     Some(price + *state)
    /// })?;
    /// assert_eq!(fetch.finished().await, JobStatus::Dispatched);
    /// assert_eq!(*sum.state().await?, 40);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn spawn<F, Fut, I>(&self, job: F) -> Result<JobHandle, StoreError>
    where
        F: FnOnce(Arc<S>) -> Fut + Send + 'static,
        Fut: Future<Output = I> + Send + 'static,
        I: IntoIterator<Item = A>,
    {
        let (job, handle) = StoreJob::new(job);
        self.session.cast(StoreMsg::Spawn(job))?;
        Ok(handle)
    }

    /// Runs `f` on the session's store, in turn with its other messages, and returns what
    /// it returns: any [`Store`] method, in the session. A panic in `f` crashes the session
    /// (to read a part of the state with a closure that might panic, use
    /// [`select`](Self::select)).
    ///
    /// This is how a store session's history, time travel, subscriptions, reset and
    /// snapshots are reached: `run(|store| store.state_at(2))`, `run(|store|
    /// store.subscribe(select))`, `run(Store::reset)`, `run(|store| store.snapshot())`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Session`] when the session could not be reached or crashed; what `f`
    /// returns is passed on as it is (a `Result` of its own stays inside).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::store::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// let sum = stores.start("s1", Store::new(0_i32, |n: &i32, add: &i32| n + add)).await?;
    ///
    /// let mut doubled = sum.run(|store| store.subscribe(|n: &i32| n * 2)).await??;
    /// sum.dispatch(5).await?;
    /// assert_eq!(doubled.changed().await, Some(10));
    /// assert_eq!(*sum.run(|store| store.state_at(0)).await??, 0);
    /// sum.run(Store::reset).await?;
    /// assert_eq!(sum.run(|store| store.seq()).await?, 0);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store<S, A>) -> R + Send + 'static,
    ) -> Result<R, StoreError> {
        let reply = self
            .session
            .call(|reply| {
                StoreMsg::Run(StoreTask::new(move |store| {
                    let _ = reply.send(f(store));
                }))
            })
            .await?;
        Ok(reply)
    }
}
