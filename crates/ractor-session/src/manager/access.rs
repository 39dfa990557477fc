//! [`SessionManager`]'s methods that find live sessions and talk to them, and list and
//! count them. Each hands over to the registry, a [`SessionHandle`] or `info`; those that
//! take an ID are asynchronous, because with a store the session may have to be revived
//! first (`revive`).

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

use super::info::{self, SessionInfo, SessionStats};
use super::{SessionManager, revive, rotate};

impl SessionManager {
    /// Whether a session with this ID is live in memory. A malformed ID is simply not live.
    ///
    /// As cheap as a map read: it does not read the clock, so a session whose idle
    /// deadline has just passed reads as started until the expiry task removes it, at
    /// most one tick (a thousandth of the timeout) later. `call`, `cast`, `touch` and
    /// `watch` check the deadline themselves. Nor does it look in the store: a session
    /// only stored (after a restart) is not started until an operation revives it.
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

    /// The live session's actor, typed by its message type `M`; a session only stored is
    /// revived first.
    ///
    /// Like [`is_started`](Self::is_started) it does not read the clock; and messages sent
    /// straight to the returned `ActorRef` do not count as activity (use
    /// [`touch`](Self::touch), or go through [`call`](Self::call) and [`cast`](Self::cast)).
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] (or `InvalidSessionId`) when absent;
    /// [`SessionError::WrongSessionType`] when the session takes other messages; the
    /// errors of [`resume`](Self::resume) when it must be revived.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{KvMsg, SessionError};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let actor = manager.lookup::<KvMsg>("s1").await?;
    /// assert!(matches!(manager.lookup::<String>("s1").await, Err(SessionError::WrongSessionType { .. })));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn lookup<M: Message>(
        &self,
        id: impl AsRef<str>,
    ) -> Result<ActorRef<M>, SessionError> {
        let id = id.as_ref();
        // Found active at once; a parked session (no actor) is revived first.
        let found = self.shared.registry.peek(id, |entry| {
            let active = entry.parking().is_none_or(|parking| parking.is_active());
            active.then(|| typed(entry))
        });
        if let Some(Some(found)) = found {
            return found;
        }
        typed(&*revive::find(&self.shared, id).await?)
    }

    /// A handle on the session `id` live in memory, found by one registry lookup: its
    /// calls, casts, touches and watches then reach the session without looking it up
    /// again. It does not look in the store: [`resume`](Self::resume) does.
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

    /// A handle on the session `id`, as [`session`](Self::session), or revived from the
    /// store when it is not in memory but has a live record there (after a restart).
    /// Racing calls (and starts) for one ID revive exactly one actor. An ID the store
    /// does not know costs one store read.
    ///
    /// Without a store it is [`session`](Self::session).
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] (or `InvalidSessionId`) when neither memory nor
    /// the store has the session (an expired record counts as none);
    /// [`SessionError::StoreFailed`] when the store could not be read — never a fresh
    /// session in its place; [`SessionError::UnreadableRecord`] or
    /// [`SessionError::UnregisteredType`] for a record that cannot be restored;
    /// [`SessionError::SessionLimitReached`]; [`SessionError::StartFailed`] when the
    /// restored actor's `pre_start` fails.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use ractor_session::durable::MemoryStore;
    /// use ractor_session::{KvMsg, SessionConfig, SessionManager};
    ///
    /// let store = Arc::new(MemoryStore::new());
    /// let before = SessionManager::builder(SessionConfig::default()).with_store(store.clone()).spawn().await?;
    /// before.start("s1").await?;
    /// before.cast("s1", KvMsg::put("a", 1)).await?;
    /// before.call("s1", KvMsg::Ping).await?; // handled after the put
    /// before.shutdown().await;
    ///
    /// let after = SessionManager::builder(SessionConfig::default()).with_store(store).spawn().await?;
    /// assert!(after.session("s1").is_err(), "not in memory yet");
    /// let session = after.resume("s1").await?;
    /// assert_eq!(session.call(|reply| KvMsg::Get { key: "a".into(), reply }).await?, Some(1.into()));
    /// # after.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn resume(&self, id: impl AsRef<str>) -> Result<SessionHandle, SessionError> {
        let entry = revive::find(&self.shared, id.as_ref()).await?;
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
    /// - [`SessionError::ProcessNotFound`] when the actor had already stopped;
    /// - with write-through, [`SessionError::NotPersisted`] when the state the reply
    ///   reflects could not be stored in time (it is kept in memory, its write retried);
    /// - the errors of [`resume`](Self::resume) when the session must be revived.
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
        let (entry, began) = revive::find_at(&self.shared, id.as_ref()).await?;
        SessionHandle::new(Arc::clone(&self.shared), entry)
            .call_live_at(began, builder, timeout)
            .await
    }

    /// Sends `message` without waiting for it to be handled. Counts as activity.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] / `InvalidSessionId` / `WrongSessionType`;
    /// [`SessionError::CastFailed`] if the actor has stopped — its source is ractor's
    /// `MessagingErr<M>`, which hands the undelivered message back; the errors of
    /// [`resume`](Self::resume) when the session must be revived.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::KvMsg;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// manager.cast("s1", KvMsg::put("a", 1)).await?;
    /// assert_eq!(manager.call("s1", |reply| KvMsg::Get { key: "a".into(), reply }).await?, Some(1.into()));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cast<M: Message>(
        &self,
        id: impl AsRef<str>,
        message: M,
    ) -> Result<(), SessionError> {
        let (entry, now) = revive::find_at(&self.shared, id.as_ref()).await?;
        SessionHandle::new(Arc::clone(&self.shared), entry).cast_live_at(now, message)
    }

    /// Records activity without sending anything: postpones idle expiry.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] or `InvalidSessionId`; the errors of
    /// [`resume`](Self::resume) when the session must be revived.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// manager.touch("s1").await?;
    /// assert!(manager.touch("missing").await.is_err());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn touch(&self, id: impl AsRef<str>) -> Result<(), SessionError> {
        let id = id.as_ref();
        if self.shared.revives() {
            // A durable session may need reviving, or its stored deadline writing.
            return self.resume(id).await?.touch();
        }
        let registry = &self.shared.registry;
        registry
            .with_live(id, |entry, now| entry.touch_at(&registry.clock, now))
            .ok_or_else(|| SessionError::not_found(id))
    }

    /// Moves the session `id` to a freshly generated ID and returns it; `id` stops
    /// resolving at once. Use it after login or any change of privilege (OWASP). Watchers
    /// of the old ID are told [`EndReason::Rotated`](crate::EndReason::Rotated); the actor
    /// and its state carry on. With a store, the record moves to the new ID in the same
    /// step (a session only stored is revived first).
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] or `InvalidSessionId`; with a store,
    /// [`SessionError::StoreFailed`] when the store could not move the record — then
    /// nothing has moved, and the old ID is still the session's.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let actor = manager.start("before-login").await?;
    /// let new_id = manager.rotate("before-login").await?;
    /// assert!(!manager.is_started("before-login"));
    /// assert_eq!(manager.lookup::<ractor_session::KvMsg>(&new_id).await?.get_id(), actor.get_id());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn rotate(&self, id: impl AsRef<str>) -> Result<SessionId, SessionError> {
        #[cfg(feature = "cluster")]
        if let Some((route, owner, id)) = self.remote(id.as_ref())? {
            let op = crate::routing::Op::Rotate;
            let new = route
                .send_op(&owner, &id, op, self.config().call_timeout)
                .await?;
            let new: String = crate::routing::decode(&owner, new)?;
            return Ok(SessionId::parse(&new)?);
        }
        self.rotate_here(id).await
    }

    /// `rotate`, on this node.
    pub(crate) async fn rotate_here(&self, id: impl AsRef<str>) -> Result<SessionId, SessionError> {
        rotate::rotate(&self.shared, id.as_ref()).await
    }

    /// A future that resolves with the [`EndReason`](crate::EndReason) when the session ends.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] or `InvalidSessionId`; the errors of
    /// [`resume`](Self::resume) when the session must be revived.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::EndReason;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let ended = manager.watch("s1").await?;
    /// manager.shutdown().await;
    /// assert_eq!(ended.await, EndReason::Shutdown);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn watch(&self, id: impl AsRef<str>) -> Result<SessionWatch, SessionError> {
        let id = id.as_ref();
        Ok(revive::find(&self.shared, id).await?.watch(id))
    }

    /// Every live session, active and parked ([`SessionInfo::parked`]).
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
            entry.kind.message == msg && entry.session_type() == name
        })
    }

    /// Live sessions, active and parked: as many as [`list`](Self::list) returns. A
    /// session whose actor is still starting (in its `pre_start`) is not counted;
    /// [`stats`](Self::stats) reports those as `starting`. Cheap: an atomic read.
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
        let shared = &self.shared;
        info::stats(
            &shared.registry,
            shared.revives(),
            shared.passivation.is_some(),
        )
    }

    /// Sessions started, ended by reason, IDs rotated and sessions revived since this
    /// manager started; see
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
        self.shared
            .registry
            .counters
            .read(self.shared.revives(), self.shared.passivation.is_some())
    }
}
