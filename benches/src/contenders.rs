//! The three things measured side by side: this library, raw ractor and a bare tokio task.
//!
//! Each holds sessions keyed by a string ID and offers the same operations, so every
//! measured loop in [`crate::measure`] is written once and run against all three. The raw
//! contenders do the least work that gives the same service: a concurrent map of IDs to
//! handles, a start that spawns one actor (or task) per session, a stop that waits for it.
//! Raw ractor runs the very actor the library starts by default ([`KvSession`]), linked to
//! a supervisor that ignores its children's ends; the bare tokio task keeps the same kind
//! of state (a JSON map) behind an unbounded channel.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dashmap::DashMap;
use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent, rpc::CallResult};
use ractor_session::{KvMsg, KvSession, SessionConfig, SessionManager};
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The reply timeout every contender's call runs under, as the library's default.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a stop may take before it counts as a failure.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A session store under measurement. Every operation panics on an unexpected failure:
/// a benchmark that silently measured errors would be worse than one that stops.
///
/// # Examples
///
/// ```
/// use ractor_session_benches::{BareTokio, Contender};
///
/// let rt = ractor_session_benches::runtime();
/// let live = ractor_session_benches::on_runtime(&rt, async {
///     let tokio = BareTokio::new();
///     tokio.start("s1").await;
///     tokio.call("s1").await;
///     tokio.terminate("s1").await;
///     tokio.live()
/// });
/// assert_eq!(live, 0);
/// ```
pub trait Contender: Send + Sync + 'static {
    /// The name shown in tables and criterion output.
    const NAME: &'static str;

    /// Starts a session under `id`.
    fn start(&self, id: &str) -> impl Future<Output = ()> + Send;

    /// Stops the session `id`, returning when its actor or task has ended.
    fn terminate(&self, id: &str) -> impl Future<Output = ()> + Send;

    /// Whether `id` is live (the library's `is_started`).
    fn is_live(&self, id: &str) -> bool;

    /// Fetches a typed handle to `id` (the library's `lookup::<KvMsg>`); `false` if absent.
    fn lookup(&self, id: &str) -> impl Future<Output = bool> + Send;

    /// One request–reply round trip to `id` (a ping), under [`CALL_TIMEOUT`].
    fn call(&self, id: &str) -> impl Future<Output = ()> + Send;

    /// Sends `id` one fire-and-forget message that writes to its state.
    fn cast(&self, id: &str) -> impl Future<Output = ()> + Send;

    /// Live sessions.
    fn live(&self) -> usize;
}

/// The default configuration for measurements: room for `max` sessions, no rate limit.
///
/// # Examples
///
/// ```
/// let config = ractor_session_benches::bench_config(1_000_000);
/// assert_eq!(config.max_sessions, 1_000_000);
/// assert_eq!(config.rate_limit, None);
/// ```
#[must_use]
pub fn bench_config(max: usize) -> SessionConfig {
    SessionConfig::default()
        .with_max_sessions(max)
        .with_rate_limit(None)
}

/// This library: a [`SessionManager`] running default (key-value) sessions.
///
/// # Examples
///
/// ```
/// use ractor_session_benches::{Contender, Library, bench_config};
///
/// let rt = ractor_session_benches::runtime();
/// ractor_session_benches::on_runtime(&rt, async {
///     let lib = Library::spawn(bench_config(10)).await;
///     lib.start("s1").await;
///     assert!(lib.is_live("s1"));
///     lib.manager().shutdown().await;
/// });
/// ```
#[derive(Debug, Clone)]
pub struct Library {
    manager: SessionManager,
}

impl Library {
    /// Spawns a manager with `config`.
    ///
    /// # Panics
    ///
    /// If the manager does not start (an invalid configuration).
    ///
    /// # Examples
    ///
    /// See [`Library`].
    pub async fn spawn(config: SessionConfig) -> Self {
        let manager = SessionManager::spawn(config)
            .await
            .expect("the session manager starts");
        Self { manager }
    }

    /// The manager under measurement.
    ///
    /// # Examples
    ///
    /// See [`Library`].
    #[must_use]
    pub fn manager(&self) -> &SessionManager {
        &self.manager
    }
}

impl Contender for Library {
    const NAME: &'static str = "this library";

    async fn start(&self, id: &str) {
        self.manager.start(id).await.expect("session starts");
    }

    async fn terminate(&self, id: &str) {
        self.manager.terminate(id).await.expect("session stops");
    }

    fn is_live(&self, id: &str) -> bool {
        self.manager.is_started(id)
    }

    async fn lookup(&self, id: &str) -> bool {
        self.manager.lookup::<KvMsg>(id).await.is_ok()
    }

    async fn call(&self, id: &str) {
        self.manager
            .call_timeout(id, KvMsg::Ping, CALL_TIMEOUT)
            .await
            .expect("call succeeds");
    }

    async fn cast(&self, id: &str) {
        self.manager
            .cast(id, KvMsg::put("k", 1))
            .await
            .expect("cast succeeds");
    }

    fn live(&self) -> usize {
        self.manager.count()
    }
}

/// A supervisor that ignores its children's ends (ractor's default would stop it).
#[derive(Debug)]
pub struct QuietSupervisor;

impl Actor for QuietSupervisor {
    type Msg = ();
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<()>, _: ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        _: ActorRef<()>,
        _: SupervisionEvent,
        _: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        Ok(())
    }
}

/// Raw ractor: [`KvSession`] actors spawned with `Actor::spawn_linked` under a
/// [`QuietSupervisor`], found through a `DashMap<String, ActorRef<KvMsg>>`.
///
/// # Examples
///
/// ```
/// use ractor_session_benches::{Contender, RawRactor};
///
/// let rt = ractor_session_benches::runtime();
/// ractor_session_benches::on_runtime(&rt, async {
///     let raw = RawRactor::spawn().await;
///     raw.start("s1").await;
///     raw.call("s1").await;
///     assert!(raw.lookup("s1").await);
///     raw.terminate("s1").await;
///     assert!(!raw.is_live("s1"));
/// });
/// ```
#[derive(Debug)]
pub struct RawRactor {
    supervisor: ActorRef<()>,
    sessions: DashMap<String, ActorRef<KvMsg>>,
}

impl RawRactor {
    /// Spawns the supervisor.
    ///
    /// # Panics
    ///
    /// If the supervisor does not start.
    ///
    /// # Examples
    ///
    /// See [`RawRactor`].
    pub async fn spawn() -> Self {
        let (supervisor, _) = Actor::spawn(None, QuietSupervisor, ())
            .await
            .expect("supervisor starts");
        Self {
            supervisor,
            sessions: DashMap::new(),
        }
    }

    fn actor(&self, id: &str) -> ActorRef<KvMsg> {
        self.sessions.get(id).expect("session is live").clone()
    }
}

impl Drop for RawRactor {
    fn drop(&mut self) {
        self.supervisor.stop(None);
    }
}

impl Contender for RawRactor {
    const NAME: &'static str = "raw ractor";

    async fn start(&self, id: &str) {
        let (actor, _) =
            Actor::spawn_linked(None, KvSession, Map::new(), self.supervisor.get_cell())
                .await
                .expect("actor starts");
        self.sessions.insert(id.to_owned(), actor);
    }

    async fn terminate(&self, id: &str) {
        let (_, actor) = self.sessions.remove(id).expect("session is live");
        actor
            .stop_and_wait(None, Some(STOP_TIMEOUT))
            .await
            .expect("actor stops");
    }

    fn is_live(&self, id: &str) -> bool {
        self.sessions.contains_key(id)
    }

    async fn lookup(&self, id: &str) -> bool {
        self.sessions.get(id).map(|a| a.clone()).is_some()
    }

    async fn call(&self, id: &str) {
        let actor = self.actor(id);
        match actor.call(KvMsg::Ping, Some(CALL_TIMEOUT)).await {
            Ok(CallResult::Success(_)) => {}
            _ => panic!("call failed"),
        }
    }

    async fn cast(&self, id: &str) {
        self.actor(id)
            .cast(KvMsg::put("k", 1))
            .expect("cast succeeds");
    }

    fn live(&self) -> usize {
        self.sessions.len()
    }
}

/// A message of the bare tokio session task.
#[derive(Debug)]
pub enum TaskMsg {
    /// Replies `()`.
    Ping(oneshot::Sender<()>),
    /// Sets a key.
    Put(String, Value),
}

#[derive(Debug)]
struct TaskHandle {
    tx: mpsc::UnboundedSender<TaskMsg>,
    task: JoinHandle<()>,
}

/// Bare tokio: one spawned task per session reading an unbounded mpsc channel, found
/// through a `DashMap<String, (sender, JoinHandle)>`.
///
/// # Examples
///
/// See [`Contender`].
#[derive(Debug, Default)]
pub struct BareTokio {
    sessions: DashMap<String, TaskHandle>,
}

impl BareTokio {
    /// An empty store.
    ///
    /// # Examples
    ///
    /// See [`Contender`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn sender(&self, id: &str) -> mpsc::UnboundedSender<TaskMsg> {
        self.sessions.get(id).expect("session is live").tx.clone()
    }
}

/// The body of a bare tokio session: a JSON map, one message at a time, until the
/// channel closes or `deadline` passes.
async fn session_task(mut rx: mpsc::UnboundedReceiver<TaskMsg>, deadline: Option<Instant>) {
    let mut state = Map::new();
    loop {
        let message = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(message) => message,
                Err(_) => return,
            },
            None => rx.recv().await,
        };
        match message {
            Some(TaskMsg::Ping(reply)) => {
                let _ = reply.send(());
            }
            Some(TaskMsg::Put(key, value)) => {
                state.insert(key, value);
            }
            None => return,
        }
    }
}

impl Contender for BareTokio {
    const NAME: &'static str = "bare tokio";

    async fn start(&self, id: &str) {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(session_task(rx, None));
        self.sessions.insert(id.to_owned(), TaskHandle { tx, task });
    }

    async fn terminate(&self, id: &str) {
        let (_, handle) = self.sessions.remove(id).expect("session is live");
        drop(handle.tx);
        handle.task.await.expect("task ends");
    }

    fn is_live(&self, id: &str) -> bool {
        self.sessions.contains_key(id)
    }

    async fn lookup(&self, id: &str) -> bool {
        self.sessions.get(id).map(|h| h.tx.clone()).is_some()
    }

    async fn call(&self, id: &str) {
        let (tx, rx) = oneshot::channel();
        self.sender(id)
            .send(TaskMsg::Ping(tx))
            .expect("task is running");
        tokio::time::timeout(CALL_TIMEOUT, rx)
            .await
            .expect("reply in time")
            .expect("task replies");
    }

    async fn cast(&self, id: &str) {
        self.sender(id)
            .send(TaskMsg::Put("k".to_owned(), 1.into()))
            .expect("task is running");
    }

    fn live(&self) -> usize {
        self.sessions.len()
    }
}

/// Sessions that stop themselves at a deadline, for the raw counterparts of expiry:
/// how many were started and how many have ended.
#[derive(Debug, Default)]
pub struct ExpiryTally {
    ended: AtomicUsize,
}

impl ExpiryTally {
    /// Sessions ended so far.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session_benches::ExpiryTally::default().ended(), 0);
    /// ```
    #[must_use]
    pub fn ended(&self) -> usize {
        self.ended.load(Ordering::Acquire)
    }

    fn end(&self) {
        self.ended.fetch_add(1, Ordering::AcqRel);
    }
}

/// A raw ractor session that stops itself at a deadline: a `send_after` timer (one tokio
/// task per session, as ractor's timers are) delivers `Expire`, and the actor removes
/// itself from the map and stops.
#[derive(Debug)]
pub struct ExpiringActor;

/// Arguments of [`ExpiringActor`].
#[derive(Debug)]
pub struct ExpiringArgs {
    /// The session's ID (its key in `sessions`).
    pub id: String,
    /// The map the session removes itself from.
    pub sessions: Arc<DashMap<String, ActorRef<ExpireMsg>>>,
    /// When it expires.
    pub deadline: Instant,
    /// Told when it has stopped.
    pub tally: Arc<ExpiryTally>,
}

/// The message of [`ExpiringActor`].
#[derive(Debug)]
pub enum ExpireMsg {
    /// The deadline passed.
    Expire,
}

impl Actor for ExpiringActor {
    type Msg = ExpireMsg;
    type State = (ExpiringArgs, Map<String, Value>);
    type Arguments = ExpiringArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<ExpireMsg>,
        args: ExpiringArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let wait = args.deadline.saturating_duration_since(Instant::now());
        myself.send_after(wait, || ExpireMsg::Expire);
        Ok((args, Map::new()))
    }

    async fn handle(
        &self,
        myself: ActorRef<ExpireMsg>,
        ExpireMsg::Expire: ExpireMsg,
        (args, _): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        args.sessions.remove(&args.id);
        myself.stop(None);
        Ok(())
    }

    async fn post_stop(
        &self,
        _: ActorRef<ExpireMsg>,
        (args, _): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        args.tally.end();
        Ok(())
    }
}

/// Starts a bare tokio session that ends itself at `deadline`, removing itself from
/// `sessions` and counting itself in `tally`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use dashmap::DashMap;
/// use ractor_session_benches::{ExpiryTally, spawn_expiring_task};
///
/// let rt = ractor_session_benches::runtime();
/// let ended = ractor_session_benches::on_runtime(&rt, async {
///     let sessions = Arc::new(DashMap::new());
///     let tally = Arc::new(ExpiryTally::default());
///     let deadline = tokio::time::Instant::now();
///     spawn_expiring_task("s1", &sessions, deadline, &tally);
///     while tally.ended() == 0 {
///         tokio::task::yield_now().await;
///     }
///     sessions.len()
/// });
/// assert_eq!(ended, 0);
/// ```
pub fn spawn_expiring_task(
    id: &str,
    sessions: &Arc<DashMap<String, mpsc::UnboundedSender<TaskMsg>>>,
    deadline: Instant,
    tally: &Arc<ExpiryTally>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let id = id.to_owned();
    sessions.insert(id.clone(), tx);
    let sessions = Arc::clone(sessions);
    let tally = Arc::clone(tally);
    tokio::spawn(async move {
        session_task(rx, Some(deadline)).await;
        sessions.remove(&id);
        tally.end();
    });
}
