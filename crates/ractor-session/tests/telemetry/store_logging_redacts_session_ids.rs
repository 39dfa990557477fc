//! The built-in logging middleware logs every action of a store session with the session's
//! redacted ID, never the raw one (session IDs are secrets).

use ractor_session::store::{Logging, Store, StoreSessions, Validate};
use ractor_session::{SessionId, SessionManager};
use ractor_session_test_support::logs::Logs;

#[derive(Clone, Debug)]
enum Action {
    Add(u32),
}

// One thread: the session's actor runs on the thread whose default subscriber is set.
#[tokio::test(flavor = "current_thread")]
async fn store_session_actions_are_logged_with_the_redacted_id() {
    let (logs, _guard) = Logs::capture(tracing::Level::DEBUG);

    let raw = "raw-secret-session-id-0123456789";
    let manager = SessionManager::spawn(Default::default()).await.unwrap();
    let stores = StoreSessions::new(manager.clone());
    let store = Store::new(0_u32, |n: &u32, Action::Add(k): &Action| n + k)
        .with_middleware(Logging::new())
        .with_middleware(Validate::new(|Action::Add(k): &Action, _: &u32| {
            if *k > 100 { Err("too much") } else { Ok(()) }
        }));
    let counter = stores.start(raw, store).await.unwrap();
    counter.dispatch(Action::Add(7)).await.unwrap();
    assert!(counter.dispatch(Action::Add(700)).await.is_err());
    manager.shutdown().await;

    let out = logs.text();
    let redacted = SessionId::parse(raw).unwrap().redacted().to_string();
    assert!(out.contains("dispatching action"), "{out}");
    assert!(out.contains("action applied"), "{out}");
    assert!(
        out.contains("Add(700)"),
        "rejected actions are logged too: {out}"
    );
    assert!(out.contains(&format!("session={redacted}")), "{out}");
    assert!(!out.contains(raw), "the raw session ID leaked: {out}");
}
