//! 200,000 start → call → terminate cycles leave nothing behind: no registry entry, no
//! counted slot, no supervised actor, no task.

use std::time::Instant;

use ractor_session::{KvMsg, Pong, SessionManager};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;

use crate::support::alive_tasks;

const CYCLES: usize = 200_000;
const TASKS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_thousand_cycles_leave_the_registry_empty() {
    let baseline = alive_tasks();
    let manager = SessionManager::spawn(config()).await.unwrap();
    let began = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let manager = manager.clone();
            tokio::spawn(async move {
                for i in 0..CYCLES / TASKS {
                    // IDs are reused, so restarts under a recent ID are part of the churn.
                    let id = format!("t{task}-{}", i % 64);
                    manager.start(&id).await.unwrap();
                    assert_eq!(manager.call(&id, KvMsg::Ping).await.unwrap(), Pong);
                    manager.terminate(&id).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    eprintln!("{CYCLES} cycles in {:?}", began.elapsed());

    assert_eq!(manager.count(), 0);
    assert!(manager.list().is_empty());
    let stats = manager.stats();
    assert_eq!((stats.live, stats.starting), (0, 0));
    assert!(stats.by_type.is_empty());
    eventually("every actor has left the supervisor", || async {
        manager.supervisor().get_children().is_empty()
    })
    .await;
    // The manager is still fully usable afterwards.
    manager.start("after").await.unwrap();
    assert_eq!(manager.call("after", KvMsg::Ping).await.unwrap(), Pong);
    manager.shutdown().await;
    eventually("every task has exited", || async {
        alive_tasks() == baseline
    })
    .await;
}
