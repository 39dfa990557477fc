//! Helpers shared by the behaviour tests: a counter session, a config without the rate
//! limit, and polling with a deadline instead of fixed sleeps.

#![allow(dead_code)]

pub(crate) mod capture;
pub(crate) mod start_failures;

use std::future::Future;
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::SessionConfig;

/// The default configuration without the creation rate limit, which most tests would
/// otherwise run into.
pub(crate) fn config() -> SessionConfig {
    SessionConfig::default().with_rate_limit(None)
}

/// Polls `condition` every millisecond until it holds, or panics with `what` after 10 s.
pub(crate) async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// As [`wait_until`], for an asynchronous condition.
pub(crate) async fn wait_until_async<F: Future<Output = bool>>(
    what: &str,
    mut condition: impl FnMut() -> F,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !condition().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// A session holding one number, started from its `Arguments`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counter;

/// Messages of [`Counter`].
#[derive(Debug)]
pub(crate) enum CounterMsg {
    AddOne,
    Get(RpcReplyPort<u64>),
    Panic(String),
    Fail(String),
    Stop,
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = u64;
    type Arguments = u64;

    async fn pre_start(
        &self,
        _myself: ActorRef<CounterMsg>,
        start: u64,
    ) -> Result<u64, ActorProcessingErr> {
        Ok(start)
    }

    async fn handle(
        &self,
        myself: ActorRef<CounterMsg>,
        message: CounterMsg,
        n: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            CounterMsg::AddOne => *n += 1,
            CounterMsg::Get(reply) => {
                let _ = reply.send(*n);
            }
            CounterMsg::Panic(text) => panic!("{text}"),
            CounterMsg::Fail(text) => return Err(text.into()),
            CounterMsg::Stop => myself.stop(None),
        }
        Ok(())
    }
}
