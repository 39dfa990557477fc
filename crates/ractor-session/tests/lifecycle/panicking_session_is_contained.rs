//! A session that panics or fails ends alone, reported as `Crashed` with its error text and
//! not restarted; every other session and the manager carry on.

use ractor_session::{EndReason, KvMsg, Pong, SessionError, SessionManager, SessionWatch};
use ractor_session_test_support::actors::{Counter, CounterMsg, Fault, Faulty};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;

/// Waits for the end of a watched session, which must be a crash whose text has `text`.
async fn assert_crashed_with(watch: SessionWatch, text: &str) {
    match watch.await {
        EndReason::Crashed(crash) => assert!(crash.contains(text), "{crash}"),
        other => panic!("expected Crashed, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_session_is_removed_alone_and_others_keep_answering() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    for i in 0..100 {
        manager.start(format!("bystander-{i}")).await.unwrap();
    }
    manager.start_with("doomed", Counter, 0).await.unwrap();
    let watch = manager.watch("doomed").await.unwrap();

    manager
        .cast("doomed", CounterMsg::Panic("boom in handle".into()))
        .await
        .unwrap();
    assert_crashed_with(watch, "boom in handle").await;
    assert!(!manager.is_started("doomed"));
    assert!(matches!(
        manager.call("doomed", CounterMsg::Get).await,
        Err(SessionError::SessionNotFound { .. })
    ));
    for i in 0..100 {
        assert_eq!(
            manager
                .call(format!("bystander-{i}"), KvMsg::Ping)
                .await
                .unwrap(),
            Pong
        );
    }
    assert_eq!(manager.count(), 100);
    eventually("the crashed actor leaves the supervisor", || async {
        manager.supervisor().get_children().len() == 100
    })
    .await;
    assert!(
        manager.list().iter().all(|info| info.id != "doomed"),
        "not restarted"
    );
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_panicking_sessions_in_a_row_do_not_take_the_manager_down() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start("survivor").await.unwrap();
    manager
        .cast("survivor", KvMsg::put("kept", true))
        .await
        .unwrap();
    for i in 0..50 {
        let id = format!("crash-{i}");
        manager.start_with(&id, Counter, i).await.unwrap();
        let watch = manager.watch(&id).await.unwrap();
        manager
            .cast(&id, CounterMsg::Panic(format!("panic number {i}")))
            .await
            .unwrap();
        assert_crashed_with(watch, &format!("panic number {i}")).await;
    }
    assert_eq!(manager.count(), 1);
    let kept = manager.call("survivor", |reply| KvMsg::Get {
        key: "kept".into(),
        reply,
    });
    assert_eq!(
        kept.await.unwrap(),
        Some(true.into()),
        "the survivor kept its state"
    );
    // The manager keeps starting sessions, including under the crashed IDs.
    for i in 0..50 {
        manager
            .start_with(format!("crash-{i}"), Counter, 1)
            .await
            .unwrap();
    }
    assert_eq!(manager.call("crash-7", CounterMsg::Get).await.unwrap(), 1);
    assert_eq!(manager.count(), 51);
    manager.shutdown().await;
}

#[tokio::test]
async fn an_error_returned_by_a_handler_is_a_crash_with_its_text() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start_with("failing", Counter, 0).await.unwrap();
    let watch = manager.watch("failing").await.unwrap();
    manager
        .cast("failing", CounterMsg::Fail("database went away".into()))
        .await
        .unwrap();
    assert_crashed_with(watch, "database went away").await;
    assert_eq!(manager.count(), 0);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_call_queued_behind_a_panic_fails_instead_of_hanging() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start_with("s", Counter, 0).await.unwrap();
    manager
        .cast("s", CounterMsg::Panic("mid-call".into()))
        .await
        .unwrap();
    match manager.call("s", CounterMsg::Get).await {
        Err(SessionError::CallFailed { session_type, .. }) => assert_eq!(session_type, "Counter"),
        // The panic may already have removed the session.
        Err(SessionError::SessionNotFound { .. }) => {}
        other => panic!("expected CallFailed, got {other:?}"),
    }
    assert!(!manager.is_started("s"));
    manager.shutdown().await;
}

#[tokio::test]
async fn a_session_that_stops_itself_leaves_the_registry_as_terminated() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start_with("quitter", Counter, 0).await.unwrap();
    let watch = manager.watch("quitter").await.unwrap();
    manager.cast("quitter", CounterMsg::Stop).await.unwrap();
    assert_eq!(watch.await, EndReason::Terminated);
    assert!(!manager.is_started("quitter"));
    assert_eq!(manager.count(), 0);
    manager.start_with("quitter", Counter, 5).await.unwrap();
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_while_starting_are_contained() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start("bystander").await.unwrap();

    match manager
        .start_with(
            "bad-start",
            Faulty,
            Fault::PanicInPreStart("pre_start exploded"),
        )
        .await
    {
        Err(err @ SessionError::StartFailed { .. }) => {
            assert!(
                err.to_string()
                    .starts_with("Failed to start session bad-start"),
                "{err}"
            );
            let mut chain = String::new();
            let mut source: Option<&dyn std::error::Error> = Some(&err);
            while let Some(e) = source {
                chain.push_str(&e.to_string());
                source = e.source();
            }
            assert!(chain.contains("pre_start exploded"), "{chain}");
        }
        other => panic!("expected StartFailed, got {other:?}"),
    }
    assert!(!manager.is_started("bad-start"));

    // A panic in post_start ends the session right after its start.
    manager
        .start_with(
            "late",
            Faulty,
            Fault::PanicAfterStart("post_start exploded"),
        )
        .await
        .unwrap();
    eventually(
        "the session that panicked in post_start is gone",
        || async { !manager.is_started("late") },
    )
    .await;
    assert_eq!(manager.count(), 1);
    assert_eq!(manager.call("bystander", KvMsg::Ping).await.unwrap(), Pong);
    eventually("only the bystander is supervised", || async {
        manager.supervisor().get_children().len() == 1
    })
    .await;
    manager.shutdown().await;
}
