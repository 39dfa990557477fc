//! Several instances of the demo as one cluster (built with the `cluster` feature): any
//! instance serves any cart, through the shared store and ractor_cluster.

use std::net::SocketAddr;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use ractor_session::SessionManager;
use ractor_session::cluster::{Cluster, ClusterConfig};
use ractor_session_axum::LiveSockets;
use serde_json::json;

use crate::cart::CartSession;
use crate::settings::Settings;
use crate::store::StoreChoice;

/// This node's cluster configuration when `--cluster-port` is given (`None` otherwise),
/// checked before anything is opened: a store every node shares, the same cookie key on
/// every node, the cluster's secret, and a valid configuration.
pub(crate) fn config(settings: &Settings) -> Result<Option<ClusterConfig>, String> {
    let Some(port) = settings.cluster_port else {
        return Ok(None);
    };
    if !matches!(
        settings.store,
        StoreChoice::Postgres(_) | StoreChoice::Redis(_)
    ) {
        return Err(
            "a cluster needs a store every instance shares: --store postgres://… or redis://…"
                .into(),
        );
    }
    if settings.key.is_none() {
        return Err(
            "a cluster needs LIVE_CART_KEY: every instance must sign cookies with the same key"
                .into(),
        );
    }
    let Some(secret) = settings.cluster_secret.clone() else {
        return Err(
            "a cluster needs LIVE_CART_CLUSTER_SECRET (16+ bytes), the same on every instance"
                .into(),
        );
    };
    let name = settings
        .node_name
        .clone()
        .unwrap_or_else(|| format!("node-{port}"));
    let listen = SocketAddr::new(settings.cluster_host, port);
    let mut config = ClusterConfig::new(name, listen, secret);
    for peer in &settings.peers {
        config = config.with_peer(peer.clone());
    }
    config
        .validate()
        .map_err(|error| format!("{error} (LIVE_CART_CLUSTER_SECRET, --node-name, --peer)"))?;
    Ok(Some(config))
}

/// Joins the cluster with `config`; `None` without one.
pub(crate) async fn join(
    config: Option<ClusterConfig>,
    manager: &SessionManager,
    live: &LiveSockets,
) -> Result<Option<Cluster>, String> {
    let Some(config) = config else {
        return Ok(None);
    };
    let listen = config.listen;
    let cluster = Cluster::builder(config)
        .serve::<CartSession>()
        .join(manager)
        .await
        .map_err(|error| format!("cannot join the cluster: {error}"))?;
    // Pushes reach the tabs of a cart on every node; tabs of a cart whose node goes away
    // are told to reconnect.
    live.join_cluster(&cluster);
    // Tests read this line; keep its shape.
    println!("live_cart cluster node {} on {listen}", cluster.node_name());
    Ok(Some(cluster))
}

/// `GET /cluster` on the admin port: this node and the members it sees.
pub(crate) fn admin_routes(cluster: Option<std::sync::Arc<Cluster>>) -> Router {
    Router::new()
        .route("/cluster", get(members))
        .with_state(cluster)
}

async fn members(
    State(cluster): State<Option<std::sync::Arc<Cluster>>>,
) -> Json<serde_json::Value> {
    Json(match cluster {
        Some(cluster) => json!({ "node": cluster.node_name(), "members": cluster.members() }),
        None => json!({ "node": null, "members": [] }),
    })
}
