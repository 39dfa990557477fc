//! [`StoreSession`]: a ready session actor hosting a [`Store`], and its messages
//! [`StoreMsg`].

use std::fmt;
use std::sync::Arc;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::time::Instant;

use super::Store;
use super::error::StoreError;
use super::job::StoreJob;
use super::pacing::Reply;
use super::select::StoreSelect;

/// A session actor whose state is a [`Store`]: start it under a session ID, then dispatch
/// actions and read, select or subscribe to its state by that ID.
///
/// Its `Arguments` is the store to host (built with its reducer and middleware), its
/// messages are [`StoreMsg`]. Start and reach it with
/// [`StoreSessions`](super::StoreSessions) and [`StoreHandle`](super::StoreHandle), which
/// spell the messages for you. Messages are handled one at a time, so dispatches by any
/// number of callers are serialized. The session applies the store's
/// [`Pace`](super::Pace) rules to the actions sent to it, and runs its
/// [jobs](StoreMsg::Spawn), stopping them when it ends.
///
/// A panicking selector (in [`StoreMsg::Select`] or a subscription) or
/// [job](StoreMsg::Spawn) is caught and the session serves on. If the reducer (or a
/// middleware or [`StoreMsg::Run`] task) panics, this session alone ends as
/// [`EndReason::Crashed`](crate::EndReason::Crashed) and its subscriptions end; the
/// manager and every other session carry on.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::SessionManager;
/// use ractor_session::store::{Store, StoreSession, StoreSessions};
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// let store = Store::new(0_u32, |n: &u32, add: &u32| n + add);
/// // What `StoreSessions::start` does, with the types spelled out.
/// manager.start_with("visitor", StoreSession::new(), store).await?;
///
/// let visitor = StoreSessions::<u32, u32>::new(manager.clone()).get("visitor").await?;
/// visitor.cast(2)?;
/// assert_eq!(*visitor.dispatch(3).await?, 5);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct StoreSession<S, A> {
    /// Builds the store a stored state is put back into: see [`StoreSession::restoring`].
    pub(super) make_store: Option<Arc<MakeStore<S, A>>>,
}

type MakeStore<S, A> = dyn Fn() -> Store<S, A> + Send + Sync;

impl<S, A> StoreSession<S, A> {
    /// The store session actor (it carries no configuration: the store is the argument).
    ///
    /// # Examples
    ///
    /// ```
    /// let actor = ractor_session::store::StoreSession::<u32, u32>::new();
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self { make_store: None }
    }

    /// A store session that can also be restored from a [session store](crate::durable):
    /// `make_store` builds the store (reducer, middleware, limits) that a stored state
    /// and action number are put back into. Register it with
    /// [`SessionManagerBuilder::with_durable`](crate::SessionManagerBuilder::with_durable);
    /// sessions started with [`new`](Self::new) are written to the store all the same.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use ractor_session::durable::MemoryStore;
    /// use ractor_session::store::{Store, StoreSession, StoreSessions};
    /// use ractor_session::{SessionConfig, SessionManager};
    ///
    /// let counter = || Store::new(0_i64, |n: &i64, add: &i64| n + add);
    /// let store = Arc::new(MemoryStore::new());
    /// let spawn = || {
    ///     SessionManager::builder(SessionConfig::default())
    ///         .with_store(store.clone())
    ///         .with_durable(move || StoreSession::restoring(counter))
    ///         .spawn()
    /// };
    ///
    /// let manager = spawn().await?;
    /// let counters = StoreSessions::new(manager.clone());
    /// counters.start("visitor", counter()).await?.dispatch(5).await?;
    /// manager.shutdown().await;
    ///
    /// let manager = spawn().await?;
    /// let counters = StoreSessions::<i64, i64>::new(manager.clone());
    /// assert_eq!(*counters.get("visitor").await?.dispatch(1).await?, 6);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn restoring(make_store: impl Fn() -> Store<S, A> + Send + Sync + 'static) -> Self {
        Self {
            make_store: Some(Arc::new(make_store)),
        }
    }
}

impl<S, A> Default for StoreSession<S, A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S, A> Clone for StoreSession<S, A> {
    fn clone(&self) -> Self {
        Self {
            make_store: self.make_store.clone(),
        }
    }
}

impl<S, A> fmt::Debug for StoreSession<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSession")
            .field("restoring", &self.make_store.is_some())
            .finish()
    }
}

/// A closure run by a [`StoreSession`] on its store, in turn with other messages: the way
/// to do anything a store can do (history, time travel, subscribe, snapshot…) through a
/// session. [`StoreHandle::run`](super::StoreHandle::run) sends these for you.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::SessionManager;
/// use ractor_session::store::{Store, StoreMsg, StoreSession, StoreTask};
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// manager.start_with("s1", StoreSession::new(), Store::new(0, |n: &i32, add: &i32| n + add)).await?;
/// manager.cast("s1", StoreMsg::<i32, i32>::Cast(4)).await?;
/// let seq = manager
///     .call("s1", |reply| StoreMsg::Run(StoreTask::new(move |store: &mut Store<i32, i32>| {
///         let _ = reply.send(store.seq());
///     })))
///     .await?;
/// assert_eq!(seq, 1);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct StoreTask<S, A>(Box<Task<S, A>>);

type Task<S, A> = dyn FnOnce(&mut Store<S, A>) + Send;

impl<S, A> StoreTask<S, A> {
    /// A task running `f` on the session's store.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{Store, StoreTask};
    /// let task = StoreTask::new(|store: &mut Store<i32, i32>| store.reset());
    /// ```
    pub fn new(f: impl FnOnce(&mut Store<S, A>) + Send + 'static) -> Self {
        Self(Box::new(f))
    }
}

impl<S, A> fmt::Debug for StoreTask<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreTask")
    }
}

/// The messages of a [`StoreSession`]: what [`StoreHandle`](super::StoreHandle) sends, one
/// method per message. Name this type to name a store session's type, e.g. the axum
/// adapter's `Session<StoreMsg<S, A>>`.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::SessionManager;
/// use ractor_session::store::{Store, StoreMsg, StoreSession};
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// manager.start_with("s1", StoreSession::new(), Store::new(1, |n: &i32, k: &i32| n * k)).await?;
/// type Msg = StoreMsg<i32, i32>;
/// manager.call("s1", |reply| Msg::Dispatch(6, reply)).await??;
/// assert_eq!(*manager.call("s1", Msg::State).await?, 6);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[non_exhaustive]
pub enum StoreMsg<S, A> {
    /// Dispatches the action (after its [`Pace`](super::Pace) rule, if any, lets it
    /// through); replies with the new state, or why the action was refused or dropped.
    Dispatch(A, RpcReplyPort<Result<Arc<S>, StoreError>>),
    /// Dispatches the action without a reply (after its pace rule, if any); a refusal is
    /// only logged (`DEBUG`).
    Cast(A),
    /// Replies with the current state.
    State(RpcReplyPort<Arc<S>>),
    /// Runs a selector on the state and replies with what it selects (or its panic).
    Select(StoreSelect<S>),
    /// Starts an asynchronous job whose resulting actions are dispatched to the store.
    Spawn(StoreJob<S, A>),
    /// Runs a closure on the store.
    Run(StoreTask<S, A>),
}

impl<S, A> fmt::Debug for StoreMsg<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Dispatch(..) => "StoreMsg::Dispatch",
            Self::Cast(_) => "StoreMsg::Cast",
            Self::State(_) => "StoreMsg::State",
            Self::Select(_) => "StoreMsg::Select",
            Self::Spawn(_) => "StoreMsg::Spawn",
            Self::Run(_) => "StoreMsg::Run",
        })
    }
}

// Under ractor's `cluster` feature a message type needs its own `Message` impl; the store's
// messages stay local (a store reaches other nodes through its serde actions, see `cluster`).
#[cfg(feature = "cluster")]
impl<S: Send + Sync + 'static, A: Send + 'static> ractor::Message for StoreMsg<S, A> {}

impl<S, A> Actor for StoreSession<S, A>
where
    S: Send + Sync + 'static,
    A: Send + 'static,
{
    type Msg = StoreMsg<S, A>;
    type State = Store<S, A>;
    type Arguments = Store<S, A>;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        store: Store<S, A>,
    ) -> Result<Store<S, A>, ActorProcessingErr> {
        Ok(store)
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        store: &mut Store<S, A>,
    ) -> Result<(), ActorProcessingErr> {
        // A reply port whose caller gave up (timed out) is not an error of the session.
        match message {
            StoreMsg::Dispatch(action, reply) => admit(store, action, Some(reply), &myself),
            StoreMsg::Cast(action) => admit(store, action, None, &myself),
            StoreMsg::State(reply) => {
                let _ = reply.send(store.shared_state());
            }
            StoreMsg::Select(select) => select.run(store.state()),
            StoreMsg::Spawn(job) => {
                let state = store.shared_state();
                store.jobs.start(job, state, move |delivery| {
                    // Back in the session, in turn with the other messages; if it has
                    // ended, the delivery is dropped and the job marked stopped.
                    let _ = myself.cast(StoreMsg::Run(StoreTask::new(move |store| {
                        delivery.apply(|action| apply(store, action, None));
                    })));
                });
            }
            StoreMsg::Run(task) => (task.0)(store),
        }
        Ok(())
    }
}

/// Applies `action` now, later or never, as the store's pace rules say; a debounced action
/// comes back as a message when its timer fires, to be applied in turn.
fn admit<S, A>(
    store: &mut Store<S, A>,
    action: A,
    reply: Reply<S>,
    myself: &ActorRef<StoreMsg<S, A>>,
) where
    S: Send + Sync + 'static,
    A: Send + 'static,
{
    let schedule = |rule, generation, after| {
        let myself = myself.clone();
        let timer = async move {
            tokio::time::sleep(after).await;
            let _ = myself.cast(StoreMsg::Run(StoreTask::new(move |store| {
                if let Some((action, reply)) = store.pacing.take_due(rule, generation) {
                    apply(store, action, reply);
                }
            })));
        };
        tokio::spawn(timer).abort_handle()
    };
    if let Some((action, reply)) = store.pacing.admit(action, reply, Instant::now(), schedule) {
        apply(store, action, reply);
    }
}

/// Dispatches `action` and answers `reply` with the outcome, or logs a refusal.
fn apply<S, A>(store: &mut Store<S, A>, action: A, reply: Reply<S>) {
    let result = match store.dispatch(action) {
        Ok(_) => Ok(store.shared_state()),
        Err(error) => Err(error),
    };
    match (reply, result) {
        (Some(reply), result) => {
            let _ = reply.send(result);
        }
        (None, Err(error)) => {
            tracing::debug!(target: "ractor_session::store", %error, "cast action refused");
        }
        (None, Ok(_)) => {}
    }
}
