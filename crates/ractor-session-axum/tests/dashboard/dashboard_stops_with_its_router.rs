//! A dashboard costs one sampler task while its router lives, and nothing once it is
//! dropped: the task ends with it.

use ractor_session_axum::LiveSockets;
use ractor_session_axum::dashboard::{self, BearerToken};
use ractor_session_test_support::poll::eventually;
use tokio::runtime::Handle;

use crate::support::manager;

fn alive_tasks() -> usize {
    Handle::current().metrics().num_alive_tasks()
}

#[tokio::test(flavor = "current_thread")]
async fn the_sampler_runs_while_the_router_lives() {
    let manager = manager(std::time::Duration::from_secs(60)).await;
    let before = alive_tasks();
    let router: axum::Router =
        dashboard::router(manager.clone(), LiveSockets::new(), BearerToken::generate());
    assert_eq!(alive_tasks(), before + 1, "one sampler");
    let copy = router.clone();
    drop(router);
    tokio::task::yield_now().await;
    assert_eq!(alive_tasks(), before + 1, "a clone of the router keeps it");
    drop(copy);
    eventually("the sampler ends with the router", || async {
        alive_tasks() == before
    })
    .await;
    manager.shutdown().await;
}
