//! [`StoreSessions`]: the typed handle that reaches [`StoreSession`]s through the manager.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use ractor::ActorRef;

use super::Store;
use super::error::StoreError;
use super::history::HistoryEntry;
use super::persist::StoreSnapshot;
use super::session::{StoreMsg, StoreSession, StoreTask};
use super::subscription::{Subscription, SubscriptionId};
use crate::manager::SessionManager;

/// The store sessions of one state and action type, reached by session ID through a
/// [`SessionManager`]: start, dispatch, read, select, subscribe, time travel, persist.
///
/// A cheap [`Clone`] handle (it wraps the manager's handle). Every method that reaches a
/// session is a `call` or `cast` through the manager, so it counts as activity (postpones
/// idle expiry) and uses the configured call timeout.
///
/// # Errors
///
/// Every method that reaches a session fails with [`StoreError::Session`] when the session
/// is missing, is not a store session of these types, timed out or stopped before
/// replying (e.g. its reducer panicked).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::{SessionManager, Store, StoreSessions};
///
/// #[derive(Clone, Debug)]
/// enum Counter { Add(i64), Reset }
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// let counters = StoreSessions::<i64, Counter>::new(manager.clone());
/// counters.start("user-1", Store::new(0, |n: &i64, action: &Counter| match action {
///     Counter::Add(k) => n + k,
///     Counter::Reset => 0,
/// })).await?;
///
/// let mut positive = counters.subscribe("user-1", |n: &i64| *n > 0).await?;
/// assert!(!positive.current());
/// counters.dispatch("user-1", Counter::Add(2)).await?;
/// assert_eq!(positive.changed().await, Some(true));
/// assert_eq!(*counters.state("user-1").await?, 2);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct StoreSessions<S, A> {
    manager: SessionManager,
    _types: PhantomData<fn() -> (S, A)>,
}

impl<S, A> Clone for StoreSessions<S, A> {
    fn clone(&self) -> Self {
        Self {
            manager: self.manager.clone(),
            _types: PhantomData,
        }
    }
}

impl<S, A> fmt::Debug for StoreSessions<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSessions")
            .field("manager", &self.manager)
            .finish()
    }
}

impl<S, A> StoreSessions<S, A>
where
    S: Send + Sync + 'static,
    A: Send + 'static,
{
    /// A handle to the store sessions of `manager` with state `S` and actions `A`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let stores = ractor_session::StoreSessions::<u32, u32>::new(manager.clone());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn new(manager: SessionManager) -> Self {
        Self {
            manager,
            _types: PhantomData,
        }
    }

    /// The manager this handle goes through.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let stores = ractor_session::StoreSessions::<u32, u32>::new(manager.clone());
    /// assert_eq!(stores.manager().count(), 0);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn manager(&self) -> &SessionManager {
        &self.manager
    }

    /// Starts a [`StoreSession`] hosting `store` under `id`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Session`] with the start errors of
    /// [`SessionManager::start_with`] (invalid ID, already started, limits…).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// stores.start("s1", Store::new(0_u32, |n: &u32, add: &u32| n + add)).await?;
    /// assert!(stores.start("s1", Store::new(0, |n: &u32, add: &u32| n + add)).await.is_err());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(
        &self,
        id: impl AsRef<str>,
        store: Store<S, A>,
    ) -> Result<ActorRef<StoreMsg<S, A>>, StoreError> {
        Ok(self
            .manager
            .start_with(id, StoreSession::new(), store)
            .await?)
    }

    /// Returns the live store session `id`, or starts one hosting the store `make` builds
    /// (called only when a start is needed).
    ///
    /// # Errors
    ///
    /// [`StoreError::Session`] with the errors of [`SessionManager::get_or_start_with`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::<u32, u32>::new(manager.clone());
    /// let make = || Store::new(0, |n: &u32, add: &u32| n + add);
    /// let first = stores.get_or_start("s1", make).await?;
    /// let again = stores.get_or_start("s1", make).await?;
    /// assert_eq!(first.get_id(), again.get_id());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_or_start(
        &self,
        id: impl AsRef<str>,
        make: impl FnOnce() -> Store<S, A>,
    ) -> Result<ActorRef<StoreMsg<S, A>>, StoreError> {
        Ok(self
            .manager
            .get_or_start_with(id, || (StoreSession::new(), make()))
            .await?)
    }

    /// Dispatches `action` to the store of session `id` and returns its new state.
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
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// stores.start("s1", Store::new(1_u64, |n: &u64, k: &u64| n * k)).await?;
    /// assert_eq!(*stores.dispatch("s1", 7).await?, 7);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn dispatch(&self, id: impl AsRef<str>, action: A) -> Result<Arc<S>, StoreError> {
        self.manager
            .call(id, |reply| StoreMsg::Dispatch(action, reply))
            .await?
    }

    /// Dispatches `action` without waiting; a refusal by a middleware is only logged.
    /// Actions sent from one task are applied in the order sent.
    ///
    /// # Errors
    ///
    /// [`StoreError::Session`] when the session is missing, of another type, or stopped.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// stores.start("s1", Store::new(0_u64, |n: &u64, k: &u64| n + k)).await?;
    /// stores.send("s1", 2)?;
    /// stores.send("s1", 3)?;
    /// assert_eq!(*stores.state("s1").await?, 5);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send(&self, id: impl AsRef<str>, action: A) -> Result<(), StoreError> {
        Ok(self.manager.cast(id, StoreMsg::<S, A>::Cast(action))?)
    }

    /// The current state of the store of session `id`.
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
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::<String, char>::new(manager.clone());
    /// stores.start("s1", Store::new(String::new(), |s: &String, c: &char| format!("{s}{c}"))).await?;
    /// stores.dispatch("s1", 'a').await?;
    /// assert_eq!(stores.state("s1").await?.as_str(), "a");
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn state(&self, id: impl AsRef<str>) -> Result<Arc<S>, StoreError> {
        Ok(self.manager.call(id, StoreMsg::<S, A>::State).await?)
    }

    /// The part of the state of session `id` that `select` picks out.
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
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::<Vec<u32>, u32>::new(manager.clone());
    /// stores.start("s1", Store::new(vec![], |v: &Vec<u32>, x: &u32| [v.as_slice(), &[*x]].concat())).await?;
    /// stores.dispatch("s1", 4).await?;
    /// assert_eq!(stores.select("s1", |v: &Vec<u32>| v.len()).await?, 1);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn select<T>(
        &self,
        id: impl AsRef<str>,
        select: impl FnOnce(&S) -> T,
    ) -> Result<T, StoreError> {
        // The state is an immutable shared snapshot: selecting here is as consistent as
        // selecting in the actor, and keeps the actor free.
        Ok(select(&*self.state(id).await?))
    }

    /// Subscribes, from outside the session, to the part of the state of session `id` that
    /// `select` picks out; see [`Store::subscribe`]. The subscription ends when the session
    /// does, which makes it a natural feed for a live websocket.
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
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// stores.start("s1", Store::new(0_i32, |n: &i32, add: &i32| n + add)).await?;
    /// let mut doubled = stores.subscribe("s1", |n: &i32| n * 2).await?;
    /// stores.dispatch("s1", 4).await?;
    /// assert_eq!(doubled.changed().await, Some(8));
    /// manager.terminate("s1").await?;
    /// assert_eq!(doubled.changed().await, None);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn subscribe<T, F>(
        &self,
        id: impl AsRef<str>,
        select: F,
    ) -> Result<Subscription<T>, StoreError>
    where
        F: Fn(&S) -> T + Send + Sync + 'static,
        T: PartialEq + Send + Sync + 'static,
    {
        self.run(id, move |store| store.subscribe(select)).await
    }

    /// Ends the subscription `subscription` of session `id`; returns whether it was live.
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
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// stores.start("s1", Store::new(0_i32, |n: &i32, add: &i32| n + add)).await?;
    /// let mut sub = stores.subscribe("s1", |n: &i32| *n).await?;
    /// assert!(stores.unsubscribe("s1", sub.id()).await?);
    /// stores.dispatch("s1", 1).await?;
    /// assert_eq!(sub.changed().await, None);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn unsubscribe(
        &self,
        id: impl AsRef<str>,
        subscription: SubscriptionId,
    ) -> Result<bool, StoreError> {
        self.run(id, move |store| store.unsubscribe(subscription))
            .await
    }

    /// The history of session `id`'s store, newest first.
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
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// stores.start("s1", Store::new(0_i32, |n: &i32, add: &i32| n + add)).await?;
    /// stores.dispatch("s1", 1).await?;
    /// stores.dispatch("s1", 2).await?;
    /// let actions: Vec<i32> = stores.history("s1").await?.iter().map(|e| *e.action()).collect();
    /// assert_eq!(actions, [2, 1]);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn history(&self, id: impl AsRef<str>) -> Result<Vec<HistoryEntry<S, A>>, StoreError>
    where
        A: Clone,
    {
        self.run(id, |store| store.history().iter().cloned().collect())
            .await
    }

    /// Time travel in session `id`'s store: the state after action `seq`; see
    /// [`Store::state_at`].
    ///
    /// # Errors
    ///
    /// [`StoreError::OutOfRange`] for an action the history does not reach;
    /// [`StoreError::Session`] when the session could not be reached.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// stores.start("s1", Store::new(0_i32, |n: &i32, add: &i32| n + add)).await?;
    /// stores.dispatch("s1", 1).await?;
    /// stores.dispatch("s1", 2).await?;
    /// assert_eq!(*stores.state_at("s1", 1).await?, 1);
    /// assert!(stores.state_at("s1", 3).await.is_err());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn state_at(&self, id: impl AsRef<str>, seq: u64) -> Result<Arc<S>, StoreError> {
        self.run(id, move |store| store.state_at(seq)).await?
    }

    /// Resets session `id`'s store to its initial state; see [`Store::reset`].
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
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// stores.start("s1", Store::new(0_i32, |n: &i32, add: &i32| n + add)).await?;
    /// stores.dispatch("s1", 5).await?;
    /// stores.reset("s1").await?;
    /// assert_eq!(*stores.state("s1").await?, 0);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reset(&self, id: impl AsRef<str>) -> Result<(), StoreError> {
        self.run(id, Store::reset).await
    }

    /// A snapshot of session `id`'s store; see [`Store::snapshot`].
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
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// stores.start("s1", Store::new(0_i32, |n: &i32, add: &i32| n + add)).await?;
    /// stores.dispatch("s1", 5).await?;
    /// let json = serde_json::to_string(&stores.snapshot("s1").await?)?;
    /// assert!(json.contains("\"state\":5"));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn snapshot(&self, id: impl AsRef<str>) -> Result<StoreSnapshot<S, A>, StoreError>
    where
        S: Clone,
        A: Clone,
    {
        self.run(id, |store| store.snapshot()).await
    }

    /// Restores session `id`'s store from `snapshot`; see [`Store::restore`].
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidSnapshot`] for an inconsistent snapshot (the store is then
    /// unchanged); [`StoreError::Session`] when the session could not be reached.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// let make = || Store::new(0_i32, |n: &i32, add: &i32| n + add);
    /// stores.start("old", make()).await?;
    /// stores.dispatch("old", 5).await?;
    /// let saved = stores.snapshot("old").await?;
    ///
    /// stores.start("new", make()).await?;
    /// stores.restore("new", saved).await?;
    /// assert_eq!(*stores.state("new").await?, 5);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn restore(
        &self,
        id: impl AsRef<str>,
        snapshot: StoreSnapshot<S, A>,
    ) -> Result<(), StoreError>
    where
        S: Send,
        A: Send,
    {
        self.run(id, move |store| store.restore(snapshot)).await?
    }

    /// Runs `f` on session `id`'s store, in turn with its other messages, and returns what
    /// it returns: anything a [`Store`] can do, by session ID. A panic in `f` crashes the
    /// session.
    ///
    /// # Errors
    ///
    /// [`StoreError::Session`] when the session could not be reached or crashed.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// stores.start("s1", Store::new(0_i32, |n: &i32, add: &i32| n + add)).await?;
    /// stores.dispatch("s1", 5).await?;
    /// assert_eq!(stores.run("s1", |store| store.seq()).await?, 1);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run<R: Send + 'static>(
        &self,
        id: impl AsRef<str>,
        f: impl FnOnce(&mut Store<S, A>) -> R + Send + 'static,
    ) -> Result<R, StoreError> {
        let reply = self
            .manager
            .call(id, |reply| {
                StoreMsg::Run(StoreTask::new(move |store| {
                    let _ = reply.send(f(store));
                }))
            })
            .await?;
        Ok(reply)
    }
}
