//! CPU per forwarded request against a local one: sessions owned by node a, asked through
//! a (local) and through b (which forwards each request to a), in rounds that alternate
//! which goes first; the CPU of every node process per request, and the ratio round by
//! round.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ractor_session_benches::{ProcessCpu, RunError, Spread};

use crate::nodes::Node;
use crate::visitors::{self, Jobs, Visitors};

/// One timed run: requests for a's sessions through one node.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// User + system time of each node (a, b, c) during the run.
    pub(crate) per_node: Vec<Duration>,
    pub(crate) requests: usize,
    pub(crate) failed: usize,
    pub(crate) took: Duration,
}

impl Run {
    /// Every node's CPU per successful request, in seconds.
    pub(crate) fn cpu_per_request(&self) -> f64 {
        self.node_cpu_per_request(None)
    }

    /// One node's CPU (or every node's, `None`) per successful request, in seconds.
    pub(crate) fn node_cpu_per_request(&self, node: Option<usize>) -> f64 {
        let cpu: Duration = match node {
            Some(n) => self.per_node[n],
            None => self.per_node.iter().sum(),
        };
        per_request(cpu, self.requests)
    }
}

/// `cpu` per request in seconds; not a number when no request succeeded.
pub(crate) fn per_request(cpu: Duration, requests: usize) -> f64 {
    match requests {
        0 => f64::NAN,
        n => cpu.as_secs_f64() / n as f64,
    }
}

/// The rounds: (local, forwarded) each.
#[derive(Debug)]
pub(crate) struct Forwarding {
    pub(crate) sessions: usize,
    pub(crate) requests: usize,
    pub(crate) concurrency: usize,
    pub(crate) rounds: Vec<(Run, Run)>,
    /// Sessions live on b and c after the forwarded runs (0: every request was forwarded).
    pub(crate) live_elsewhere: u64,
}

impl Forwarding {
    /// Forwarded ÷ local CPU per request, round by round.
    pub(crate) fn ratio(&self) -> Option<Spread> {
        Spread::over(&self.rounds, |(local, forwarded)| {
            forwarded.cpu_per_request() / local.cpu_per_request()
        })
    }
}

/// Measures with `nodes` = [a, b, c]: `sessions` sessions born on a, `requests` requests per
/// run, `concurrency` at once.
pub(crate) async fn measure(
    nodes: &[Node],
    http: &reqwest::Client,
    rounds: usize,
    sessions: usize,
    requests: usize,
    concurrency: usize,
) -> Result<Forwarding, RunError> {
    let (a, b) = (nodes[0].url.clone(), nodes[1].url.clone());
    let live_before = live(nodes, http).await?;
    let visitors = Arc::new(Visitors::new(sessions).map_err(RunError::Failed)?);
    let owner = a.clone();
    visitors::start_all(&visitors, concurrency, move |_| owner.clone())
        .await
        .map_err(RunError::Failed)?;
    let born = delta(&live(nodes, http).await?, &live_before);
    if born != [sessions as u64, 0, 0] {
        return Err(RunError::Invalid(format!(
            "sessions started through a went live on a, b, c as {born:?}, not all on a"
        )));
    }

    // Untimed: the connections to both nodes open, the code paths warm.
    timed(nodes, &visitors, &a, requests / 10, concurrency).await?;
    timed(nodes, &visitors, &b, requests / 10, concurrency).await?;
    let mut measured = Vec::new();
    for round in 0..rounds {
        eprintln!("[cluster] forwarding: round {}/{rounds}", round + 1);
        let (local, forwarded) = if round % 2 == 0 {
            let local = timed(nodes, &visitors, &a, requests, concurrency).await;
            (
                local,
                timed(nodes, &visitors, &b, requests, concurrency).await,
            )
        } else {
            let forwarded = timed(nodes, &visitors, &b, requests, concurrency).await;
            (
                timed(nodes, &visitors, &a, requests, concurrency).await,
                forwarded,
            )
        };
        measured.push((local?, forwarded?));
    }
    let after = delta(&live(nodes, http).await?, &live_before);
    Ok(Forwarding {
        sessions,
        requests,
        concurrency,
        rounds: measured,
        live_elsewhere: after[1] + after[2],
    })
}

/// `requests` views of the visitors' carts through `via`, round-robin over the visitors;
/// the CPU every node spent meanwhile.
async fn timed(
    nodes: &[Node],
    visitors: &Arc<Visitors>,
    via: &str,
    requests: usize,
    concurrency: usize,
) -> Result<Run, RunError> {
    let before = cpu(nodes)?;
    let began = Instant::now();
    let (v, via) = (Arc::clone(visitors), via.to_owned());
    let (ok, failed) = visitors::run(concurrency, Jobs::Count(requests), move |i| {
        let (v, via) = (Arc::clone(&v), via.clone());
        async move { v.view(i % v.len(), &via).await.is_ok() }
    })
    .await;
    let took = began.elapsed();
    let after = cpu(nodes)?;
    Ok(Run {
        per_node: after
            .iter()
            .zip(&before)
            .map(|(a, b)| a.since(*b).total())
            .collect(),
        requests: ok,
        failed,
        took,
    })
}

/// Every node's CPU times so far.
pub(crate) fn cpu(nodes: &[Node]) -> Result<Vec<ProcessCpu>, RunError> {
    nodes
        .iter()
        .map(|node| {
            node.cpu().ok_or_else(|| {
                RunError::Failed(format!("node {} is gone (no /proc entry)", node.name))
            })
        })
        .collect()
}

/// Every node's live sessions.
pub(crate) async fn live(nodes: &[Node], http: &reqwest::Client) -> Result<Vec<u64>, RunError> {
    let mut live = Vec::new();
    for node in nodes {
        live.push(node.live_sessions(http).await.map_err(RunError::Failed)?);
    }
    Ok(live)
}

/// `after - before`, node by node.
pub(crate) fn delta(after: &[u64], before: &[u64]) -> Vec<u64> {
    after
        .iter()
        .zip(before)
        .map(|(a, b)| a.saturating_sub(*b))
        .collect()
}
