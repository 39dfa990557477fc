//! Shutdown stops every session gracefully (their `post_stop` runs), watchers are told
//! `Shutdown`, the registry ends empty and no task is left running.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ractor::ActorRef;
use ractor_session::{EndReason, SessionError, SessionManager};
use ractor_session_test_support::actors::{Counter, Fault, Faulty};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;
use tokio::sync::Barrier;
use tokio::task::JoinHandle;

use crate::support::{Graceful, GracefulMsg, alive_tasks};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_every_session_and_leaves_nothing_running() {
    let baseline = alive_tasks();
    let stopped = Arc::new(AtomicUsize::new(0));
    let manager = SessionManager::spawn(config()).await.unwrap();
    let mut watches = Vec::new();
    for i in 0..20 {
        let id = format!("graceful-{i}");
        let actor = Graceful {
            stopped: Arc::clone(&stopped),
        };
        manager.start_with(&id, actor, ()).await.unwrap();
        watches.push(manager.watch(&id).await.unwrap());
    }
    for i in 0..10 {
        manager.start(format!("kv-{i}")).await.unwrap();
        watches.push(manager.watch(format!("kv-{i}")).await.unwrap());
        manager
            .start_with(format!("counter-{i}"), Counter, 0)
            .await
            .unwrap();
        watches.push(manager.watch(format!("counter-{i}")).await.unwrap());
    }
    // One session is busy with a message when shutdown begins: it finishes it first.
    let started = Arc::new(tokio::sync::Notify::new());
    let busy = {
        let (manager, started) = (manager.clone(), Arc::clone(&started));
        tokio::spawn(async move {
            manager
                .call("graceful-0", |reply| {
                    GracefulMsg::Work(Duration::from_millis(50), started, reply)
                })
                .await
        })
    };
    started.notified().await;
    assert!(alive_tasks() > baseline, "the manager runs tasks");

    manager.shutdown().await;

    assert_eq!(stopped.load(Ordering::SeqCst), 20, "every post_stop ran");
    for watch in watches {
        assert_eq!(watch.await, EndReason::Shutdown);
    }
    assert!(
        busy.await.unwrap().is_ok(),
        "the message in hand was finished"
    );
    assert_eq!(manager.count(), 0);
    assert!(manager.list().is_empty());
    let stats = manager.stats();
    assert_eq!((stats.live, stats.starting), (0, 0));
    assert!(manager.supervisor().get_children().is_empty());
    assert_eq!(
        manager.supervisor().get_status(),
        ractor::ActorStatus::Stopped
    );
    eventually("every task of the manager has exited", || async {
        alive_tasks() == baseline
    })
    .await;

    // Nothing more is accepted, and a second shutdown is harmless.
    assert!(matches!(
        manager.start("late").await,
        Err(SessionError::ManagerShutdown)
    ));
    assert!(matches!(
        manager.get_or_start("late").await,
        Err(SessionError::ManagerShutdown)
    ));
    manager.shutdown().await;
    assert_eq!(stopped.load(Ordering::SeqCst), 20);
}

#[tokio::test(start_paused = true)]
async fn a_session_that_will_not_stop_is_killed_after_the_stop_timeout() {
    let baseline = alive_tasks();
    let manager = SessionManager::spawn(config().with_stop_timeout(Duration::from_secs(2)))
        .await
        .unwrap();
    manager
        .start_with("stubborn", Faulty, Fault::NeverStop)
        .await
        .unwrap();
    manager.start("fine").await.unwrap();
    let stubborn = manager.watch("stubborn").await.unwrap();
    let fine = manager.watch("fine").await.unwrap();
    manager.shutdown().await;
    assert_eq!(stubborn.await, EndReason::Shutdown);
    assert_eq!(fine.await, EndReason::Shutdown);
    assert_eq!(manager.count(), 0);
    assert!(manager.list().is_empty());
    eventually("every task has exited", || async {
        alive_tasks() == baseline
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_racing_a_shutdown_are_either_refused_or_shut_down() {
    for round in 0..20 {
        let baseline = alive_tasks();
        let stopped = Arc::new(AtomicUsize::new(0));
        let manager = SessionManager::spawn(config()).await.unwrap();
        let barrier = Arc::new(Barrier::new(17));
        let starters: Vec<_> = (0..16)
            .map(|i| {
                let (manager, barrier) = (manager.clone(), Arc::clone(&barrier));
                let stopped = Arc::clone(&stopped);
                tokio::spawn(async move {
                    barrier.wait().await;
                    let mut started = Vec::new();
                    for j in 0..20 {
                        let id = format!("r{round}-t{i}-s{j}");
                        match manager
                            .start_with(
                                &id,
                                Graceful {
                                    stopped: Arc::clone(&stopped),
                                },
                                (),
                            )
                            .await
                        {
                            // The watch may race the shutdown too; a missing session
                            // has already ended.
                            Ok(_) => started.push(manager.watch(&id).await.ok()),
                            Err(SessionError::ManagerShutdown) => break,
                            Err(other) => panic!("unexpected: {other}"),
                        }
                    }
                    started
                })
            })
            .collect();
        barrier.wait().await;
        tokio::task::yield_now().await;
        manager.shutdown().await;
        let mut started = 0;
        for starter in starters {
            for watch in starter.await.unwrap() {
                started += 1;
                if let Some(watch) = watch {
                    assert_eq!(watch.await, EndReason::Shutdown, "round {round}");
                }
            }
        }
        assert_eq!(manager.count(), 0, "round {round}");
        assert!(manager.list().is_empty(), "round {round}");
        assert_eq!(manager.stats().starting, 0, "round {round}");
        assert_eq!(
            stopped.load(Ordering::SeqCst),
            started,
            "round {round}: every session that started ran post_stop"
        );
        eventually("every task has exited", || async {
            alive_tasks() == baseline
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_every_handle_stops_the_sessions_as_a_shutdown() {
    let baseline = alive_tasks();
    let manager = SessionManager::spawn(config()).await.unwrap();
    let clone = manager.clone();
    let mut watches = Vec::new();
    for i in 0..10 {
        manager.start(format!("s{i}")).await.unwrap();
        watches.push(manager.watch(format!("s{i}")).await.unwrap());
    }
    drop(manager);
    assert!(clone.is_started("s0"), "a clone keeps the manager alive");
    drop(clone);
    for watch in watches {
        assert_eq!(watch.await, EndReason::Shutdown);
    }
    eventually("every task has exited", || async {
        alive_tasks() == baseline
    })
    .await;
}

/// Starts a [`Faulty`] session in a task of its own, and waits until its start is under way.
async fn start_in_background(
    manager: &SessionManager,
    id: &'static str,
    fault: Fault,
) -> JoinHandle<Result<ActorRef<()>, SessionError>> {
    let start = {
        let manager = manager.clone();
        tokio::spawn(async move { manager.start_with(id, Faulty, fault).await })
    };
    eventually(&format!("the start of {id} is under way"), || async {
        manager.stats().starting == 1
    })
    .await;
    start
}

#[tokio::test(start_paused = true)]
async fn a_start_that_never_finishes_does_not_hold_up_shutdown() {
    let manager = SessionManager::spawn(config().with_stop_timeout(Duration::from_secs(1)))
        .await
        .unwrap();
    manager.start("fine").await.unwrap();
    let fine = manager.watch("fine").await.unwrap();
    let stuck = start_in_background(&manager, "stuck", Fault::NeverStart).await;
    tokio::time::timeout(Duration::from_secs(60), manager.shutdown())
        .await
        .expect("shutdown finished");
    assert_eq!(fine.await, EndReason::Shutdown);
    assert!(!manager.is_started("stuck"));
    stuck.abort();
}

#[tokio::test(start_paused = true)]
async fn a_start_that_outlasts_the_shutdown_fails_and_leaves_nothing() {
    let baseline = alive_tasks();
    let manager = SessionManager::spawn(config().with_stop_timeout(Duration::from_secs(1)))
        .await
        .unwrap();
    let slow = Fault::SlowStart(Duration::from_secs(60));
    let slow = start_in_background(&manager, "slow", slow).await;
    manager.shutdown().await;
    assert!(matches!(
        slow.await.unwrap(),
        Err(SessionError::StartFailed { .. } | SessionError::ManagerShutdown)
    ));
    assert_eq!(manager.count(), 0);
    assert!(manager.list().is_empty());
    assert_eq!(manager.stats().starting, 0);
    eventually("every task has exited", || async {
        alive_tasks() == baseline
    })
    .await;
}
