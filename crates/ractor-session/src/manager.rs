//! [`SessionManager`]: the public face of the registry, supervisor and expiry task.

use std::any::{TypeId, type_name};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use dashmap::DashMap;
use dashmap::mapref::entry::Entry as MapEntry;
use ractor::{Actor, ActorCell, ActorId, ActorRef, Message, RpcReplyPort};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant};

use crate::config::SessionConfig;
use crate::error::SessionError;
use crate::expiry::{self, Wheel};
use crate::handle::{SessionHandle, typed};
use crate::id::SessionId;
use crate::kv::KvSession;
use crate::limits::{RateLimiter, SlotCounter};
use crate::registry::{Clock, Entry, Shared, Slot};
use crate::session::{self, Session};
use crate::supervisor::SessionSupervisor;
use crate::telemetry::{self, short_type_name};
use crate::watch::{EndReason, SessionWatch};

/// Starts, finds, calls and stops session actors; a cheap [`Clone`] handle.
///
/// One manager owns a supervisor actor, a registry of live sessions keyed by
/// [`SessionId`], its [`SessionConfig`], the limits and the expiry timer wheel. Several
/// managers in one process never see each other's sessions.
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
/// manager.cast("user-1", KvMsg::put("theme", json!("dark")))?;
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
}

/// One row of [`SessionManager::list`].
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// manager.start("s1").await?;
/// let info = &manager.list()[0];
/// assert_eq!(info.id.as_str(), "s1");
/// assert_eq!(info.session_type, "KvSession");
/// assert!(info.last_active >= info.started_at);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The session's ID.
    pub id: SessionId,
    /// Its actor's ID.
    pub actor_id: ActorId,
    /// The actor type's name, without its module path.
    pub session_type: &'static str,
    /// When it started.
    pub started_at: SystemTime,
    /// Its last activity (`call`, `cast`, `touch`, or its start).
    pub last_active: SystemTime,
}

/// Figures from [`SessionManager::stats`].
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// manager.start("a").await?;
/// manager.start("b").await?;
/// let stats = manager.stats();
/// assert_eq!(stats.live, 2);
/// assert_eq!(stats.by_type.get("KvSession"), Some(&2));
/// assert_eq!(stats.max_sessions, 10_000);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionStats {
    /// Live sessions.
    pub live: usize,
    /// Sessions whose actor is being started right now.
    pub starting: usize,
    /// The configured `max_sessions`.
    pub max_sessions: usize,
    /// Live sessions per actor type.
    pub by_type: BTreeMap<&'static str, usize>,
    /// Entries the registry can hold without growing: its memory scales with this, not
    /// with `live` (per-session memory is measured by the benchmark package; see
    /// `docs/performance.md`).
    pub registry_capacity: usize,
}

impl SessionManager {
    /// Validates `config`, then starts the supervisor and the expiry task.
    ///
    /// Must be called within a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`SessionError::InvalidConfig`] for a bad configuration;
    /// [`SessionError::StartFailed`] if the supervisor actor could not start.
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
        config.validate()?;
        telemetry::describe();
        let (supervisor, supervisor_task) = Actor::spawn(None, SessionSupervisor, ())
            .await
            .map_err(|source| SessionError::StartFailed {
                id: SessionId::parse("supervisor").expect("a valid literal ID"),
                source,
            })?;
        let wheel_wake = Arc::new(Notify::new());
        let shared = Arc::new(Shared {
            registry: DashMap::new(),
            slots: SlotCounter::new(config.max_sessions),
            rate: config.effective_rate_limit().map(RateLimiter::new),
            clock: Clock::new(),
            wheel: Mutex::new(Wheel::new(&config)),
            wheel_wake: Arc::clone(&wheel_wake),
            start_done: Notify::new(),
            idle_ms: config.idle_timeout.as_millis() as u64,
            lifetime_ms: config.max_lifetime.map(|max| max.as_millis() as u64),
            supervisor: supervisor.get_cell(),
            shutting_down: Default::default(),
            config,
        });
        let expiry_task = tokio::spawn(expiry::run(Arc::downgrade(&shared), wheel_wake));
        Ok(Self {
            shared,
            tasks: Arc::new(Mutex::new(Some(BackgroundTasks {
                expiry: expiry_task,
                supervisor: supervisor_task,
            }))),
        })
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
    /// session ends (as [`EndReason::Crashed`]) and it is not restarted.
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
    /// manager.cast("c", CounterMsg::Add(1))?;
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
        let id = SessionId::parse(id.as_ref())?;
        let entry = self.start_entry(id, move || (actor, args), false).await?;
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
        let id = id.as_ref();
        let entry = match self.shared.lookup(id) {
            Ok(entry) => entry,
            Err(_) => {
                let id = SessionId::parse(id)?;
                self.start_entry(id, make, true).await?
            }
        };
        Ok(SessionHandle::new(Arc::clone(&self.shared), entry))
    }

    async fn start_entry<A: Actor>(
        &self,
        id: SessionId,
        make: impl FnOnce() -> (A, A::Arguments),
        or_get: bool,
    ) -> Result<Arc<Entry>, SessionError> {
        let session_type = short_type_name(type_name::<A>());
        let gate = loop {
            if self.shared.shutting_down.load(Ordering::SeqCst) {
                return Err(SessionError::ManagerShutdown);
            }
            // Created before looking, so a start finishing in between is not missed.
            let start_done = self.shared.start_done.notified();
            let existing = match self.shared.registry.entry(id.clone()) {
                MapEntry::Occupied(occupied) => occupied.get().clone(),
                MapEntry::Vacant(vacant) => {
                    // Both checks happen under the registry shard's lock, so the slot is
                    // ours alone; refused attempts take neither a slot nor a token.
                    if !self.shared.slots.try_reserve() {
                        telemetry::start_error(id.redacted(), session_type, "session_limit");
                        return Err(SessionError::SessionLimitReached {
                            max: self.shared.slots.max(),
                        });
                    }
                    if let Some(rate) = &self.shared.rate {
                        if !rate.try_acquire() {
                            self.shared.slots.release();
                            telemetry::rate_limited(id.redacted(), rate.per_minute());
                            telemetry::start_error(id.redacted(), session_type, "rate_limit");
                            return Err(SessionError::RateLimitExceeded {
                                limit: rate.per_minute(),
                            });
                        }
                    }
                    vacant.insert(Slot::Starting);
                    break StartGate {
                        shared: &self.shared,
                        id: &id,
                        done: false,
                    };
                }
            };
            match existing {
                Slot::Live(entry) if or_get => return Ok(entry),
                Slot::Live(entry) => {
                    let actor = entry
                        .actor
                        .get()
                        .cloned()
                        .expect("live entries have an actor");
                    return Err(SessionError::AlreadyStarted { id, actor });
                }
                // Another task is starting this ID: wait until it is done, then look again.
                Slot::Starting => start_done.await,
            }
        };
        // Checked again now that the `Starting` slot is in the registry: either `shutdown`
        // (which sets the flag, then waits for every `Starting` slot) sees the slot and
        // waits for this start to finish, or this sees the flag. Checking only before
        // taking the slot let a session start after `shutdown` had stopped the others,
        // never told `Shutdown` and possibly left running.
        if self.shared.shutting_down.load(Ordering::SeqCst) {
            return Err(SessionError::ManagerShutdown);
        }

        let began = Instant::now();
        let entry = Entry::new(
            id.clone(),
            TypeId::of::<A::Msg>(),
            session_type,
            &self.shared,
        );
        let (actor, args) = make();
        let session = Session {
            inner: actor,
            entry: Arc::clone(&entry),
        };
        let spawned =
            Actor::spawn_linked(None, session, args, self.shared.supervisor.clone()).await;
        match spawned {
            Ok((actor, _task)) => {
                let _ = entry.actor.set(actor.get_cell());
                // The idle timeout runs from the moment the session is live, not from when
                // its start began: a slow `pre_start` must not eat into it.
                let live_at = Instant::now();
                entry.touch_at(&self.shared.clock, live_at);
                self.shared.register(&id, &entry);
                gate.succeed();
                expiry::arm_new(&self.shared, &entry);
                telemetry::started(
                    id.redacted(),
                    session_type,
                    live_at.saturating_duration_since(began),
                );
                telemetry::live(self.shared.slots.live());
                Ok(entry)
            }
            Err(source) => {
                telemetry::start_error(id.redacted(), session_type, "start_failed");
                drop(gate);
                Err(SessionError::StartFailed { id, source })
            }
        }
    }

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
        self.shared.peek(id.as_ref(), |_| ()).is_some()
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
            .peek(id, typed)
            .unwrap_or_else(|| Err(self.shared.not_found(id)))
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
        let (entry, _) = self.shared.lookup_at(id.as_ref())?;
        Ok(SessionHandle::new(Arc::clone(&self.shared), entry))
    }

    /// Sends a request built by `builder` and waits for the reply, up to the configured
    /// [`call_timeout`](SessionConfig::call_timeout). Counts as activity.
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
        let clock = &self.shared.clock;
        self.shared
            .with_live(id, |entry, now| entry.touch_at(clock, now))
            .ok_or_else(|| self.shared.not_found(id))
    }

    /// Stops the session gracefully: it leaves the registry at once (its slot is free
    /// again), then its actor finishes the message in hand and runs `post_stop`; this
    /// returns when it has. An actor that takes longer than
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
        let entry = self.shared.lookup(id.as_ref())?;
        if !self.shared.deregister_for(&entry, EndReason::Terminated) {
            // Someone else (expiry, a crash, another terminate) got there first.
            return Err(self.shared.not_found(id.as_ref()));
        }
        if session::is_current(&entry) {
            // Waiting here would wait for ourselves until `stop_timeout`, then kill the
            // actor mid-handler without `post_stop`. Its `post_stop` finishes the entry.
            if let Some(actor) = entry.actor.get() {
                actor.stop(None);
            }
            return Ok(());
        }
        self.stop_actor(&entry).await;
        entry.finish(EndReason::Terminated);
        Ok(())
    }

    async fn stop_actor(&self, entry: &Entry) {
        let Some(actor) = entry.actor.get() else {
            return;
        };
        let timeout = self.shared.config.stop_timeout;
        if actor.stop_and_wait(None, Some(timeout)).await.is_err() {
            if actor.get_status() == ractor::ActorStatus::Stopped {
                return;
            }
            telemetry::cleanup_error(
                entry.id().redacted(),
                entry.session_type,
                "stop timed out; actor killed",
            );
            let _ = actor.kill_and_wait(Some(timeout)).await;
        }
    }

    /// Moves the live session `id` to a freshly generated ID and returns it; `id` stops
    /// resolving at once. Use it after login or any change of privilege (OWASP). Watchers
    /// of the old ID are told [`EndReason::Rotated`]; the actor and its state carry on.
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
        self.shared.rotate(id.as_ref())
    }

    /// A future that resolves with the [`EndReason`] when the session ends.
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
        Ok(self.shared.lookup(id)?.watch(id))
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
        self.list_where(|_| true)
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
        self.list_where(|entry| entry.type_id == msg && entry.session_type == name)
    }

    fn list_where(&self, keep: impl Fn(&Entry) -> bool) -> Vec<SessionInfo> {
        self.shared
            .registry
            .iter()
            .filter_map(|item| match item.value() {
                Slot::Live(entry) if keep(entry) => {
                    let actor = entry.actor.get()?;
                    let active_for = entry.last_active_ms().saturating_sub(entry.started_ms);
                    Some(SessionInfo {
                        id: item.key().clone(),
                        actor_id: actor.get_id(),
                        session_type: entry.session_type,
                        started_at: entry.started_at,
                        last_active: entry.started_at + Duration::from_millis(active_for),
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// Live sessions.
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
        self.shared.slots.live()
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
        let mut by_type = BTreeMap::new();
        let mut live = 0;
        let mut starting = 0;
        for item in &self.shared.registry {
            match item.value() {
                Slot::Live(entry) => {
                    live += 1;
                    *by_type.entry(entry.session_type).or_insert(0) += 1;
                }
                Slot::Starting => starting += 1,
            }
        }
        SessionStats {
            live,
            starting,
            max_sessions: self.shared.slots.max(),
            by_type,
            registry_capacity: self.shared.registry.capacity(),
        }
    }

    /// Stops every session gracefully and then the manager itself.
    ///
    /// New starts are refused from the first moment. Every session's actor finishes its
    /// message in hand and runs `post_stop`; watchers are told [`EndReason::Shutdown`];
    /// an actor still running after [`stop_timeout`](SessionConfig::stop_timeout) is
    /// killed. When this returns the registry is empty and the supervisor and expiry task
    /// have exited. Calling it again does nothing more.
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
        self.shared.shutting_down.store(true, Ordering::SeqCst);
        // Starts already under way finish first (later ones see the flag and give up), so
        // that the sessions they start are stopped below like every other. A `pre_start`
        // that takes longer than `stop_timeout` is not waited for: its actor then fails
        // to link to the stopped supervisor and its start fails.
        let timeout = self.shared.config.stop_timeout;
        let _ = tokio::time::timeout(timeout, self.wait_for_starts()).await;
        let entries = self.live_entries();
        for entry in &entries {
            entry.request_stop(EndReason::Shutdown);
        }
        self.shared
            .supervisor
            .stop_children_and_wait(Some("shutdown".to_owned()), Some(timeout))
            .await;
        // Whatever is still registered did not stop in time (or started meanwhile).
        for entry in self.live_entries() {
            entry.request_stop(EndReason::Shutdown);
            self.stop_actor(&entry).await;
            entry.finish(EndReason::Shutdown);
        }
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(tasks) = tasks {
            let _ = self
                .shared
                .supervisor
                .stop_and_wait(None, Some(timeout))
                .await;
            let _ = tasks.supervisor.await;
            tasks.expiry.abort();
            let _ = tasks.expiry.await;
        }
        telemetry::live(self.shared.slots.live());
    }

    async fn wait_for_starts(&self) {
        loop {
            // Created before looking, so a start finishing in between is not missed.
            let start_done = self.shared.start_done.notified();
            let starting = self
                .shared
                .registry
                .iter()
                .any(|item| matches!(item.value(), Slot::Starting));
            if !starting {
                return;
            }
            // Resolves when some starter is done: started, failed or cancelled.
            start_done.await;
        }
    }

    fn live_entries(&self) -> Vec<Arc<Entry>> {
        self.shared
            .registry
            .iter()
            .filter_map(|item| match item.value() {
                Slot::Live(entry) => Some(Arc::clone(entry)),
                Slot::Starting => None,
            })
            .collect()
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

/// Holds an ID's `Starting` slot, its `max_sessions` slot and its rate-limit token while
/// the actor spawns. Dropped without `succeed` (a failed spawn, or the start future
/// cancelled), it gives all three back; either way waiters are woken.
struct StartGate<'a> {
    shared: &'a Shared,
    id: &'a SessionId,
    done: bool,
}

impl StartGate<'_> {
    fn succeed(mut self) {
        self.done = true;
    }
}

impl Drop for StartGate<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.shared
                .registry
                .remove_if(self.id, |_, slot| matches!(slot, Slot::Starting));
            self.shared.slots.release();
            if let Some(rate) = &self.shared.rate {
                rate.refund();
            }
        }
        self.shared.start_done.notify_waiters();
    }
}
