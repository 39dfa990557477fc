//! Concurrent updates of one agent from 100 tasks lose nothing, whether the tasks hold the
//! agent directly or reach it through session actors.

use std::collections::HashMap;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::{Agent, SessionManager};
use ractor_session_test_support::config::config;

const TASKS: u64 = 100;
const UPDATES: u64 = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn updates_from_one_hundred_tasks_lose_nothing() {
    let counter = Agent::new(0_u64);
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let counter = counter.clone();
            tokio::spawn(async move {
                for _ in 0..UPDATES {
                    // A read-modify-write with a pause in the middle: it loses updates
                    // unless the whole closure runs atomically.
                    counter.update(|n| {
                        let seen = *n;
                        std::thread::yield_now();
                        *n = seen + 1;
                    });
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(counter.get(), TASKS * UPDATES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keyed_updates_from_one_hundred_tasks_lose_nothing() {
    let state = Agent::new(HashMap::<u64, u64>::new());
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let state = state.clone();
            tokio::spawn(async move {
                for _ in 0..UPDATES {
                    state.update(|map| *map.entry(i % 10).or_default() += 1);
                }
                state.put_key(1_000 + i, i);
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let map = state.get();
    assert_eq!(map.len(), 10 + 100);
    for key in 0..10 {
        assert_eq!(map[&key], TASKS / 10 * UPDATES, "key {key}");
    }
    assert_eq!(state.get_key(&1_042), Some(42));
}

/// A session that keeps a visit count in an agent it was handed.
struct Visits;

enum VisitsMsg {
    Visit,
    Count(RpcReplyPort<u64>),
}

#[cfg(feature = "cluster")]
impl ractor::Message for VisitsMsg {}

impl Actor for Visits {
    type Msg = VisitsMsg;
    type State = Agent<u64>;
    type Arguments = Agent<u64>;

    async fn pre_start(
        &self,
        _: ActorRef<VisitsMsg>,
        agent: Agent<u64>,
    ) -> Result<Agent<u64>, ActorProcessingErr> {
        Ok(agent)
    }

    async fn handle(
        &self,
        _: ActorRef<VisitsMsg>,
        message: VisitsMsg,
        agent: &mut Agent<u64>,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            VisitsMsg::Visit => agent.update(|n| *n += 1),
            VisitsMsg::Count(reply) => {
                let _ = reply.send(agent.get());
            }
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_shared_by_sessions_and_tasks_loses_nothing() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let visits = Agent::new(0_u64);
    for s in 0..4 {
        manager
            .start_with(format!("s{s}"), Visits, visits.clone())
            .await
            .unwrap();
    }
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let manager = manager.clone();
            let visits = visits.clone();
            tokio::spawn(async move {
                for _ in 0..UPDATES / 2 {
                    // Half through a session actor, half directly on the agent.
                    manager
                        .cast(format!("s{}", i % 4), VisitsMsg::Visit)
                        .await
                        .unwrap();
                    visits.update(|n| *n += 1);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    // A call to each session is queued behind every cast that task sent it.
    for s in 0..4 {
        manager
            .call(format!("s{s}"), VisitsMsg::Count)
            .await
            .unwrap();
    }
    assert_eq!(visits.get(), TASKS * UPDATES);
    assert_eq!(
        manager.call("s0", VisitsMsg::Count).await.unwrap(),
        TASKS * UPDATES
    );
    manager.shutdown().await;
}
