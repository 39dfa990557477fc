//! Races between start, terminate, expiry, crashes and rotation leave the registry
//! consistent: a session ends once, for one reason, told to its watchers and to the caller
//! that ended it; every registry entry has a live actor and every live actor an entry.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ractor_session::{EndReason, KvMsg, SessionError, SessionManager};
use ractor_session_test_support::actors::{Counter, CounterMsg};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;

use crate::support::alive_tasks;

/// Keeps the deliberate panics of these tests out of the output, and no other.
fn quiet_deliberate_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if !text.starts_with("deliberate") {
            default(info);
        }
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_racing_expiry_ends_each_session_once_for_one_reason() {
    let ttl = Duration::from_millis(5);
    let manager = SessionManager::spawn(config().with_idle_timeout(ttl))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    let mut expired_before_watched = 0;
    for i in 0..300 {
        let id = format!("s{i}");
        manager.start(&id).await.unwrap();
        // On a loaded machine the 5 ms can pass before the watch: the session is then
        // already expired (every lookup checks the deadline) and there is no race to run.
        let watch = match manager.watch(&id).await {
            Ok(watch) => watch,
            Err(SessionError::SessionNotFound { .. }) => {
                expired_before_watched += 1;
                continue;
            }
            Err(other) => panic!("unexpected: {other}"),
        };
        let manager = manager.clone();
        tasks.push(tokio::spawn(async move {
            // Wake up around the session's deadline, when the expiry task does.
            tokio::time::sleep(ttl).await;
            let terminated = manager.terminate(&id).await;
            (terminated, watch.await)
        }));
    }
    let (mut by_terminate, mut by_expiry) = (0, expired_before_watched);
    for task in tasks {
        match task.await.unwrap() {
            (Ok(()), EndReason::Terminated) => by_terminate += 1,
            (Err(SessionError::SessionNotFound { .. }), EndReason::Expired) => by_expiry += 1,
            (terminated, reason) => {
                panic!("terminate said {terminated:?} but the session ended as {reason:?}")
            }
        }
    }
    eprintln!("ended by terminate: {by_terminate}, by expiry: {by_expiry}");
    assert_eq!(by_terminate + by_expiry, 300);
    assert_eq!(manager.count(), 0);
    assert!(manager.list().is_empty());
    eventually("every actor has left the supervisor", || async {
        manager.supervisor().get_children().is_empty()
    })
    .await;
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_found_started_can_always_be_terminated() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let starter = {
        let (manager, done) = (manager.clone(), Arc::clone(&done));
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                match manager.start("contested").await {
                    Ok(_) | Err(SessionError::AlreadyStarted { .. }) => {}
                    Err(other) => panic!("unexpected: {other}"),
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut terminated = 0;
    while terminated < 300 {
        // Only this task terminates: a session seen started must still be there.
        if manager.is_started("contested") {
            manager.terminate("contested").await.unwrap();
            terminated += 1;
        } else {
            tokio::task::yield_now().await;
        }
    }
    done.store(true, Ordering::Relaxed);
    starter.await.unwrap();
    assert!(manager.count() <= 1);
    manager.shutdown().await;
    assert_eq!(manager.count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_lifecycle_operations_keep_registry_and_actors_in_step() {
    quiet_deliberate_panics();
    let baseline = alive_tasks();
    // Rotated sessions live on under fresh IDs until they expire, hence the short TTL.
    let manager = SessionManager::spawn(config().with_idle_timeout(Duration::from_millis(3)))
        .await
        .unwrap();
    let workers: Vec<_> = (0..4u64)
        .map(|worker| {
            let manager = manager.clone();
            tokio::spawn(async move {
                // A small xorshift: reproducible per worker, no extra dependency.
                let mut state = 0x9E37_79B9_7F4A_7C15 ^ (worker + 1);
                let mut next = move || {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state
                };
                for _ in 0..1500 {
                    let id = format!("s{}", next() % 6);
                    match next() % 9 {
                        0 | 1 => match manager.start_with(&id, Counter, 0).await {
                            Ok(_) | Err(SessionError::AlreadyStarted { .. }) => {}
                            Err(other) => panic!("start: {other}"),
                        },
                        2 => {
                            let _ = manager
                                .get_or_start_with(&id, || (Counter, 0))
                                .await
                                .unwrap();
                        }
                        3 => match manager.terminate(&id).await {
                            Ok(()) | Err(SessionError::SessionNotFound { .. }) => {}
                            Err(other) => panic!("terminate: {other}"),
                        },
                        4 => match manager.call(&id, CounterMsg::Get).await {
                            Ok(_)
                            | Err(SessionError::SessionNotFound { .. })
                            | Err(SessionError::CallFailed { .. })
                            | Err(SessionError::ProcessNotFound { .. }) => {}
                            Err(other) => panic!("call: {other}"),
                        },
                        5 => {
                            let _ = manager.cast(&id, CounterMsg::Add(1)).await;
                        }
                        6 => {
                            let _ = manager
                                .cast(&id, CounterMsg::Panic("deliberate crash".into()))
                                .await;
                        }
                        7 => match manager.rotate(&id).await {
                            Ok(_) | Err(SessionError::SessionNotFound { .. }) => {}
                            Err(other) => panic!("rotate: {other}"),
                        },
                        _ => {
                            let _ = manager.touch(&id).await;
                        }
                    }
                    if next() % 4 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }

    // Quiescent now (short TTL): entries and actors must agree.
    eventually("registry, counter and supervisor agree", || async {
        let listed = manager.list().len();
        listed == manager.count()
            && listed == manager.stats().live
            && listed == manager.supervisor().get_children().len()
    })
    .await;
    // Whatever is left expires on its own, and leaves nothing behind.
    eventually("every session has expired", || async {
        manager.count() == 0
    })
    .await;
    assert!(manager.list().is_empty());
    eventually("every actor has left the supervisor", || async {
        manager.supervisor().get_children().is_empty()
    })
    .await;
    manager.shutdown().await;
    eventually("every task has exited", || async {
        alive_tasks() == baseline
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_rotations_move_a_session_once() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    for round in 0..300 {
        let actor = manager.start("before").await.unwrap();
        // Released together on both workers, to really overlap.
        let barrier = Arc::new(tokio::sync::Barrier::new(4));
        let rotations: Vec<_> = (0..4)
            .map(|_| {
                let (manager, barrier) = (manager.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    manager.rotate("before").await
                })
            })
            .collect();
        let mut results = Vec::new();
        for rotation in rotations {
            results.push(rotation.await.unwrap());
        }
        let mut moved_to = Vec::new();
        for result in results {
            match result {
                Ok(new_id) => moved_to.push(new_id),
                Err(SessionError::SessionNotFound { .. }) => {}
                Err(other) => panic!("rotate: {other}"),
            }
        }
        assert_eq!(moved_to.len(), 1, "round {round}: one rotation wins");
        let listed: Vec<_> = manager.list().into_iter().map(|info| info.id).collect();
        assert_eq!(
            listed, moved_to,
            "round {round}: the session is under one ID only"
        );
        assert!(!manager.is_started("before"));
        let found = manager.lookup::<KvMsg>(&moved_to[0]).await.unwrap();
        assert_eq!(found.get_id(), actor.get_id());
        manager.terminate(&moved_to[0]).await.unwrap();
        assert!(
            manager.list().is_empty(),
            "round {round}: no entry outlives the session"
        );
    }
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_racing_a_rotation_is_told_rotated() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    for round in 0..500 {
        manager.start("before").await.unwrap();
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let rotation = {
            let (manager, barrier) = (manager.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                manager.rotate("before").await.unwrap()
            })
        };
        let watch = {
            let (manager, barrier) = (manager.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                manager.watch("before").await
            })
        };
        let (rotated, watch) = (rotation.await.unwrap(), watch.await.unwrap());
        manager.terminate(&rotated).await.unwrap();
        match watch {
            // Watched before the rotation, or after it (no longer found): both fine. A
            // watch of the old ID must never outlive the rotation and report the end of
            // the session under its new ID.
            Ok(watch) => assert_eq!(watch.await, EndReason::Rotated, "round {round}"),
            Err(SessionError::SessionNotFound { .. }) => {}
            Err(other) => panic!("watch: {other}"),
        }
    }
    manager.shutdown().await;
}
