//! A cluster of `live_cart` nodes on loopback over one fresh PostgreSQL database: each node
//! with its own cluster port, the others as its peers, the same cookie signing key and
//! cluster secret, and an admin port for `/metrics` and `/cluster`.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use ractor_session_test_support::{PostgresServer, free_port};
use serde_json::Value;

use crate::support::Demo;

/// The secret the nodes of a cluster share (16 bytes or more).
pub(crate) const SECRET: &str = "the cluster's shared secret";

/// The cookie signing key of every node: a cookie set by one node verifies on the others.
const KEY: &str = "one cookie signing key for every node of the cluster";

/// How long the nodes may take to see each other: ractor_cluster connects within a
/// reconnection period (a second) once a peer listens; the rest is a slow machine's margin.
const FORMING: Duration = Duration::from_secs(30);

/// The idle timeout of the carts unless a test's flags give one: far longer than a test
/// that does not wait for expiry.
const IDLE_TTL: &str = "10m";

/// Where a node serves the app, by name: what a request needs of a node.
#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    /// `node-1`, `node-2`, …
    pub(crate) name: String,
    /// `http://127.0.0.1:PORT`
    pub(crate) url: String,
}

/// One `live_cart` process in cluster mode; killed when dropped.
pub(crate) struct Node {
    /// Its name and the app's address.
    pub(crate) at: Endpoint,
    /// Its cluster server's port on 127.0.0.1.
    pub(crate) cluster_port: u16,
    pub(crate) demo: Demo,
}

impl Node {
    /// Starts the node `name` on `cluster_port`, with the peers on `peer_ports`, the store
    /// `store`, the cluster secret `secret` and the extra flags `args` (an `--idle-ttl`
    /// among them replaces [`IDLE_TTL`]); waits for its address (not for the cluster).
    pub(crate) fn start(
        name: &str,
        cluster_port: u16,
        peer_ports: &[u16],
        (store, secret): (&str, &str),
        args: &[String],
    ) -> Self {
        let cluster_port_text = cluster_port.to_string();
        let peers: Vec<String> = peer_ports
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect();
        let mut all = vec![
            "--store",
            store,
            "--metrics-port",
            "0",
            "--cluster-port",
            &cluster_port_text,
            "--node-name",
            name,
        ];
        for peer in &peers {
            all.extend(["--peer", peer.as_str()]);
        }
        // clap refuses a flag given twice.
        if !args.iter().any(|arg| arg == "--idle-ttl") {
            all.extend(["--idle-ttl", IDLE_TTL]);
        }
        all.extend(args.iter().map(String::as_str));
        let env = [("LIVE_CART_KEY", KEY), ("LIVE_CART_CLUSTER_SECRET", secret)];
        let demo = Demo::spawn(&all, &env);
        let at = Endpoint {
            name: name.to_owned(),
            url: demo.url.clone(),
        };
        Self {
            at,
            cluster_port,
            demo,
        }
    }

    /// The members this node sees (`GET /cluster` on its admin port), sorted; `None` when
    /// it does not answer.
    pub(crate) async fn members(&self) -> Option<Vec<String>> {
        let metrics = self.demo.metrics_url.as_deref().expect("an admin port");
        let url = metrics.replace("/metrics", "/cluster");
        let text = reqwest::get(url).await.ok()?.text().await.ok()?;
        let body: Value = serde_json::from_str(&text).ok()?;
        let members = body["members"].as_array()?;
        members
            .iter()
            .map(|member| member.as_str().map(str::to_owned))
            .collect()
    }

    /// The sum of the metric `name`'s series on this node.
    pub(crate) async fn metric(&self, name: &str) -> u64 {
        self.demo.metric(name).await
    }

    /// Kills the node with SIGKILL (`kill -9`): it writes, says and hands over nothing.
    pub(crate) fn kill(&mut self) {
        self.demo.kill();
    }
}

/// Nodes started together, each the others' peer, over one fresh database.
pub(crate) struct Nodes {
    nodes: Vec<Node>,
    store: String,
    args: Vec<String>,
}

impl Nodes {
    /// Starts `count` nodes named `node-1`…, each with the flags `args` too; `None` (the
    /// test is skipped, loudly) when PostgreSQL is not installed and `CI` is unset.
    pub(crate) fn start(count: usize, args: &[&str]) -> Option<Self> {
        let store = PostgresServer::shared()?.create_database();
        let args: Vec<String> = args.iter().map(|&arg| arg.to_owned()).collect();
        let ports: Vec<u16> = (0..count).map(|_| free_port()).collect();
        let nodes = (0..count)
            .map(|i| {
                let peers: Vec<u16> = ports
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, &port)| port)
                    .collect();
                let name = format!("node-{}", i + 1);
                Node::start(&name, ports[i], &peers, (&store, SECRET), &args)
            })
            .collect();
        Some(Self { nodes, store, args })
    }

    /// Starts one more node, named after its position, whose only peer is the node at
    /// `peer`; returns its index. The caller waits for it to join
    /// ([`formed`](Self::formed)).
    pub(crate) async fn add(&mut self, peer: usize) -> usize {
        let name = format!("node-{}", self.nodes.len() + 1);
        let peer_port = self.nodes[peer].cluster_port;
        let (store, args) = (self.store.clone(), self.args.clone());
        // Starting blocks on the process's output; the test's other tasks keep running.
        let node = tokio::task::spawn_blocking(move || {
            Node::start(&name, free_port(), &[peer_port], (&store, SECRET), &args)
        })
        .await
        .expect("the node starts");
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Waits until every node lists every node as a member; fails after [`FORMING`],
    /// showing what each node sees.
    pub(crate) async fn formed(&self) {
        let mut expected: Vec<String> = self.nodes.iter().map(|n| n.at.name.clone()).collect();
        expected.sort();
        let deadline = Instant::now() + FORMING;
        loop {
            let mut seen = Vec::with_capacity(self.nodes.len());
            for node in &self.nodes {
                seen.push((node.at.name.as_str(), node.members().await));
            }
            if seen
                .iter()
                .all(|(_, members)| members.as_ref() == Some(&expected))
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster did not form within {FORMING:?}: expected every node to see \
                 {expected:?}; they see {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The index of the one node on which a session is active, given that exactly one
    /// session exists; fails unless exactly one node has one, and the others none.
    pub(crate) async fn owner_of_the_only_session(&self) -> usize {
        let mut live = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            live.push(node.metric(LIVE).await);
        }
        let owners: Vec<usize> = (0..live.len()).filter(|&i| live[i] == 1).collect();
        assert!(
            owners.len() == 1 && live.iter().sum::<u64>() == 1,
            "one session should be active on one node; live sessions by node: {live:?}"
        );
        owners[0]
    }
}

impl Deref for Nodes {
    type Target = [Node];

    fn deref(&self) -> &[Node] {
        &self.nodes
    }
}

impl DerefMut for Nodes {
    fn deref_mut(&mut self) -> &mut [Node] {
        &mut self.nodes
    }
}

/// The gauge of the sessions active on a node (`docs/telemetry.md`).
pub(crate) const LIVE: &str = "ractor_session_live";

/// The counter of store writes refused for a stale epoch: a write by an activation that
/// another node's newer activation fenced off.
pub(crate) const FENCED: &str = "ractor_session_store_fenced_total";

/// The members a node sees.
pub(crate) const MEMBERS: &str = "ractor_session_cluster_members";

/// Operations a node sent to the owner of their session.
pub(crate) const FORWARDED: &str = "ractor_session_cluster_forwarded_total";

/// Operations a node ran for other nodes.
pub(crate) const SERVED: &str = "ractor_session_cluster_served_total";
