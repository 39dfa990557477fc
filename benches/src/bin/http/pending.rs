//! Figures of features that are not built yet: each row says "n/a (not built: …)" and
//! what it waits for. The doc comment of each group is the hook: what to measure, with
//! which pieces of this binary, once the feature lands.

/// A figure that cannot be measured yet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending {
    pub(crate) figure: &'static str,
    pub(crate) target: &'static str,
    /// The feature it waits for.
    pub(crate) needs: &'static str,
}

/// Several nodes: forwarded against local requests, three instances, recovery.
///
/// To fill in once the manager can join a cluster: start three `ServerProcess`es of the
/// adapter with cluster flags (`__serve` grows `--cluster-port` and `--peer`) and a shared
/// store; CPU per forwarded request is the owner's plus the forwarder's `getrusage` per
/// request whose session is owned elsewhere, against the same for local sessions (send
/// each session's requests to its owner, then to a non-owner); throughput is the load
/// generator spreading requests over the three addresses at random; recovery is the time
/// from killing one process until every one of its sessions answers again through the
/// others, with the counters checked for lost updates as in the in-memory scenarios.
pub(crate) fn nodes() -> Vec<Pending> {
    const NEEDS: &str = "several nodes";
    vec![
        Pending {
            figure: "server CPU per forwarded request ÷ per local request",
            target: "≤ 2×",
            needs: NEEDS,
        },
        Pending {
            figure: "three instances on loopback, requests spread at random: requests/s",
            target: "—",
            needs: NEEDS,
        },
        Pending {
            figure: "time from killing a node until all its sessions are served again",
            target: "—",
            needs: NEEDS,
        },
        Pending {
            figure: "lost updates across a node kill",
            target: "zero",
            needs: NEEDS,
        },
    ]
}
