//! Throughput and latency of the embedded SQLite session store: records persisted per
//! second in batches of 1,000, and the latency of `load`.
//!
//! ```text
//! cargo run --release -p ractor-session-benches --bin durable_store -- [--quick]
//! ```
//!
//! The store is a file in a temporary directory. Figures go to stdout as a markdown table;
//! `--quick` scales the counts down (for CI, no thresholds).

use std::time::{Duration, Instant, SystemTime};

use ractor_session::SessionId;
use ractor_session::durable::{SaveOutcome, SessionRecord, SessionStore, SqliteStore};

const BATCH: usize = 1_000;
const STATE_BYTES: usize = 200;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let (batches, loads) = if quick { (20, 2_000) } else { (200, 20_000) };
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("sessions.db")).await?;

    let idle = SystemTime::now() + Duration::from_secs(3600);
    let state = vec![b'x'; STATE_BYTES];
    let ids: Vec<SessionId> = (0..batches * BATCH)
        .map(|_| SessionId::generate())
        .collect();
    let batch_of = |chunk: &[SessionId], epoch: u64| -> Vec<SessionRecord> {
        chunk
            .iter()
            .map(|id| {
                SessionRecord::new(id.clone(), "kv", 1, state.clone(), idle).with_epoch(epoch)
            })
            .collect()
    };

    // New sessions: every record an insert.
    let inserts = save_all(&store, ids.chunks(BATCH).map(|c| batch_of(c, 0))).await?;
    // The steady state: the same sessions saved again with new states.
    let updates = save_all(&store, ids.chunks(BATCH).map(|c| batch_of(c, 1))).await?;
    // Four writers at once: their batches share the writer thread's commits.
    let concurrent = {
        let started = Instant::now();
        let writers = ids.chunks(ids.len() / 4).map(|part| {
            let batches: Vec<_> = part.chunks(BATCH).map(|c| batch_of(c, 2)).collect();
            let store = &store;
            async move {
                for batch in batches {
                    assert_all_saved(store.save(batch).await?);
                }
                Ok::<_, ractor_session::durable::StoreError>(())
            }
        });
        for result in futures_util::future::join_all(writers).await {
            result?;
        }
        ids.len() as f64 / started.elapsed().as_secs_f64()
    };

    let mut latencies = Vec::with_capacity(loads);
    for i in 0..loads {
        let id = &ids[(i * 7919) % ids.len()];
        let started = Instant::now();
        let found = store.load(id).await?;
        latencies.push(started.elapsed());
        assert!(found.is_some(), "a saved record is missing");
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];

    println!(
        "| SQLite store ({} records of {STATE_BYTES} B, batches of {BATCH}) | figure |",
        ids.len()
    );
    println!("|---|---|");
    println!("| saves, new records | {inserts:.0} records/s |");
    println!("| saves, updated records | {updates:.0} records/s |");
    println!("| saves, 4 concurrent writers | {concurrent:.0} records/s |");
    println!("| load p50 ({loads} loads) | {:.1} µs |", micros(at(0.50)));
    println!("| load p99 | {:.1} µs |", micros(at(0.99)));
    Ok(())
}

/// Saves every batch, one after another; returns records per second.
async fn save_all(
    store: &SqliteStore,
    batches: impl Iterator<Item = Vec<SessionRecord>>,
) -> Result<f64, ractor_session::durable::StoreError> {
    let batches: Vec<_> = batches.collect();
    let records: usize = batches.iter().map(Vec::len).sum();
    let started = Instant::now();
    for batch in batches {
        assert_all_saved(store.save(batch).await?);
    }
    Ok(records as f64 / started.elapsed().as_secs_f64())
}

fn assert_all_saved(outcomes: Vec<SaveOutcome>) {
    assert!(outcomes.iter().all(|o| o.is_saved()), "a record was fenced");
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
