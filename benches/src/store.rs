//! The durable layer measured directly, through its embedded SQLite store: session
//! snapshots persisted per second in batches (the write-behind flush), and the latency of
//! a `load` and of a `claim` — the store's share of restoring a session on its next use;
//! then a restore through the manager: the first use of an ID that only the store has.
//!
//! Each round uses a fresh database file in a temporary directory.

use std::time::{Duration, Instant, SystemTime};

use std::path::Path;
use std::sync::Arc;

use ractor_session::durable::{
    BackendError, SaveOutcome, SessionRecord, SessionStore, SqliteStore,
};
use ractor_session::{KvMsg, SessionError, SessionId, SessionManager};

use crate::{RunError, bench_config};

/// How much one round writes and reads.
///
/// # Examples
///
/// ```
/// let quick = ractor_session_benches::store::StoreScale::QUICK;
/// assert!(quick.records < ractor_session_benches::store::StoreScale::FULL.records);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct StoreScale {
    /// Distinct session records written.
    pub records: usize,
    /// Records per `save` (one transaction).
    pub batch: usize,
    /// Bytes of state per record.
    pub state_bytes: usize,
    /// Loads timed one by one, and as many claims.
    pub reads: usize,
    /// Sessions written by one manager and restored one by one by the next.
    pub restores: usize,
}

impl StoreScale {
    /// 200,000 records of 200 B in batches of 1,000; 20,000 loads and claims.
    pub const FULL: Self = Self {
        records: 200_000,
        batch: 1_000,
        state_bytes: 200,
        reads: 20_000,
        restores: 10_000,
    };
    /// 20,000 records, 2,000 loads and claims.
    pub const QUICK: Self = Self {
        records: 20_000,
        batch: 1_000,
        state_bytes: 200,
        reads: 2_000,
        restores: 1_000,
    };
}

/// The figures of one round.
#[derive(Debug, Clone, Copy)]
pub struct StoreRound {
    /// New records persisted per second, batches saved one after another.
    pub inserts_per_s: f64,
    /// Existing records saved again with new state, per second.
    pub updates_per_s: f64,
    /// Records per second with four writers saving their batches at once.
    pub concurrent_per_s: f64,
    /// `load` latency, median and 99th percentile.
    pub load: (Duration, Duration),
    /// `claim` latency (a read and an epoch raise in one transaction), median and 99th
    /// percentile.
    pub claim: (Duration, Duration),
    /// Restore on next use through the manager (`SessionManager::resume` of an ID only
    /// the store has: claim, deserialize, start the actor), median and 99th percentile.
    pub restore: (Duration, Duration),
}

/// One round against a fresh SQLite store.
///
/// # Errors
///
/// [`RunError::Failed`] when the store fails or fences a write it should accept, or
/// loses a record.
///
/// # Examples
///
/// ```
/// use ractor_session_benches::store::{StoreScale, sqlite_round};
///
/// let rt = ractor_session_benches::runtime();
/// let scale = StoreScale { records: 200, batch: 50, state_bytes: 10, reads: 20, restores: 20 };
/// let round = rt.block_on(sqlite_round(scale)).expect("the store works");
/// assert!(round.inserts_per_s > 0.0);
/// assert!(round.load.0 <= round.load.1);
/// assert!(round.restore.0 <= round.restore.1);
/// ```
pub async fn sqlite_round(scale: StoreScale) -> Result<StoreRound, RunError> {
    let failed = |e: BackendError| RunError::Failed(format!("the SQLite store: {e}"));
    let dir =
        tempfile::tempdir().map_err(|e| RunError::Failed(format!("a temporary directory: {e}")))?;
    let store = SqliteStore::open(dir.path().join("sessions.db"))
        .await
        .map_err(failed)?;
    let ids: Vec<SessionId> = (0..scale.records.max(1))
        .map(|_| SessionId::generate())
        .collect();
    let records = Records {
        idle: SystemTime::now() + Duration::from_secs(3600),
        state: vec![b'x'; scale.state_bytes],
    };
    let batch = scale.batch.max(1);

    // New sessions: every record an insert. Then the steady state: the same sessions
    // saved again with new state.
    let inserts = save_all(&store, ids.chunks(batch).map(|c| records.batch(c, 0))).await?;
    let updates = save_all(&store, ids.chunks(batch).map(|c| records.batch(c, 1))).await?;

    // Four writers at once: their batches share the writer thread's commits.
    let started = Instant::now();
    let writers = ids.chunks(ids.len().div_ceil(4)).map(|part| {
        let batches: Vec<_> = part.chunks(batch).map(|c| records.batch(c, 2)).collect();
        let store = &store;
        async move {
            for batch in batches {
                all_saved(store.save(batch).await.map_err(failed)?)?;
            }
            Ok::<_, RunError>(())
        }
    });
    for result in futures_util::future::join_all(writers).await {
        result?;
    }
    let concurrent = ids.len() as f64 / started.elapsed().as_secs_f64();

    let mut loads = Vec::with_capacity(scale.reads);
    let mut claims = Vec::with_capacity(scale.reads);
    for i in 0..scale.reads {
        let id = &ids[(i * 7919) % ids.len()];
        let started = Instant::now();
        let found = store.load(id).await.map_err(failed)?;
        loads.push(started.elapsed());
        let started = Instant::now();
        let claimed = store.claim(id).await.map_err(failed)?;
        claims.push(started.elapsed());
        if found.is_none() || claimed.is_none() {
            return Err(RunError::Failed("a saved record is missing".to_owned()));
        }
    }
    drop(store);
    Ok(StoreRound {
        inserts_per_s: inserts,
        updates_per_s: updates,
        concurrent_per_s: concurrent,
        load: p50_p99(loads),
        claim: p50_p99(claims),
        restore: restore_latency(&dir.path().join("restore.db"), scale.restores).await?,
    })
}

/// A manager running default (key-value, durable) sessions over the SQLite file `path`.
async fn durable_manager(path: &Path, sessions: usize) -> Result<SessionManager, RunError> {
    let store = SqliteStore::open(path)
        .await
        .map_err(|e| RunError::Failed(format!("the SQLite store: {e}")))?;
    SessionManager::builder(bench_config(sessions.max(1)))
        .with_store(Arc::new(store))
        .spawn()
        .await
        .map_err(failed("a manager with a store"))
}

fn failed(what: &'static str) -> impl Fn(SessionError) -> RunError {
    move |e| RunError::Failed(format!("{what}: {e}"))
}

/// One manager starts `count` sessions, each with one key, and shuts down (writing them
/// all); the next, on the same file, restores each on its first use. Returns the median
/// and 99th percentile of a restore: `resume` of an ID that is only in the store.
async fn restore_latency(path: &Path, count: usize) -> Result<(Duration, Duration), RunError> {
    let ids: Vec<SessionId> = (0..count.max(1)).map(|_| SessionId::generate()).collect();
    let before = durable_manager(path, ids.len()).await?;
    for id in &ids {
        let session = before.start(id.as_str()).await;
        session.map_err(failed("a start"))?;
        before
            .cast(id.as_str(), KvMsg::put("n", 1))
            .await
            .map_err(failed("a cast"))?;
        // Handled after the put: the put is recorded before the shutdown stops the actor.
        before
            .call(id.as_str(), KvMsg::Ping)
            .await
            .map_err(failed("a call"))?;
    }
    before.shutdown().await;

    let after = durable_manager(path, ids.len()).await?;
    let mut restores = Vec::with_capacity(ids.len());
    for id in &ids {
        let started = Instant::now();
        let session = after
            .resume(id.as_str())
            .await
            .map_err(failed("a restore"))?;
        restores.push(started.elapsed());
        let get = |reply| KvMsg::Get {
            key: "n".into(),
            reply,
        };
        if session.call(get).await.map_err(failed("a call"))? != Some(1.into()) {
            return Err(RunError::Failed(
                "a restored session lost its state".to_owned(),
            ));
        }
    }
    after.shutdown().await;
    Ok(p50_p99(restores))
}

/// Builds the records of one batch.
struct Records {
    idle: SystemTime,
    state: Vec<u8>,
}

impl Records {
    fn batch(&self, ids: &[SessionId], epoch: u64) -> Vec<SessionRecord> {
        ids.iter()
            .map(|id| {
                SessionRecord::new(id.clone(), "kv", 1, self.state.clone(), self.idle)
                    .with_epoch(epoch)
            })
            .collect()
    }
}

/// Saves every batch, one after another; returns records per second.
async fn save_all(
    store: &SqliteStore,
    batches: impl Iterator<Item = Vec<SessionRecord>>,
) -> Result<f64, RunError> {
    let batches: Vec<_> = batches.collect();
    let records: usize = batches.iter().map(Vec::len).sum();
    let started = Instant::now();
    for batch in batches {
        let outcomes = store
            .save(batch)
            .await
            .map_err(|e| RunError::Failed(format!("the SQLite store: {e}")))?;
        all_saved(outcomes)?;
    }
    Ok(records as f64 / started.elapsed().as_secs_f64())
}

fn all_saved(outcomes: Vec<SaveOutcome>) -> Result<(), RunError> {
    if outcomes.iter().all(|o| o.is_saved()) {
        Ok(())
    } else {
        Err(RunError::Failed(
            "the store fenced a write of the current epoch".to_owned(),
        ))
    }
}

/// The median and 99th percentile of `latencies` (zero when empty).
fn p50_p99(mut latencies: Vec<Duration>) -> (Duration, Duration) {
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    (at(0.50), at(0.99))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn percentiles_pick_from_the_sorted_latencies() {
        let ms = |n| Duration::from_millis(n);
        let (p50, p99) = super::p50_p99((1..=100).rev().map(ms).collect());
        assert_eq!((p50, p99), (ms(51), ms(100)));
        assert_eq!(super::p50_p99(Vec::new()), (Duration::ZERO, Duration::ZERO));
    }
}
