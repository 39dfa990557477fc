//! The index of sessions by user holds nothing once its sessions have ended, however they
//! end: terminated, logged out, stopped from inside, crashed, rotated and then ended,
//! expired, evicted. Many bind/end cycles bring it back to empty.

use std::time::Duration;

use ractor_session::{Admission, KvSession, SessionConfig, SessionError, SessionManager, UserKey};
use ractor_session_test_support::actors::{Counter, CounterMsg};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;

const CYCLES: usize = 20_000;
const TASKS: usize = 4;

fn user(n: usize) -> UserKey {
    UserKey::parse(&format!("user-{n}")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_bind_and_end_cycles_leave_the_index_empty() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let manager = manager.clone();
            tokio::spawn(async move {
                for i in 0..CYCLES / TASKS {
                    let id = format!("t{task}-{}", i % 32);
                    let user = user(i % 8);
                    manager.start_with(&id, Counter, 0).await.unwrap();
                    // Another task's `terminate_user` may end this session at any point
                    // from here on (that is the point of it): every step below copes.
                    manager.bind_user(&id, &user).await.unwrap();
                    match i % 5 {
                        0 => match manager.terminate(&id).await {
                            Ok(()) | Err(SessionError::SessionNotFound { .. }) => {}
                            Err(other) => panic!("{other}"),
                        },
                        1 => {
                            manager.terminate_user(&user).await.unwrap();
                        }
                        2 => {
                            let watch = manager.watch(&id).await;
                            if manager.cast(&id, CounterMsg::Stop).await.is_ok() {
                                watch.unwrap().await;
                            }
                        }
                        3 => {
                            let watch = manager.watch(&id).await;
                            if manager
                                .cast(&id, CounterMsg::Fail("boom".into()))
                                .await
                                .is_ok()
                            {
                                watch.unwrap().await;
                            }
                        }
                        _ => {
                            if let Ok(new) = manager.rotate(&id).await {
                                let _ = manager.terminate(&new).await;
                            }
                        }
                    }
                    // Ended one way or another before the ID is reused.
                    let _ = manager.terminate(&id).await;
                    assert!(!manager.is_started(&id));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(manager.count(), 0);
    assert_eq!(manager.user_count(), 0, "no user is left in the index");
    for n in 0..8 {
        assert_eq!(manager.count_user(&user(n)), 0);
        assert!(manager.list_user(&user(n)).is_empty());
    }
    manager.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn expired_sessions_leave_the_index() {
    let config = config().with_idle_timeout(Duration::from_secs(60));
    let manager = SessionManager::spawn(config).await.unwrap();
    for i in 0..100 {
        let id = format!("s{i}");
        manager.start(&id).await.unwrap();
        manager.bind_user(&id, &user(i % 3)).await.unwrap();
    }
    assert_eq!(manager.user_count(), 3);
    tokio::time::advance(Duration::from_secs(61)).await;
    eventually("every session has expired", || async {
        manager.count() == 0
    })
    .await;
    assert_eq!(manager.user_count(), 0);
    manager.shutdown().await;
}

#[tokio::test]
async fn an_evicted_session_leaves_the_index() {
    let config = SessionConfig::default()
        .with_rate_limit(None)
        .with_max_sessions(1);
    let manager = SessionManager::spawn(config).await.unwrap();
    let provisional = Admission::default().provisional();
    let make = || (KvSession, Default::default());
    let first = manager
        .start_session_admitted("first", make, provisional)
        .await
        .unwrap();
    first.bind_user(&user(0)).unwrap();
    assert_eq!(manager.count_user(&user(0)), 1);
    // The manager is full: a newcomer takes the place of the unreturned first session.
    manager
        .start_session_admitted("second", make, provisional)
        .await
        .unwrap();
    assert!(!first.is_live());
    assert_eq!(manager.user_count(), 0);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_session_bound_as_it_ends_is_never_left_in_the_index() {
    // Binding races the end: whichever way it falls, nothing stays behind.
    let manager = SessionManager::spawn(config()).await.unwrap();
    for i in 0..500 {
        let id = format!("race{i}");
        manager.start(&id).await.unwrap();
        let handle = manager.session(&id).unwrap();
        let ending = tokio::spawn({
            let manager = manager.clone();
            async move { manager.terminate(&id).await }
        });
        let _ = handle.bind_user(&user(0));
        ending.await.unwrap().unwrap();
        assert_eq!(manager.user_count(), 0, "cycle {i}");
    }
    manager.shutdown().await;
}
