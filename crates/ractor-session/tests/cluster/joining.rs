//! Joining: every refusal is a typed error, and nothing is left running after one.

use std::net::TcpListener;

use ractor_session::SessionManager;
use ractor_session::cluster::{Cluster, ClusterConfig, ClusterError};

use crate::support::{SECRET, durable_manager, free_addr, node};

#[tokio::test]
async fn a_bad_configuration_is_refused_naming_the_field() {
    let manager = durable_manager("joining-config").await;
    let cases = [
        (ClusterConfig::new("", free_addr(), SECRET), "node_name"),
        (ClusterConfig::new("a/b", free_addr(), SECRET), "node_name"),
        (ClusterConfig::new("n1", free_addr(), "short"), "secret"),
        (
            ClusterConfig::new("n1", "0.0.0.0:7000".parse().unwrap(), SECRET),
            "listen",
        ),
        (node("n1", SECRET).with_peer("no-port"), "peers"),
    ];
    for (config, expected) in cases {
        match Cluster::builder(config).join(&manager).await {
            Err(ClusterError::InvalidConfig { field, .. }) => assert_eq!(field, expected),
            other => panic!("expected a refusal of `{expected}`, got {other:?}"),
        }
    }
    // Nothing joined: a valid configuration still can.
    let cluster = Cluster::builder(node("n1", SECRET))
        .join(&manager)
        .await
        .unwrap();
    cluster.leave().await;
    manager.shutdown().await;
}

#[tokio::test]
async fn a_manager_without_a_store_cannot_join() {
    let manager = SessionManager::spawn(Default::default()).await.unwrap();
    let refused = Cluster::builder(node("n1", SECRET)).join(&manager).await;
    assert!(matches!(refused, Err(ClusterError::NoStore)), "{refused:?}");
    manager.shutdown().await;
}

#[tokio::test]
async fn a_manager_joins_one_cluster_only() {
    let manager = durable_manager("joining-twice").await;
    let cluster = Cluster::builder(node("n1", SECRET))
        .join(&manager)
        .await
        .unwrap();
    let again = Cluster::builder(node("n2", SECRET)).join(&manager).await;
    assert!(
        matches!(again, Err(ClusterError::AlreadyJoined)),
        "{again:?}"
    );
    // The first membership is untouched.
    assert_eq!(cluster.members(), ["n1"]);
    cluster.leave().await;
    manager.shutdown().await;
}

#[tokio::test]
async fn a_taken_port_is_reported() {
    let manager = durable_manager("joining-port").await;
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let refused = Cluster::builder(ClusterConfig::new("n1", addr, SECRET))
        .join(&manager)
        .await;
    match refused {
        Err(ClusterError::Listen { listen, .. }) => assert_eq!(listen, addr),
        other => panic!("expected a listen error, got {other:?}"),
    }
    manager.shutdown().await;
}
