//! [`SessionManager`]'s methods that find live sessions and talk to them, and list and
//! count them. Each hands over to the registry, a [`SessionHandle`] or `info`.

use std::any::{TypeId, type_name};
use std::sync::Arc;

use ractor::{Actor, ActorRef, Message, RpcReplyPort};
use tokio::time::Duration;

use crate::counters::SessionCounters;
use crate::error::SessionError;
use crate::handle::{SessionHandle, typed};
use crate::id::SessionId;
use crate::telemetry::short_type_name;
use crate::watch::SessionWatch;

use super::SessionManager;
use super::info::{self, SessionInfo, SessionStats};

impl SessionManager {
    /// Whether a session with this ID is live. A malformed ID is simply not live.
    ///
    /// As cheap as a map read: it does not read the clock, so a session whose idle
    /// deadline has just passed reads as started until the expiry task removes it, at
    /// most one tick (a thousandth of the timeout) later. `call`, `cast`, `touch` and
    /// `watch` check the deadline themselves.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// assert!(!manager.is_started("s1"));
    /// manager.start("s1").await?;
    /// assert!(manager.is_started("s1"));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn is_started(&self, id: impl AsRef<str>) -> bool {
        self.shared.registry.peek(id.as_ref(), |_| ()).is_some()
    }

    /// The live session's actor, typed by its message type `M`.
    ///
    /// Like [`is_started`](Self::is_started) it does not read the clock; and messages sent
    /// straight to the returned `ActorRef` do not count as activity (use
    /// [`touch`](Self::touch), or go through [`call`](Self::call) and [`cast`](Self::cast)).
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] (or `InvalidSessionId`) when absent;
    /// [`SessionError::WrongSessionType`] when the session takes other messages.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{KvMsg, SessionError};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let actor = manager.lookup::<KvMsg>("s1")?;
    /// assert!(matches!(manager.lookup::<String>("s1"), Err(SessionError::WrongSessionType { .. })));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn lookup<M: Message>(&self, id: impl AsRef<str>) -> Result<ActorRef<M>, SessionError> {
        let id = id.as_ref();
        self.shared
            .registry
            .peek(id, typed)
            .unwrap_or_else(|| Err(SessionError::not_found(id)))
    }

    /// A handle on the live session `id`, found by one registry lookup: its calls, casts,
    /// touches and watches then reach the session without looking it up again.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] (or `InvalidSessionId`) when no live session has
    /// this ID, or when its deadline has passed (it is expired on the spot).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{KvMsg, Pong};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let session = manager.session("s1")?;
    /// assert_eq!(session.call(KvMsg::Ping).await?, Pong);
    /// assert!(manager.session("missing").is_err());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn session(&self, id: impl AsRef<str>) -> Result<SessionHandle, SessionError> {
        let entry = self.shared.registry.lookup(id.as_ref())?;
        Ok(SessionHandle::new(Arc::clone(&self.shared), entry))
    }

    /// Sends a request built by `builder` and waits for the reply, up to the configured
    /// [`call_timeout`](crate::SessionConfig::call_timeout). Counts as activity.
    ///
    /// # Errors
    ///
    /// As [`call_timeout`](Self::call_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{KvMsg, Pong};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// assert_eq!(manager.call("s1", KvMsg::Ping).await?, Pong);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn call<M, R>(
        &self,
        id: impl AsRef<str>,
        builder: impl FnOnce(RpcReplyPort<R>) -> M,
    ) -> Result<R, SessionError>
    where
        M: Message,
        R: Send + 'static,
    {
        self.call_timeout(id, builder, self.shared.config.call_timeout)
            .await
    }

    /// As [`call`](Self::call), with an explicit timeout.
    ///
    /// # Errors
    ///
    /// - [`SessionError::SessionNotFound`] / `InvalidSessionId` / `WrongSessionType`;
    /// - [`SessionError::Timeout`] when no reply came in time: the session stays alive and
    ///   its late reply is dropped;
    /// - [`SessionError::CallFailed`] when the actor stopped or failed before replying;
    /// - [`SessionError::ProcessNotFound`] when the actor had already stopped.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use ractor_session::KvMsg;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let all = manager.call_timeout("s1", KvMsg::GetAll, Duration::from_millis(500)).await?;
    /// assert!(all.is_empty());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn call_timeout<M, R>(
        &self,
        id: impl AsRef<str>,
        builder: impl FnOnce(RpcReplyPort<R>) -> M,
        timeout: Duration,
    ) -> Result<R, SessionError>
    where
        M: Message,
        R: Send + 'static,
    {
        self.session(id)?.call_timeout(builder, timeout).await
    }

    /// Sends `message` without waiting. Counts as activity.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] / `InvalidSessionId` / `WrongSessionType`;
    /// [`SessionError::CastFailed`] if the actor has stopped — its source is ractor's
    /// `MessagingErr<M>`, which hands the undelivered message back.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::KvMsg;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// manager.cast("s1", KvMsg::put("a", 1))?;
    /// assert_eq!(manager.call("s1", |reply| KvMsg::Get { key: "a".into(), reply }).await?, Some(1.into()));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn cast<M: Message>(&self, id: impl AsRef<str>, message: M) -> Result<(), SessionError> {
        self.session(id)?.cast(message)
    }

    /// Records activity without sending anything: postpones idle expiry.
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
    /// manager.touch("s1")?;
    /// assert!(manager.touch("missing").is_err());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn touch(&self, id: impl AsRef<str>) -> Result<(), SessionError> {
        let id = id.as_ref();
        let registry = &self.shared.registry;
        registry
            .with_live(id, |entry, now| entry.touch_at(&registry.clock, now))
            .ok_or_else(|| SessionError::not_found(id))
    }

    /// Moves the live session `id` to a freshly generated ID and returns it; `id` stops
    /// resolving at once. Use it after login or any change of privilege (OWASP). Watchers
    /// of the old ID are told [`EndReason::Rotated`](crate::EndReason::Rotated); the actor
    /// and its state carry on.
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
    /// let actor = manager.start("before-login").await?;
    /// let new_id = manager.rotate("before-login")?;
    /// assert!(!manager.is_started("before-login"));
    /// assert_eq!(manager.lookup::<ractor_session::KvMsg>(&new_id)?.get_id(), actor.get_id());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn rotate(&self, id: impl AsRef<str>) -> Result<SessionId, SessionError> {
        self.shared.registry.rotate(id.as_ref())
    }

    /// A future that resolves with the [`EndReason`](crate::EndReason) when the session ends.
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
    /// use ractor_session::EndReason;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let ended = manager.watch("s1")?;
    /// manager.shutdown().await;
    /// assert_eq!(ended.await, EndReason::Shutdown);
    /// # Ok(())
    /// # }
    /// ```
    pub fn watch(&self, id: impl AsRef<str>) -> Result<SessionWatch, SessionError> {
        let id = id.as_ref();
        Ok(self.shared.registry.lookup(id)?.watch(id))
    }

    /// Every live session.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("a").await?;
    /// manager.start("b").await?;
    /// let mut ids: Vec<_> = manager.list().into_iter().map(|s| s.id.to_string()).collect();
    /// ids.sort();
    /// assert_eq!(ids, ["a", "b"]);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn list(&self) -> Vec<SessionInfo> {
        info::list(&self.shared.registry, |_| true)
    }

    /// Live sessions whose actor is of type `A`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::KvSession;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("a").await?;
    /// assert_eq!(manager.list_by_type::<KvSession>().len(), 1);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn list_by_type<A: Actor>(&self) -> Vec<SessionInfo> {
        let name = short_type_name(type_name::<A>());
        let msg = TypeId::of::<A::Msg>();
        info::list(&self.shared.registry, |entry| {
            entry.type_id == msg && entry.session_type == name
        })
    }

    /// Live sessions: as many as [`list`](Self::list) returns. A session whose actor is
    /// still starting (in its `pre_start`) is not counted; [`stats`](Self::stats) reports
    /// those as `starting`. Cheap: an atomic read.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("a").await?;
    /// assert_eq!(manager.count(), 1);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn count(&self) -> usize {
        info::count(&self.shared.registry)
    }

    /// Counts and capacity figures; see [`SessionStats`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// assert_eq!(manager.stats().live, 0);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn stats(&self) -> SessionStats {
        info::stats(&self.shared.registry)
    }

    /// Sessions started, ended by reason, and IDs rotated since this manager started; see
    /// [`SessionCounters`]. Cheap (a few atomic loads) whatever the number of sessions,
    /// unlike [`stats`](Self::stats), which visits each one.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// manager.terminate("s1").await?;
    /// let counters = manager.counters();
    /// assert_eq!((counters.started, counters.ended.terminated), (1, 1));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn counters(&self) -> SessionCounters {
        self.shared.registry.counters.read()
    }
}
