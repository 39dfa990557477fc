//! [`StoreSessions`]: the store sessions of one type in a manager, found or started by ID.

use std::fmt;
use std::marker::PhantomData;

use super::Store;
use super::error::StoreError;
use super::handle::StoreHandle;
use super::session::{StoreMsg, StoreSession};
use crate::handle::SessionHandle;
use crate::manager::SessionManager;

/// The store sessions of one state and action type in a [`SessionManager`], by session
/// ID: start one, find one, or either; each gives a [`StoreHandle`] that dispatches to it.
///
/// A cheap [`Clone`] (it wraps the manager's handle), typed once so that the types need
/// not be spelled at every use: keep one in the application's state.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::SessionManager;
/// use ractor_session::store::{Store, StoreSessions};
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
/// // Later, by ID (e.g. in another request):
/// let counter = counters.get("user-1").await?;
/// let mut positive = counter.run(|store| store.subscribe(|n: &i64| *n > 0)).await??;
/// counter.dispatch(Counter::Add(2)).await?;
/// assert_eq!(positive.changed().await, Some(true));
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
        Self::new(self.manager.clone())
    }
}

impl<S, A> fmt::Debug for StoreSessions<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSessions")
            .field("manager", &self.manager)
            .finish()
    }
}

impl<S, A> StoreSessions<S, A> {
    /// The store sessions of `manager` with state `S` and actions `A`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let stores = ractor_session::store::StoreSessions::<u32, u32>::new(manager.clone());
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

    /// The manager the sessions live in.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let stores = ractor_session::store::StoreSessions::<u32, u32>::new(manager.clone());
    /// assert_eq!(stores.manager().count(), 0);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn manager(&self) -> &SessionManager {
        &self.manager
    }
}

impl<S, A> StoreSessions<S, A>
where
    S: Send + Sync + 'static,
    A: Send + 'static,
{
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
    /// use ractor_session::store::{Store, StoreSessions};
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
    ) -> Result<StoreHandle<S, A>, StoreError> {
        let id = id.as_ref();
        self.manager
            .start_with(id, StoreSession::new(), store)
            .await?;
        Self::typed(self.manager.session(id)?)
    }

    /// The live store session `id`; with a session store, one only stored (after a
    /// restart) is revived first (see [`SessionManager::resume`]).
    ///
    /// # Errors
    ///
    /// [`StoreError::Session`] with [`SessionError::SessionNotFound`] when no session has
    /// this ID, or [`SessionError::WrongSessionType`] when it is not a store session of
    /// these types; with the errors of [`SessionManager::resume`] otherwise.
    ///
    /// [`SessionError::SessionNotFound`]: crate::SessionError::SessionNotFound
    /// [`SessionError::WrongSessionType`]: crate::SessionError::WrongSessionType
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::store::{Store, StoreSessions};
    /// let stores = StoreSessions::new(manager.clone());
    /// stores.start("s1", Store::new(0_u32, |n: &u32, add: &u32| n + add)).await?;
    /// assert_eq!(*stores.get("s1").await?.dispatch(2).await?, 2);
    /// assert!(stores.get("missing").await.is_err());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get(&self, id: impl AsRef<str>) -> Result<StoreHandle<S, A>, StoreError> {
        Self::typed(self.manager.resume(id).await?)
    }

    /// The live store session `id`, or a new one hosting the store `make` builds (called
    /// only when a start is needed). Racing calls for one ID start exactly one session.
    ///
    /// # Errors
    ///
    /// [`StoreError::Session`] with the errors of [`SessionManager::get_or_start_with`]
    /// (including `WrongSessionType` for a live session of other types).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// use ractor_session::store::{Store, StoreSessions};
    /// let stores = StoreSessions::<u32, u32>::new(manager.clone());
    /// let make = || Store::new(0, |n: &u32, add: &u32| n + add);
    /// stores.get_or_start("s1", make).await?.dispatch(1).await?;
    /// let again = stores.get_or_start("s1", make).await?;
    /// assert_eq!(*again.dispatch(1).await?, 2);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_or_start(
        &self,
        id: impl AsRef<str>,
        make: impl FnOnce() -> Store<S, A>,
    ) -> Result<StoreHandle<S, A>, StoreError> {
        let session = self
            .manager
            .get_or_start_session_with(id, || (StoreSession::new(), make()))
            .await?;
        Self::typed(session)
    }

    /// A handle on `session`, once it is known to be a store session of these types.
    fn typed(session: SessionHandle) -> Result<StoreHandle<S, A>, StoreError> {
        session.actor::<StoreMsg<S, A>>()?;
        Ok(StoreHandle::new(session))
    }
}
