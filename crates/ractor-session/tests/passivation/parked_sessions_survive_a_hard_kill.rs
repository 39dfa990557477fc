//! The process is killed (SIGKILL) while its sessions are parked in a SQLite store; a new
//! manager on the same file revives them with their state.
//!
//! The test runs itself as the process to kill: started again with `PARKED_DB` set, it
//! plays the manager's process, parks its sessions, says so on stdout and waits to die.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ractor_session::DurabilityConfig;
use ractor_session::durable::{SessionStore, SqliteStore};
use ractor_session_test_support::poll::eventually;

use crate::support::{Tally, TallyMsg, parking, parks_after};

const SESSIONS: u64 = 20;
const CHILD_ENV: &str = "PARKED_DB";
/// What the child says once its sessions are parked and written.
const PARKED: &str = "every session parked and written";
const TEST: &str =
    "parked_sessions_survive_a_hard_kill::parked_sessions_survive_a_hard_kill_and_revive";

async fn sqlite(db: &Path) -> Arc<dyn SessionStore> {
    Arc::new(SqliteStore::open(db).await.unwrap())
}

/// The process to kill: parks its sessions, waits until the store has them, says so, and
/// waits to die.
async fn child(db: &Path) {
    let tally = Tally::default();
    let durability = DurabilityConfig::default().with_flush_interval(Duration::from_millis(20));
    let store = sqlite(db).await;
    let manager = parking(parks_after(Duration::from_millis(100)), &tally)
        .with_store(Arc::clone(&store))
        .with_durability(durability)
        .spawn()
        .await
        .unwrap();
    for i in 0..SESSIONS {
        let id = format!("s{i}");
        manager.start_with(&id, tally.clone(), i).await.unwrap();
        manager.cast(&id, TallyMsg::Add(i * 9)).await.unwrap();
    }
    eventually("every session is parked", || async {
        manager.stats().parked == Some(SESSIONS as usize)
    })
    .await;
    // Parking wrote each state (write-behind: within a `flush_interval`).
    eventually("the store has every parked state", || async {
        let mut written = 0;
        for i in 0..SESSIONS {
            let id = ractor_session::SessionId::parse(&format!("s{i}")).unwrap();
            if let Ok(Some(record)) = store.load(&id).await
                && record.state() == (i * 10).to_string().as_bytes()
            {
                written += 1;
            }
        }
        written == SESSIONS
    })
    .await;
    println!("{PARKED}");
    std::future::pending::<()>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parked_sessions_survive_a_hard_kill_and_revive() {
    if let Some(db) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&db)).await;
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sessions.db");
    let mut process = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = process.stdout.take().unwrap();
    let parked = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            // libtest may print the test's name on the same line first.
            .any(|line| line.contains(PARKED))
    })
    .await
    .unwrap();
    // SIGKILL: no shutdown, no last flush.
    process.kill().unwrap();
    process.wait().unwrap();
    assert!(parked, "the child parked its sessions");

    let tally = Tally::default();
    let manager = parking(parks_after(Duration::from_millis(100)), &tally)
        .with_store(sqlite(&db).await)
        .spawn()
        .await
        .unwrap();
    for i in 0..SESSIONS {
        let total = manager
            .call(format!("s{i}"), TallyMsg::Total)
            .await
            .unwrap();
        assert_eq!(total, i * 10, "s{i} revived with its state");
    }
    assert_eq!(manager.counters().revived, Some(SESSIONS));
    assert_eq!(
        tally.starts(),
        SESSIONS as usize,
        "one actor each, restored"
    );
    manager.shutdown().await;
}
