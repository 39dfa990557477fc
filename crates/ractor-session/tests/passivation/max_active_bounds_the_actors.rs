use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::support::{Tally, TallyMsg, actors, parking};
use ractor_session_test_support::config::config;

const SESSIONS: u64 = 1_000;
const MAX_ACTIVE: usize = 100;
const WORKERS: u64 = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sessions_in_use_never_have_more_than_max_active_actors() {
    let tally = Tally::default();
    let config = config()
        .with_max_sessions(2 * SESSIONS as usize)
        .with_max_active(Some(MAX_ACTIVE));
    let manager = parking(config, &tally).spawn().await.unwrap();

    // The supervisor's children, sampled all along.
    let most = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (manager, most, done) = (manager.clone(), Arc::clone(&most), Arc::clone(&done));
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                most.fetch_max(actors(&manager), Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
        })
    };

    for i in 0..SESSIONS {
        manager
            .start_with(format!("s{i}"), tally.clone(), i)
            .await
            .unwrap();
        most.fetch_max(actors(&manager), Ordering::SeqCst);
    }
    // A round of calls to every session, from a few tasks at once.
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (manager, most) = (manager.clone(), Arc::clone(&most));
            tokio::spawn(async move {
                for i in (w..SESSIONS).step_by(WORKERS as usize) {
                    let id = format!("s{i}");
                    let total = manager
                        .call(&id, |r| TallyMsg::AddAndGet(1, r))
                        .await
                        .unwrap();
                    assert_eq!(total, i + 1, "{id} kept its state");
                    most.fetch_max(actors(&manager), Ordering::SeqCst);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    sampler.await.unwrap();

    assert!(
        most.load(Ordering::SeqCst) <= MAX_ACTIVE,
        "at most {MAX_ACTIVE} actors at any time, saw {}",
        most.load(Ordering::SeqCst)
    );
    for i in 0..SESSIONS {
        let total = manager
            .call(format!("s{i}"), TallyMsg::Total)
            .await
            .unwrap();
        assert_eq!(total, i + 1, "s{i} intact after the round");
    }
    let stats = manager.stats();
    assert_eq!(
        manager.count(),
        SESSIONS as usize,
        "count() counts active and parked"
    );
    assert_eq!(stats.live + stats.parked.unwrap(), SESSIONS as usize);
    assert!(stats.live <= MAX_ACTIVE);
    assert!(manager.counters().passivated.unwrap() >= SESSIONS - MAX_ACTIVE as u64);
    assert_eq!(manager.counters().ended.total(), 0);
    manager.shutdown().await;
}
