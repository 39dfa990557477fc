//! [`SessionHandle`]: a session found by one registry lookup, then reached directly.

use std::fmt;
use std::sync::Arc;

use ractor::{ActorRef, Message, RpcReplyPort, rpc::CallResult};
use tokio::time::{Duration, Instant};

use crate::call_deadlines::Ended;
use crate::entry::Entry;
pub(crate) use crate::entry::{check_type, typed};
use crate::error::{ReplyDropped, SessionError};
use crate::id::SessionId;
use crate::park;
use crate::shared::Shared;
use crate::telemetry;
use crate::watch::SessionWatch;

/// A session found once, then called, cast to, touched and watched without looking it up
/// again.
///
/// [`SessionManager::session`](crate::SessionManager::session) finds the session in the
/// registry; every operation on the handle then goes straight to the session, checking
/// only that it is still live and within its deadlines (an atomic load and a clock read).
/// This is what a web request does: one lookup when the cookie is read, then as many calls
/// as the handler makes. `call`, `cast` and `touch` count as activity, as through the
/// manager.
///
/// The handle follows its session, not an ID: after a
/// [rotation](crate::SessionManager::rotate) it reaches the same session under its new ID.
/// Once the session has ended, every operation fails with
/// [`SessionError::SessionNotFound`]; a handle never reaches a later session started
/// under the same ID. A handle keeps its manager's bookkeeping alive, as a
/// [`SessionManager`](crate::SessionManager) clone does.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::{KvMsg, SessionManager};
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// manager.start("s1").await?;
///
/// let session = manager.session("s1")?;
/// session.cast(KvMsg::put("theme", "dark"))?;
/// let theme = session.call(|reply| KvMsg::Get { key: "theme".into(), reply }).await?;
/// assert_eq!(theme, Some("dark".into()));
///
/// manager.terminate("s1").await?;
/// assert!(!session.is_live());
/// assert!(session.touch().is_err());
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SessionHandle {
    shared: Arc<Shared>,
    entry: Arc<Entry>,
}

impl fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The ID is a bearer secret: show its hash only.
        f.debug_struct("SessionHandle")
            .field("id", &self.entry.id().redacted())
            .field("session_type", &self.entry.session_type())
            .field("live", &self.is_live())
            .finish()
    }
}

impl SessionHandle {
    pub(crate) fn new(shared: Arc<Shared>, entry: Arc<Entry>) -> Self {
        Self { shared, entry }
    }

    pub(crate) fn entry(&self) -> &Entry {
        &self.entry
    }

    /// The entry and the manager state it lives in, for operations defined elsewhere.
    pub(crate) fn parts(&self) -> (&Shared, &Arc<Entry>) {
        (&self.shared, &self.entry)
    }

    /// The session's ID: after a rotation, the new one.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("before").await?;
    /// let session = manager.session("before")?;
    /// let after = manager.rotate("before").await?;
    /// assert_eq!(session.id(), after);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn id(&self) -> SessionId {
        self.entry.id()
    }

    /// Whether the session's ID is `id` now (a rotation changes it): as
    /// `handle.id() == *id`, without copying the ID.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::SessionId;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("before").await?;
    /// let session = manager.session("before")?;
    /// let before: SessionId = "before".parse()?;
    /// assert!(session.has_id(&before));
    /// let after = manager.rotate("before").await?;
    /// assert!(!session.has_id(&before));
    /// assert!(session.has_id(&after));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn has_id(&self, id: &SessionId) -> bool {
        self.entry.has_id(id)
    }

    /// The session actor's type name, without its module path (as in
    /// [`SessionInfo::session_type`](crate::SessionInfo::session_type)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// assert_eq!(manager.session("s1")?.session_type(), "KvSession");
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn session_type(&self) -> &'static str {
        self.entry.session_type()
    }

    /// Whether the session is still live: one atomic load, no clock read (as
    /// [`SessionManager::is_started`](crate::SessionManager::is_started)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let session = manager.session("s1")?;
    /// assert!(session.is_live());
    /// manager.terminate("s1").await?;
    /// assert!(!session.is_live());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.entry.is_registered()
    }

    /// Checks that the session takes messages of type `M` (its actor's `Msg`), whether its
    /// actor runs now or not (a parked session's does not; a `call` revives it). Cheaper
    /// than [`actor`](Self::actor) when only the type matters.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] once the session has ended;
    /// [`SessionError::WrongSessionType`] when it takes other messages.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{KvMsg, SessionError};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let session = manager.session("s1")?;
    /// assert!(session.check_message_type::<KvMsg>().is_ok());
    /// assert!(matches!(
    ///     session.check_message_type::<String>(),
    ///     Err(SessionError::WrongSessionType { .. })
    /// ));
    /// manager.terminate("s1").await?;
    /// assert!(matches!(
    ///     session.check_message_type::<KvMsg>(),
    ///     Err(SessionError::SessionNotFound { .. })
    /// ));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn check_message_type<M: Message>(&self) -> Result<(), SessionError> {
        if !self.entry.is_registered() {
            return Err(self.not_found());
        }
        check_type::<M>(&self.entry)
    }

    /// The session's actor, typed by its message type `M`. Messages sent straight to it
    /// do not count as activity.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] once the session has ended;
    /// [`SessionError::WrongSessionType`] when it takes other messages;
    /// [`SessionError::ProcessNotFound`] while it is parked (no actor: a `call` or
    /// `touch` revives it, or hold a [`pin`](Self::pin)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{KvMsg, SessionError};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let session = manager.session("s1")?;
    /// assert!(session.actor::<KvMsg>().is_ok());
    /// assert!(matches!(session.actor::<String>(), Err(SessionError::WrongSessionType { .. })));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn actor<M: Message>(&self) -> Result<ActorRef<M>, SessionError> {
        if !self.entry.is_registered() {
            return Err(self.not_found());
        }
        typed(&self.entry)
    }

    /// Records activity: postpones idle expiry.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] once the session has ended or passed its deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// manager.session("s1")?.touch()?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn touch(&self) -> Result<(), SessionError> {
        let now = self.check_live()?;
        self.active_at(now);
        // A parked session revives in the background.
        park::wake(&self.shared, &self.entry);
        Ok(())
    }

    /// Sends a request built by `builder` and waits for the reply, up to the manager's
    /// [`call_timeout`](crate::SessionConfig::call_timeout). Counts as activity.
    ///
    /// # Errors
    ///
    /// As [`SessionManager::call_timeout`](crate::SessionManager::call_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{KvMsg, Pong};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// assert_eq!(manager.session("s1")?.call(KvMsg::Ping).await?, Pong);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn call<M, R>(
        &self,
        builder: impl FnOnce(RpcReplyPort<R>) -> M,
    ) -> Result<R, SessionError>
    where
        M: Message,
        R: Send + 'static,
    {
        self.call_timeout(builder, self.shared.config.call_timeout)
            .await
    }

    /// As [`call`](Self::call), with an explicit timeout.
    ///
    /// # Errors
    ///
    /// As [`SessionManager::call_timeout`](crate::SessionManager::call_timeout).
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
    /// let session = manager.session("s1")?;
    /// let all = session.call_timeout(KvMsg::GetAll, Duration::from_millis(500)).await?;
    /// assert!(all.is_empty());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn call_timeout<M, R>(
        &self,
        builder: impl FnOnce(RpcReplyPort<R>) -> M,
        timeout: Duration,
    ) -> Result<R, SessionError>
    where
        M: Message,
        R: Send + 'static,
    {
        let began = self.check_live()?;
        self.call_live_at(began, builder, timeout).await
    }

    /// [`call_timeout`](Self::call_timeout) of a session found live at `began` (by the
    /// caller's lookup, a moment ago): the clock is not read and the deadline not checked
    /// again.
    pub(crate) async fn call_live_at<M, R>(
        &self,
        began: Instant,
        builder: impl FnOnce(RpcReplyPort<R>) -> M,
        timeout: Duration,
    ) -> Result<R, SessionError>
    where
        M: Message,
        R: Send + 'static,
    {
        check_type::<M>(&self.entry)?;
        let entry = &self.entry;
        self.active_at(began);
        let deadline = began.checked_add(timeout);
        let result = call_until_stopped(&self.shared, entry, builder, timeout, deadline).await;
        let ended = Instant::now();
        // Touched again on return, so a call longer than the idle timeout doesn't expire
        // its session the moment it returns.
        entry.touch_at(&self.shared.registry.clock, ended);
        let error = match result {
            Ok(CallResult::Success(reply)) => match self.settled(deadline).await {
                Ok(()) => {
                    telemetry::call(
                        || entry.id().redacted(),
                        &entry.kind,
                        ended.saturating_duration_since(began),
                    );
                    return Ok(reply);
                }
                Err(error) => error,
            },
            Ok(CallResult::Timeout) => SessionError::Timeout(timeout),
            Ok(CallResult::SenderError) => SessionError::CallFailed {
                session_type: entry.session_type(),
                source: Box::new(ReplyDropped),
            },
            Err(error) => error,
        };
        telemetry::communication_error(entry.id().redacted(), entry.session_type(), "call", &error);
        Err(error)
    }

    /// Sends `message` without waiting. Counts as activity.
    ///
    /// # Errors
    ///
    /// As [`SessionManager::cast`](crate::SessionManager::cast).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::KvMsg;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// manager.session("s1")?.cast(KvMsg::put("a", 1))?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn cast<M: Message>(&self, message: M) -> Result<(), SessionError> {
        let now = self.check_live()?;
        self.cast_live_at(now, message)
    }

    /// [`cast`](Self::cast) to a session found live at `now` (by the caller's lookup, a
    /// moment ago).
    pub(crate) fn cast_live_at<M: Message>(
        &self,
        now: Instant,
        message: M,
    ) -> Result<(), SessionError> {
        let entry = &self.entry;
        let sent = match entry.parking() {
            None => {
                let actor: ActorRef<M> = typed(entry)?;
                self.active_at(now);
                actor.cast(message)
            }
            // Queued while it has no actor; delivered first to its next one.
            Some(parking) => {
                let sent = park::cast(&self.shared, entry, parking, message)?;
                self.active_at(now);
                sent
            }
        };
        match sent {
            Ok(()) => {
                telemetry::cast(|| entry.id().redacted(), &entry.kind);
                Ok(())
            }
            Err(source) => {
                let error = SessionError::CastFailed {
                    session_type: entry.session_type(),
                    source: Box::new(source),
                };
                telemetry::communication_error(
                    entry.id().redacted(),
                    entry.session_type(),
                    "cast",
                    &error,
                );
                Err(error)
            }
        }
    }

    /// A future that resolves with the [`EndReason`](crate::EndReason) when the session
    /// ends, or when its current ID is rotated away.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::EndReason;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let ended = manager.session("s1")?.watch();
    /// manager.terminate("s1").await?;
    /// assert_eq!(ended.await, EndReason::Terminated);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn watch(&self) -> SessionWatch {
        park::wake(&self.shared, &self.entry);
        self.entry.watch(self.entry.id().as_str())
    }

    /// Whether the session stopped here because it moved on to another activation, where
    /// it lives on: handed over to another node of a cluster, or fenced off by a newer
    /// activation on the same store ([`EndReason::HandedOver`](crate::EndReason::HandedOver),
    /// [`EndReason::NodeLost`](crate::EndReason::NodeLost)). `false` while it is live here,
    /// and when it ended for good.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let session = manager.session("s1")?;
    /// manager.terminate("s1").await?;
    /// assert!(!session.is_live() && !session.moved_on());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn moved_on(&self) -> bool {
        use crate::watch::EndReason;
        matches!(
            self.entry.stop_reason(),
            Some(EndReason::HandedOver | EndReason::NodeLost)
        )
    }

    /// Keeps the session active (never parked) while the returned guard lives, and
    /// revives it now if it is parked: for holders of its actor outside the manager,
    /// such as the live sockets of a web layer. Without passivation it does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let session = manager.session("s1")?;
    /// let pin = session.pin();
    /// // ... while `pin` lives, `passivate_after` and `max_active` leave it active.
    /// drop(pin);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use = "the session is kept active only while the pin lives"]
    pub fn pin(&self) -> SessionPin {
        if let Some(parking) = self.entry.parking() {
            parking.pin();
            park::wake(&self.shared, &self.entry);
        }
        SessionPin {
            entry: Arc::clone(&self.entry),
        }
    }

    /// Records activity at `now`; for a durable session, also queues the write of its
    /// deadline when the stored one lags (never on every request).
    fn active_at(&self, now: Instant) {
        self.entry.touch_at(&self.shared.registry.clock, now);
        if self.entry.persisted().is_some()
            && let Some(persistence) = &self.shared.persistence
        {
            persistence.touched(&self.entry);
        }
    }

    /// For a durable session, after a reply: waits (until `deadline`) for the handler
    /// that replied to return, so that its change is recorded and the next write has it;
    /// with write-through, for the store to have every change begun so far, the one the
    /// reply reflects included.
    async fn settled(&self, deadline: Option<Instant>) -> Result<(), SessionError> {
        let Some(persisted) = self.entry.persisted() else {
            return Ok(());
        };
        let target = persisted.changes();
        let write_through = self
            .shared
            .persistence
            .as_ref()
            .is_some_and(|p| p.write_through());
        if !write_through {
            if !persisted.is_recorded(target) {
                // A handler still running long after its reply: write-behind promises
                // nothing more, so the reply is not held beyond the call's timeout.
                let calls = &self.shared.calls;
                let _ = calls
                    .until(deadline, None, persisted.wait_recorded(target))
                    .await;
            }
            return Ok(());
        }
        let saved = self
            .shared
            .calls
            .until(deadline, None, persisted.wait_saved(target));
        match saved.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) | Err(_) => Err(SessionError::NotPersisted {
                id: self.entry.id(),
            }),
        }
    }

    /// The instant of the check, if the session is live and within its deadlines; a
    /// session past its deadline is expired on the spot.
    fn check_live(&self) -> Result<Instant, SessionError> {
        if !self.entry.is_registered() {
            return Err(self.not_found());
        }
        self.shared
            .registry
            .check_deadline(&self.entry)
            .ok_or_else(|| self.not_found())
    }

    fn not_found(&self) -> SessionError {
        SessionError::SessionNotFound {
            id: self.entry.id(),
        }
    }
}

/// ractor's `ActorRef::call`, except that the wait also ends when the actor stops.
///
/// A message sent just as its actor stops can land in the mailbox after the actor has
/// drained it for the last time. It then stays there, reply port included, for as long as
/// anything holds the actor's handle — this call holds one — so `ActorRef::call` waits for
/// its full timeout (15 s by default) instead of failing at once. Here the stop ends the
/// wait: the caller gets `SenderError` (`CallFailed`) as for any call its session dropped.
/// The stop is learnt through the call's deadline slot, which the manager's supervisor
/// fails when the actor stops (`call_deadlines`), not through a waiter on the actor.
///
/// The message goes through `park::send`, which revives a parked session first (and
/// hands a message refused by an actor draining to park to the next one). The timeout is
/// not a tokio timer: the manager's expiry task fails the call once its `deadline` has
/// passed (`call_deadlines`).
async fn call_until_stopped<M: Message, R: Send + 'static>(
    shared: &Arc<Shared>,
    entry: &Arc<Entry>,
    builder: impl FnOnce(RpcReplyPort<R>) -> M,
    timeout: Duration,
    deadline: Option<Instant>,
) -> Result<CallResult<R>, SessionError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    // The port carries the timeout, as ractor's own `call` does (`RpcReplyPort::get_timeout`).
    let actor = park::send(shared, entry, builder((tx, timeout).into())).await?;
    // The reply is polled first: a reply sent before the actor stopped wins over the stop.
    Ok(match shared.calls.until(deadline, Some(&actor), rx).await {
        Ok(Ok(reply)) => CallResult::Success(reply),
        Ok(Err(_)) | Err(Ended::Stopped) => CallResult::SenderError,
        Err(Ended::Deadline) => CallResult::Timeout,
    })
}

/// Keeps a session active while it lives; see [`SessionHandle::pin`].
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// manager.start("s1").await?;
/// let pin: ractor_session::SessionPin = manager.session("s1")?.pin();
/// assert!(!format!("{pin:?}").contains("s1"));
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct SessionPin {
    entry: Arc<Entry>,
}

impl fmt::Debug for SessionPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionPin")
            .field("id", &self.entry.id().redacted())
            .finish()
    }
}

impl Drop for SessionPin {
    fn drop(&mut self) {
        if let Some(parking) = self.entry.parking() {
            parking.unpin();
        }
    }
}
