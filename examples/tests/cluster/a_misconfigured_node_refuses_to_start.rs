//! A node that cannot be a correct member refuses to start, saying why: a cluster needs a
//! store every node shares, the same cookie key on every node, and the shared secret.

use std::process::Output;

use crate::support::live_cart;

const KEY: &str = "a cookie key of at least thirty-two bytes";
const SECRET: &str = "the cluster's shared secret";

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    live_cart()
        .args(["--port", "0", "--cluster-port", "0"])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("the live_cart binary runs")
}

fn refused(output: &Output, why: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it started: {stderr}");
    assert!(stderr.contains(why), "expected {why:?} in: {stderr}");
}

#[test]
fn a_node_without_a_shared_store_a_key_or_the_secret_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite:{}", dir.path().join("carts.db").display());
    let both = [("LIVE_CART_KEY", KEY), ("LIVE_CART_CLUSTER_SECRET", SECRET)];
    refused(
        &run(&["--store", &sqlite], &both),
        "a cluster needs a store every instance shares",
    );
    refused(
        &run(&["--store", "memory"], &both),
        "postgres://… or redis://…",
    );
    let postgres = "postgres://nobody@127.0.0.1:1/none";
    refused(
        &run(
            &["--store", postgres],
            &[("LIVE_CART_CLUSTER_SECRET", SECRET)],
        ),
        "LIVE_CART_KEY",
    );
    refused(
        &run(&["--store", postgres], &[("LIVE_CART_KEY", KEY)]),
        "LIVE_CART_CLUSTER_SECRET",
    );
    let short = [
        ("LIVE_CART_KEY", KEY),
        ("LIVE_CART_CLUSTER_SECRET", "short"),
    ];
    refused(&run(&["--store", postgres], &short), "secret");
    refused(
        &run(&["--cluster-host", "not-an-address"], &both),
        "--cluster-host",
    );
}
