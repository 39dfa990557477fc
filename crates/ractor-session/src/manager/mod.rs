//! [`SessionManager`]: the public face of the registry, supervisor and expiry task.
//!
//! A facade: each public method is a few lines that hand over to the module doing the
//! work. Here, the manager's own life and starting and stopping sessions; in `access`,
//! finding, calling, listing and counting them. The work itself: `start` (claiming an ID,
//! limits, spawning, registration), `stop` (`terminate` and `shutdown`), `info` (listings
//! and figures), the registry (lookups, touch, rotation) and [`SessionHandle`] (calls and
//! casts).

mod access;
mod builder;
mod info;
mod registered;
mod revive;
mod rotate;
mod start;
mod stop;
mod store_presence;
mod users;

use std::sync::{Arc, Mutex};

use ractor::{Actor, ActorCell, ActorRef};
use tokio::task::JoinHandle;

use crate::config::SessionConfig;
use crate::error::SessionError;
use crate::handle::{SessionHandle, typed};
use crate::kv::KvSession;
use crate::overflow::Admission;
use crate::shared::Shared;

pub use builder::SessionManagerBuilder;
pub use info::{SessionInfo, SessionStats};
use start::IfLive;

/// Starts, finds, calls and stops session actors; a cheap [`Clone`] handle.
///
/// One manager owns a supervisor actor, a registry of live sessions keyed by
/// [`SessionId`](crate::SessionId), its [`SessionConfig`], the limits and the expiry
/// timer wheel. Several managers in one process never see each other's sessions.
///
/// Any [`ractor::Actor`] can be a session ([`start_with`](Self::start_with)); plain
/// [`start`](Self::start) starts the key-value [`KvSession`]. Every `call`, `cast` and
/// `touch` counts as activity and postpones idle expiry.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::{KvMsg, SessionConfig, SessionManager};
/// use serde_json::json;
///
/// let manager = SessionManager::spawn(SessionConfig::default()).await?;
/// manager.start("user-1").await?;
/// manager.cast("user-1", KvMsg::put("theme", json!("dark"))).await?;
/// let theme = manager.call("user-1", |reply| KvMsg::Get { key: "theme".into(), reply }).await?;
/// assert_eq!(theme, Some(json!("dark")));
/// manager.terminate("user-1").await?;
/// assert!(!manager.is_started("user-1"));
/// manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SessionManager {
    shared: Arc<Shared>,
    tasks: Arc<Mutex<Option<BackgroundTasks>>>,
}

#[derive(Debug)]
struct BackgroundTasks {
    expiry: JoinHandle<()>,
    supervisor: JoinHandle<()>,
    /// With a store: the flusher and the sweeper.
    store: Vec<JoinHandle<()>>,
}

impl SessionManager {
    /// How many of this manager's calls are waiting for their reply with a deadline: each
    /// holds one until it ends (replied, failed, timed out or dropped by its caller). For
    /// tests of the library's own costs: only with the `test-util` feature.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::KvMsg;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// manager.call("s1", KvMsg::Ping).await?;
    /// assert_eq!(manager.pending_call_deadlines(), 0);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "test-util")]
    #[must_use]
    pub fn pending_call_deadlines(&self) -> usize {
        self.shared.calls.pending()
    }
}

impl SessionManager {
    /// Validates `config`, then starts the supervisor and the expiry task.
    ///
    /// Must be called within a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`SessionError::InvalidConfig`] for a bad configuration;
    /// [`SessionError::SupervisorFailed`] if the supervisor actor could not start.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{SessionConfig, SessionManager};
    ///
    /// let manager = SessionManager::spawn(SessionConfig::default().with_max_sessions(100)).await?;
    /// assert_eq!(manager.count(), 0);
    ///
    /// let bad = SessionManager::spawn(SessionConfig::default().with_max_sessions(0)).await;
    /// assert!(bad.is_err());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn spawn(config: SessionConfig) -> Result<Self, SessionError> {
        Self::builder(config).spawn().await
    }

    /// The configuration this manager runs with.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// assert_eq!(manager.config().max_sessions, 10_000);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn config(&self) -> &SessionConfig {
        &self.shared.config
    }

    /// Starts the default session type, the key-value [`KvSession`], under `id`.
    ///
    /// # Errors
    ///
    /// As [`start_with`](Self::start_with).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let actor = manager.start("s1").await?;
    /// assert!(manager.is_started("s1"));
    /// assert!(manager.start("s1").await.is_err());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(
        &self,
        id: impl AsRef<str>,
    ) -> Result<ActorRef<<KvSession as Actor>::Msg>, SessionError> {
        self.start_with(id, KvSession, Default::default()).await
    }

    /// Starts `actor` as the session `id`, with `args` for its `pre_start`.
    ///
    /// The actor is linked to the manager's supervisor; if it panics or fails, only this
    /// session ends (as [`EndReason::Crashed`](crate::EndReason::Crashed)) and it is not
    /// restarted.
    ///
    /// # Errors
    ///
    /// - [`SessionError::InvalidSessionId`] for a malformed `id`;
    /// - [`SessionError::AlreadyStarted`] if `id` is live (carrying the live actor);
    /// - [`SessionError::SessionLimitReached`] / [`SessionError::RateLimitExceeded`];
    /// - [`SessionError::StartFailed`] if `pre_start` failed or panicked;
    /// - [`SessionError::ManagerShutdown`] after [`shutdown`](Self::shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
    /// use ractor_session::SessionManager;
    ///
    /// struct Counter;
    /// enum CounterMsg { Add(u64), Get(RpcReplyPort<u64>) }
    ///
    /// impl Actor for Counter {
    ///     type Msg = CounterMsg;
    ///     type State = u64;
    ///     type Arguments = u64;
    ///
    ///     async fn pre_start(&self, _: ActorRef<CounterMsg>, start: u64) -> Result<u64, ActorProcessingErr> {
    ///         Ok(start)
    ///     }
    ///
    ///     async fn handle(&self, _: ActorRef<CounterMsg>, msg: CounterMsg, n: &mut u64) -> Result<(), ActorProcessingErr> {
    ///         match msg {
    ///             CounterMsg::Add(k) => *n += k,
    ///             CounterMsg::Get(reply) => reply.send(*n)?,
    ///         }
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let manager = SessionManager::spawn(Default::default()).await?;
    /// manager.start_with("c", Counter, 123).await?;
    /// manager.cast("c", CounterMsg::Add(1)).await?;
    /// assert_eq!(manager.call("c", CounterMsg::Get).await?, 124);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start_with<A: Actor>(
        &self,
        id: impl AsRef<str>,
        actor: A,
        args: A::Arguments,
    ) -> Result<ActorRef<A::Msg>, SessionError> {
        let make = move || (actor, args);
        let entry = start::start(
            &self.shared,
            id.as_ref(),
            make,
            IfLive::Refuse,
            Admission::default(),
        )
        .await?;
        typed(&entry)
    }

    /// Returns the live default session `id`, or starts it.
    ///
    /// # Errors
    ///
    /// As [`get_or_start_with`](Self::get_or_start_with).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let first = manager.get_or_start("s1").await?;
    /// let second = manager.get_or_start("s1").await?;
    /// assert_eq!(first.get_id(), second.get_id());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_or_start(
        &self,
        id: impl AsRef<str>,
    ) -> Result<ActorRef<<KvSession as Actor>::Msg>, SessionError> {
        self.get_or_start_with(id, || (KvSession, Default::default()))
            .await
    }

    /// Returns the live session `id`, or starts one made by `make` (called only when a
    /// start is needed). Racing calls for one ID start exactly one actor and all return it.
    ///
    /// # Errors
    ///
    /// [`SessionError::WrongSessionType`] if the live session takes other messages; the
    /// start errors of [`start_with`](Self::start_with) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::KvSession;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let actor = manager.get_or_start_with("s1", || (KvSession, Default::default())).await?;
    /// assert!(manager.is_started("s1"));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_or_start_with<A: Actor>(
        &self,
        id: impl AsRef<str>,
        make: impl FnOnce() -> (A, A::Arguments),
    ) -> Result<ActorRef<A::Msg>, SessionError> {
        let id = id.as_ref();
        typed(self.get_or_start_session_with(id, make).await?.entry())
    }

    /// As [`get_or_start_with`](Self::get_or_start_with), returning a [`SessionHandle`]
    /// instead of the actor: what a web request does when it must have a session.
    ///
    /// # Errors
    ///
    /// As [`get_or_start_with`](Self::get_or_start_with), except that a live session of
    /// another type is returned, not refused (the handle's `call` and `cast` check the
    /// type).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{KvMsg, KvSession, Pong};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let session = manager.get_or_start_session_with("s1", || (KvSession, Default::default())).await?;
    /// assert_eq!(session.call(KvMsg::Ping).await?, Pong);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_or_start_session_with<A: Actor>(
        &self,
        id: impl AsRef<str>,
        make: impl FnOnce() -> (A, A::Arguments),
    ) -> Result<SessionHandle, SessionError> {
        self.get_or_start_session_admitted(id, make, Admission::default())
            .await
    }

    /// As [`get_or_start_session_with`](Self::get_or_start_session_with), admitted as
    /// `admission` says: with or without a token of the rate limit, provisional or not.
    ///
    /// # Errors
    ///
    /// As [`get_or_start_session_with`](Self::get_or_start_session_with); a provisional
    /// start is refused with `SessionLimitReached` only when no provisional session is
    /// left to evict.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{Admission, KvSession, SessionConfig, SessionManager};
    ///
    /// let config = SessionConfig::default().with_rate_limit(Some(1));
    /// let manager = SessionManager::spawn(config).await?;
    /// let unmetered = Admission::default().with_rate_limit(false);
    /// for id in ["a", "b", "c"] {
    ///     manager.get_or_start_session_admitted(id, || (KvSession, Default::default()), unmetered).await?;
    /// }
    /// assert_eq!(manager.count(), 3);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_or_start_session_admitted<A: Actor>(
        &self,
        id: impl AsRef<str>,
        make: impl FnOnce() -> (A, A::Arguments),
        admission: Admission,
    ) -> Result<SessionHandle, SessionError> {
        // One registry operation: the start's claim returns the session if it is live.
        self.start_handle(id.as_ref(), make, IfLive::Return, admission)
            .await
    }

    /// Starts the session `id` with the actor and arguments `make` returns, admitted as
    /// `admission` says, and returns a handle on it; refuses an ID that is live.
    ///
    /// # Errors
    ///
    /// As [`start_with`](Self::start_with) (`AlreadyStarted` for a live ID); a provisional
    /// start is refused with `SessionLimitReached` only when no provisional session is
    /// left to evict.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{Admission, KvMsg, KvSession, Pong, SessionManager};
    /// # let manager = SessionManager::spawn(Default::default()).await?;
    /// let make = || (KvSession, Default::default());
    /// let session = manager.start_session_admitted("s1", make, Admission::default()).await?;
    /// assert_eq!(session.call(KvMsg::Ping).await?, Pong);
    /// assert!(manager.start_session_admitted("s1", make, Admission::default()).await.is_err());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start_session_admitted<A: Actor>(
        &self,
        id: impl AsRef<str>,
        make: impl FnOnce() -> (A, A::Arguments),
        admission: Admission,
    ) -> Result<SessionHandle, SessionError> {
        self.start_handle(id.as_ref(), make, IfLive::Refuse, admission)
            .await
    }

    async fn start_handle<A: Actor>(
        &self,
        id: &str,
        make: impl FnOnce() -> (A, A::Arguments),
        if_live: IfLive,
        admission: Admission,
    ) -> Result<SessionHandle, SessionError> {
        let entry = start::start(&self.shared, id, make, if_live, admission).await?;
        Ok(SessionHandle::new(Arc::clone(&self.shared), entry))
    }

    /// Stops the session gracefully: it leaves the registry at once (its place under
    /// `max_sessions` is free again), then its actor finishes the message in hand and runs
    /// `post_stop`; this returns when it has. An actor that takes longer than
    /// [`stop_timeout`](SessionConfig::stop_timeout) is killed.
    ///
    /// Called from inside the session's own actor (e.g. on a "log out" message), it does
    /// not wait — the actor cannot stop while it is running the handler that waits — but
    /// returns at once; the actor stops gracefully when that handler returns.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] or `InvalidSessionId`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// manager.terminate("s1").await?;
    /// assert!(!manager.is_started("s1"));
    /// assert!(manager.terminate("s1").await.is_err());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn terminate(&self, id: impl AsRef<str>) -> Result<(), SessionError> {
        #[cfg(feature = "cluster")]
        if let Some((route, owner, id)) = self.remote(id.as_ref())? {
            let op = crate::routing::Op::Terminate;
            route
                .send_op(&owner, &id, op, self.config().call_timeout)
                .await?;
            return Ok(());
        }
        self.terminate_here(id).await
    }

    /// `terminate`, on this node.
    pub(crate) async fn terminate_here(&self, id: impl AsRef<str>) -> Result<(), SessionError> {
        stop::terminate(&self.shared, id.as_ref()).await
    }

    /// In a cluster: the route, owner and parsed ID of `id` when another node owns it.
    #[cfg(feature = "cluster")]
    pub(crate) fn remote(
        &self,
        id: &str,
    ) -> Result<Option<crate::routing::Remote<'_>>, SessionError> {
        let Some(route) = self.route() else {
            return Ok(None);
        };
        let Some(owner) = route.remote_owner(id) else {
            return Ok(None);
        };
        Ok(Some((route, owner, crate::id::SessionId::parse(id)?)))
    }

    /// Stops every session gracefully and then the manager itself.
    ///
    /// New starts are refused from the first moment. Every session's actor finishes its
    /// message in hand and runs `post_stop`; watchers are told
    /// [`EndReason::Shutdown`](crate::EndReason::Shutdown); an actor still running after
    /// [`stop_timeout`](SessionConfig::stop_timeout) is killed. When this returns the
    /// registry is empty and the supervisor and expiry task have exited. Calling it again
    /// does nothing more.
    ///
    /// It may be called from inside one of this manager's sessions (an admin session that
    /// takes the service down). It then stops and waits for every other session, but not
    /// for the calling one: that actor is busy running the very handler that waits, so
    /// waiting would only last `stop_timeout` and end with the caller killed mid-handler.
    /// The calling session leaves the registry at once, its watchers are told
    /// `Shutdown`, and its actor stops gracefully (`post_stop` runs) when the handler
    /// returns. This keeps `shutdown` infallible: an error would leave the caller nothing
    /// to do but what this does. Called from a session's `pre_start`, it does not wait for
    /// that start, which then fails with [`SessionError::ManagerShutdown`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::SessionError;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("a").await?;
    /// manager.shutdown().await;
    /// assert_eq!(manager.count(), 0);
    /// assert!(matches!(manager.start("b").await, Err(SessionError::ManagerShutdown)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&self) {
        stop::shutdown(&self.shared, &self.tasks).await;
    }

    /// Writes every changed durable session to the store now, without waiting for the
    /// next `flush_interval` (and without waiting out a retry backoff). Returns when the
    /// store has them. Without a store it does nothing.
    ///
    /// # Errors
    ///
    /// [`SessionError::StoreFailed`] when the store failed; what could not be written
    /// stays queued and is retried.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use ractor_session::durable::{MemoryStore, SessionStore};
    /// use ractor_session::{KvMsg, SessionConfig, SessionId, SessionManager};
    ///
    /// let store = Arc::new(MemoryStore::new());
    /// let manager = SessionManager::builder(SessionConfig::default()).with_store(store.clone()).spawn().await?;
    /// manager.start("s1").await?;
    /// manager.call("s1", KvMsg::Ping).await?;
    /// manager.flush().await?;
    /// assert!(store.load(&SessionId::parse("s1")?).await?.is_some());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn flush(&self) -> Result<(), SessionError> {
        let Some(persistence) = &self.shared.persistence else {
            return Ok(());
        };
        persistence
            .flush()
            .await
            .map_err(SessionError::store("flush"))
    }

    /// A fresh session ID this node owns (see `SessionManager::fresh_id`).
    pub(crate) fn fresh_owned_id(&self) -> crate::id::SessionId {
        self.shared.fresh_id()
    }

    /// The cluster route, once the manager joined a cluster.
    #[cfg(feature = "cluster")]
    pub(crate) fn route(&self) -> Option<&Arc<crate::routing::Route>> {
        self.shared.route.get()
    }

    /// Installs the cluster route; `false` when the manager already has one.
    #[cfg(feature = "cluster")]
    pub(crate) fn set_route(&self, route: Arc<crate::routing::Route>) -> bool {
        self.shared.route.set(route).is_ok()
    }

    /// Ends the session `id` here while keeping its record, for the node that owns it now
    /// (see `stop::release`).
    #[cfg(feature = "cluster")]
    pub(crate) async fn release(&self, id: &str) -> Result<bool, SessionError> {
        stop::release(&self.shared, id).await
    }

    /// Whether this node is starting or reviving the session `id` now.
    #[cfg(feature = "cluster")]
    pub(crate) fn is_starting(&self, id: &str) -> bool {
        self.shared.registry.is_starting(id)
    }

    /// The supervisor all sessions are linked to, for linking further actors of your own.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// assert_eq!(manager.supervisor().get_children().len(), 1);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn supervisor(&self) -> &ActorCell {
        &self.shared.supervisor
    }
}
