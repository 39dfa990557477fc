//! A tour of the core crate: start sessions, call and cast them, watch one expire and one
//! crash, and shut down gracefully.
//!
//! Run it with `cargo run -p ractor-session-examples --example core_tour`.

use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::{
    EndReason, KvMsg, SessionConfig, SessionError, SessionManager, current_session_id,
};

/// A custom session type: a counter that can be told to fail.
struct Counter;

enum CounterMsg {
    Add(i64),
    Get(RpcReplyPort<i64>),
    Explode,
}

#[cfg(feature = "cluster")]
impl ractor::Message for CounterMsg {}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = i64;
    type Arguments = i64;

    async fn pre_start(
        &self,
        _myself: ActorRef<CounterMsg>,
        start: i64,
    ) -> Result<i64, ActorProcessingErr> {
        let id = current_session_id().expect("running inside a session");
        println!("  [{id}] counter starting at {start}");
        Ok(start)
    }

    async fn handle(
        &self,
        _myself: ActorRef<CounterMsg>,
        message: CounterMsg,
        count: &mut i64,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            CounterMsg::Add(n) => *count += n,
            CounterMsg::Get(reply) => reply.send(*count)?,
            CounterMsg::Explode => panic!("the counter exploded at {count}"),
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), SessionError> {
    // Keep the deliberate panic below to one line of output.
    std::panic::set_hook(Box::new(|info| println!("  (a session panicked: {info})")));
    let config = SessionConfig::default()
        .with_idle_timeout(Duration::from_millis(500))
        .with_max_sessions(100);
    let manager = SessionManager::spawn(config).await?;
    println!("Started a session manager (idle timeout 500 ms, max 100 sessions).");

    // The default session type: a key-value store.
    manager.start("alice").await?;
    manager
        .cast(
            "alice",
            KvMsg::put("cart", serde_json::json!(["apple", "pear"])),
        )
        .await?;
    let cart = manager
        .call("alice", |reply| KvMsg::Get {
            key: "cart".into(),
            reply,
        })
        .await?;
    println!("alice's cart: {}", cart.unwrap_or_default());

    // Any ractor actor can be a session.
    manager.start_with("bob", Counter, 41).await?;
    manager.cast("bob", CounterMsg::Add(1)).await?;
    println!(
        "bob's counter: {}",
        manager.call("bob", CounterMsg::Get).await?
    );

    // Errors are typed and read like the original library's.
    match manager.start("alice").await {
        Err(err @ SessionError::AlreadyStarted { .. }) => println!("starting alice again: {err}"),
        other => println!("unexpected: {other:?}"),
    }
    if let Err(err) = manager.start("not valid!").await {
        println!("a bad ID: {err}");
    }

    // A crash ends only that session, and is reported, not hidden by a restart.
    manager.start_with("carol", Counter, 0).await?;
    let carol_ended = manager.watch("carol").await?;
    manager.cast("carol", CounterMsg::Explode).await?;
    println!("carol ended: {}", carol_ended.await);
    println!(
        "bob still answers: {}",
        manager.call("bob", CounterMsg::Get).await?
    );

    // Idle sessions expire; activity keeps a session alive.
    let alice_ended = manager.watch("alice").await?;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        manager.touch("bob").await?;
    }
    let reason = alice_ended.await;
    assert_eq!(reason, EndReason::Expired);
    println!(
        "alice, idle for 500 ms, ended: {reason}; bob, touched every 200 ms, is live: {}",
        manager.is_started("bob")
    );

    for info in manager.list() {
        println!("live: {} ({})", info.id, info.session_type);
    }

    let bob_ended = manager.watch("bob").await?;
    manager.shutdown().await;
    println!(
        "shut down; bob ended: {}; sessions left: {}",
        bob_ended.await,
        manager.count()
    );
    Ok(())
}
