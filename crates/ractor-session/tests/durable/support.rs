//! What the durable-session tests share: a session type that counts its actors, a store
//! wrapper that watches (and can hold or fail) what a manager asks of its store, and
//! managers on SQLite files.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::durable::{
    BackendError, DeleteOutcome, DurableSession, RotateOutcome, SaveOutcome, SessionRecord,
    SessionStore, SqliteStore,
};
use ractor_session::{BoxError, DurabilityConfig, SessionId, SessionManager, UserKey};
use ractor_session_test_support::config::config;
use serde::Serialize;
use tokio::sync::Notify;

/// A session holding a list of numbers, appended in the order the messages arrive; it
/// counts how many of its actors were ever started.
#[derive(Debug, Clone, Default)]
pub(crate) struct Journal {
    pub(crate) starts: Arc<AtomicUsize>,
}

/// Messages of [`Journal`].
#[derive(Debug)]
pub(crate) enum JournalMsg {
    /// Appends a number.
    Append(u32),
    /// Appends a number and replies once it is in the state.
    AppendAck(u32, RpcReplyPort<()>),
    /// Replies with every number.
    Entries(RpcReplyPort<Vec<u32>>),
}

#[cfg(feature = "cluster")]
impl ractor::Message for JournalMsg {}

impl Actor for Journal {
    type Msg = JournalMsg;
    type State = Vec<u32>;
    type Arguments = Vec<u32>;

    async fn pre_start(
        &self,
        _: ActorRef<JournalMsg>,
        entries: Vec<u32>,
    ) -> Result<Vec<u32>, ActorProcessingErr> {
        self.starts.fetch_add(1, Ordering::SeqCst);
        Ok(entries)
    }

    async fn handle(
        &self,
        _: ActorRef<JournalMsg>,
        msg: JournalMsg,
        entries: &mut Vec<u32>,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            JournalMsg::Append(n) => entries.push(n),
            JournalMsg::AppendAck(n, reply) => {
                entries.push(n);
                let _ = reply.send(());
            }
            JournalMsg::Entries(reply) => {
                let _ = reply.send(entries.clone());
            }
        }
        Ok(())
    }
}

impl DurableSession for Journal {
    const TYPE_TAG: &'static str = "journal";
    type Snapshot = Vec<u32>;

    fn snapshot(entries: &Vec<u32>) -> impl Serialize {
        entries
    }

    fn restore(&self, entries: Vec<u32>) -> Result<Vec<u32>, BoxError> {
        Ok(entries)
    }

    fn mutates(msg: &JournalMsg) -> bool {
        !matches!(msg, JournalMsg::Entries(_))
    }
}

/// Puts `key = value` into the key-value session `id`, by a call: acknowledged once the
/// session has it (a cast could still be queued when a shutdown stops the session).
pub(crate) async fn put(manager: &SessionManager, id: &str, key: &str, value: serde_json::Value) {
    let request = serde_json::json!({"op": "put", "key": key, "value": value});
    manager
        .call(id, |reply| ractor_session::KvMsg::Request {
            request,
            reply,
        })
        .await
        .unwrap()
        .unwrap();
}

/// Starts an empty journal under `id`, and waits until its first state is recorded (with
/// write-through: stored).
pub(crate) async fn start_journal(manager: &SessionManager, id: &str) {
    manager
        .start_with(id, Journal::default(), vec![])
        .await
        .unwrap();
    manager.call(id, JournalMsg::Entries).await.unwrap();
}

/// A manager on `store`, with `durability`, knowing [`Journal`] (whose actors `starts`
/// counts).
pub(crate) async fn manager(
    store: Arc<dyn SessionStore>,
    durability: DurabilityConfig,
    starts: &Arc<AtomicUsize>,
) -> SessionManager {
    let journal = Journal {
        starts: Arc::clone(starts),
    };
    SessionManager::builder(config())
        .with_store(store)
        .with_durability(durability)
        .with_durable(move || journal.clone())
        .spawn()
        .await
        .unwrap()
}

/// The SQLite store in `dir`, opened afresh (as a restarted process would).
pub(crate) async fn sqlite(dir: &Path) -> Arc<dyn SessionStore> {
    Arc::new(SqliteStore::open(dir.join("sessions.db")).await.unwrap())
}

/// A store in front of another that records the deletions and sweeps asked of it, and
/// can make saves wait, or fail, on demand.
#[derive(Debug)]
pub(crate) struct Probe {
    inner: Arc<dyn SessionStore>,
    hold_saves: AtomicBool,
    fail_saves: AtomicBool,
    /// How long each save takes, in milliseconds (a slow database).
    save_delay_ms: AtomicU64,
    moved: Notify,
    saves_begun: AtomicUsize,
    deleted: Mutex<Vec<SessionId>>,
    sweeps: Mutex<Vec<(usize, usize)>>,
}

impl Probe {
    pub(crate) fn new(inner: Arc<dyn SessionStore>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            hold_saves: AtomicBool::new(false),
            fail_saves: AtomicBool::new(false),
            save_delay_ms: AtomicU64::new(0),
            moved: Notify::new(),
            saves_begun: AtomicUsize::new(0),
            deleted: Mutex::new(Vec::new()),
            sweeps: Mutex::new(Vec::new()),
        })
    }

    /// Saves wait (`true`) until released (`false`).
    pub(crate) fn hold_saves(&self, hold: bool) {
        self.hold_saves.store(hold, Ordering::SeqCst);
        self.moved.notify_waiters();
    }

    /// Saves fail as if the database were unreachable (`true`), or go through (`false`).
    pub(crate) fn fail_saves(&self, fail: bool) {
        self.fail_saves.store(fail, Ordering::SeqCst);
    }

    /// Each save takes `delay` longer, as on a slow database.
    pub(crate) fn slow_saves(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.save_delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Saves asked for so far (held ones included).
    pub(crate) fn saves_begun(&self) -> usize {
        self.saves_begun.load(Ordering::SeqCst)
    }

    /// The IDs whose records were deleted.
    pub(crate) fn deleted(&self) -> Vec<SessionId> {
        lock(&self.deleted).clone()
    }

    /// Each sweep asked for: its limit and how many records it removed.
    pub(crate) fn sweeps(&self) -> Vec<(usize, usize)> {
        lock(&self.sweeps).clone()
    }

    async fn wait_while_held(&self) {
        loop {
            let moved = self.moved.notified();
            tokio::pin!(moved);
            moved.as_mut().enable();
            if !self.hold_saves.load(Ordering::SeqCst) {
                return;
            }
            moved.await;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What an unreachable database makes a store answer.
fn unreachable() -> BackendError {
    BackendError::Unreachable {
        backend: "probe",
        source: "connection refused (on purpose)".into(),
    }
}

impl SessionStore for Probe {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn load<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>> {
        self.inner.load(id)
    }

    fn claim<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, BackendError>> {
        self.inner.claim(id)
    }

    fn save(
        &self,
        batch: Vec<SessionRecord>,
    ) -> BoxFuture<'_, Result<Vec<SaveOutcome>, BackendError>> {
        async move {
            self.saves_begun.fetch_add(1, Ordering::SeqCst);
            self.wait_while_held().await;
            let delay = self.save_delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            if self.fail_saves.load(Ordering::SeqCst) {
                return Err(unreachable());
            }
            self.inner.save(batch).await
        }
        .boxed()
    }

    fn delete<'a>(
        &'a self,
        id: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<DeleteOutcome, BackendError>> {
        async move {
            let outcome = self.inner.delete(id, epoch).await?;
            lock(&self.deleted).push(id.clone());
            Ok(outcome)
        }
        .boxed()
    }

    fn rotate<'a>(
        &'a self,
        old: &'a SessionId,
        new: &'a SessionId,
        epoch: u64,
    ) -> BoxFuture<'a, Result<RotateOutcome, BackendError>> {
        self.inner.rotate(old, new, epoch)
    }

    fn delete_user<'a>(
        &'a self,
        user: &'a UserKey,
    ) -> BoxFuture<'a, Result<Vec<SessionId>, BackendError>> {
        self.inner.delete_user(user)
    }

    fn sweep(&self, now: SystemTime, limit: usize) -> BoxFuture<'_, Result<usize, BackendError>> {
        async move {
            let removed = self.inner.sweep(now, limit).await?;
            lock(&self.sweeps).push((limit, removed));
            Ok(removed)
        }
        .boxed()
    }

    fn health(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        self.inner.health()
    }
}

/// The JSON state of `id`'s record in `store`, if it has a live one.
pub(crate) async fn stored_state(store: &dyn SessionStore, id: &str) -> Option<serde_json::Value> {
    let id = SessionId::parse(id).unwrap();
    let record = store.load(&id).await.unwrap()?;
    Some(serde_json::from_slice(record.state()).unwrap())
}
