//! A store session behind the layer: `Session<StoreMsg<S, A>>` gives the handle of this
//! request's store; a middleware's refusal answers 422 and leaves the state alone.

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use ractor_session::store::{Store, StoreMsg, StoreSession, Validate};
use ractor_session_axum::{Session, SessionLayer, SessionRejection};

use crate::support::*;

type Counter = Session<StoreMsg<u64, u64>>;

async fn add(session: Counter, body: String) -> Result<String, SessionRejection> {
    let amount: u64 = body.trim().parse().unwrap_or(1);
    Ok(session.store()?.dispatch(amount).await?.to_string())
}

async fn show(session: Counter) -> Result<String, SessionRejection> {
    Ok(session.store()?.state().await?.to_string())
}

#[tokio::test]
async fn actions_reach_this_requests_store_and_refusals_are_422() {
    let manager = manager(Duration::from_secs(60)).await;
    let layer = SessionLayer::builder(manager.clone())
        .with_key(key())
        .with_secure(false)
        .with_auto_start_with(|| {
            let store = Store::new(0u64, |n: &u64, k: &u64| n + k).with_middleware(Validate::new(
                |k: &u64, _: &u64| {
                    if *k <= 10 {
                        Ok(())
                    } else {
                        Err("at most 10 at a time")
                    }
                },
            ));
            (StoreSession::new(), store)
        })
        .build()
        .unwrap();
    let app = Router::new()
        .route("/add", post(add))
        .route("/", get(show))
        .layer(layer);
    let addr = serve(app).await;
    let client = client();
    let url = |p: &str| format!("http://{addr}{p}");

    for amount in ["3", "4"] {
        let r = client.post(url("/add")).body(amount).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let refused = client.post(url("/add")).body("50").send().await.unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("at most 10"));
    let state = client.get(url("/")).send().await.unwrap();
    assert_eq!(state.text().await.unwrap(), "7");

    // Another visitor has a store of their own.
    let other = bare_client().get(url("/")).send().await.unwrap();
    assert_eq!(other.text().await.unwrap(), "0");
    manager.shutdown().await;
}
