//! A node alone in its cluster owns every session and serves requests itself.

use ractor_session::cluster::Cluster;
use ractor_session::{EndReason, KvRequest, KvSession, SessionError};
use ractor_session_test_support::poll::eventually;

use crate::support::{SECRET, durable_manager, node};

#[tokio::test]
async fn a_lone_node_owns_every_session_and_serves_its_requests() {
    let manager = durable_manager("lone").await;
    let cluster = Cluster::builder(node("solo", SECRET))
        .serve::<KvSession>()
        .join(&manager)
        .await
        .unwrap();
    eventually("the node sees its own gateway", || {
        let members = cluster.members();
        async move { members == ["solo"] }
    })
    .await;

    let id = manager.fresh_id();
    assert!(manager.owns(&id));
    manager
        .start_with(id.as_str(), KvSession, Default::default())
        .await
        .unwrap();
    let by = |n| KvRequest::Increment {
        key: "n".into(),
        by: n,
    };
    manager
        .request::<KvSession>(&id, by(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        manager
            .request::<KvSession>(&id, by(3))
            .await
            .unwrap()
            .unwrap(),
        5
    );

    // A watch through the cluster is the manager's own here.
    let watch = cluster.watch(&id).await.unwrap();
    manager.terminate(id.as_str()).await.unwrap();
    assert_eq!(watch.await, EndReason::Terminated);

    let unknown = manager.fresh_id();
    let missing = manager.request::<KvSession>(&unknown, by(1)).await;
    assert!(
        matches!(missing, Err(SessionError::SessionNotFound { .. })),
        "{missing:?}"
    );
    assert!(matches!(
        cluster.watch(&unknown).await,
        Err(SessionError::SessionNotFound { .. })
    ));

    cluster.leave().await;
    manager.shutdown().await;
}
