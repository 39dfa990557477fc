//! Throughput of the three nodes with requests spread at random over them (sessions born on
//! every node), against the same load on one node alone over the same store, in rounds
//! that alternate which goes first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ractor_session_benches::{RunError, Spread};

use crate::forwarding::{cpu, per_request};
use crate::nodes::Node;
use crate::visitors::{self, Jobs, Visitors};

/// One timed run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run {
    pub(crate) requests: usize,
    pub(crate) failed: usize,
    pub(crate) took: Duration,
    /// User + system time of every node of the run.
    pub(crate) cpu: Duration,
}

impl Run {
    pub(crate) fn per_s(&self) -> f64 {
        self.requests as f64 / self.took.as_secs_f64()
    }

    pub(crate) fn cpu_per_request(&self) -> f64 {
        per_request(self.cpu, self.requests)
    }
}

/// The rounds: (three nodes, one node) each.
#[derive(Debug)]
pub(crate) struct Throughput {
    pub(crate) sessions: usize,
    pub(crate) concurrency: usize,
    pub(crate) seconds: f64,
    pub(crate) rounds: Vec<(Run, Run)>,
}

impl Throughput {
    pub(crate) fn spread(&self, f: impl Fn(&(Run, Run)) -> f64) -> Option<Spread> {
        Spread::over(&self.rounds, f)
    }
}

/// Measures the cluster `nodes` against `alone`, a node of no cluster on the same store.
pub(crate) async fn measure(
    nodes: &[Node],
    alone: &[Node],
    rounds: usize,
    sessions: usize,
    seconds: f64,
    concurrency: usize,
) -> Result<Throughput, RunError> {
    let urls: Arc<Vec<String>> = Arc::new(nodes.iter().map(|n| n.url.clone()).collect());
    let alone_urls: Arc<Vec<String>> = Arc::new(alone.iter().map(|n| n.url.clone()).collect());
    let spread = Arc::new(Visitors::new(sessions).map_err(RunError::Failed)?);
    let single = Arc::new(Visitors::new(sessions).map_err(RunError::Failed)?);
    for (visitors, urls) in [(&spread, &urls), (&single, &alone_urls)] {
        let urls = Arc::clone(urls);
        visitors::start_all(visitors, concurrency, move |v| {
            urls[mix(v as u64) as usize % urls.len()].clone()
        })
        .await
        .map_err(RunError::Failed)?;
    }
    let mut measured = Vec::new();
    for round in 0..rounds {
        eprintln!("[cluster] throughput: round {}/{rounds}", round + 1);
        let cluster = || timed(nodes, &spread, &urls, seconds, concurrency, round);
        let one = || timed(alone, &single, &alone_urls, seconds, concurrency, round);
        let pair = if round % 2 == 0 {
            let c = cluster().await?;
            (c, one().await?)
        } else {
            let o = one().await?;
            (cluster().await?, o)
        };
        measured.push(pair);
    }
    Ok(Throughput {
        sessions,
        concurrency,
        seconds,
        rounds: measured,
    })
}

/// For `seconds`, views of random visitors' carts through random nodes of `urls`.
async fn timed(
    nodes: &[Node],
    visitors: &Arc<Visitors>,
    urls: &Arc<Vec<String>>,
    seconds: f64,
    concurrency: usize,
    round: usize,
) -> Result<Run, RunError> {
    let before = cpu(nodes)?;
    let began = Instant::now();
    let until = began + Duration::from_secs_f64(seconds);
    let (v, urls) = (Arc::clone(visitors), Arc::clone(urls));
    let salt = (round as u64) << 40;
    let (requests, failed) = visitors::run(concurrency, Jobs::Until(until), move |i| {
        let (v, urls) = (Arc::clone(&v), Arc::clone(&urls));
        async move {
            let pick = mix(salt ^ i as u64);
            let visitor = (pick >> 32) as usize % v.len();
            let node = &urls[(pick & 0xffff_ffff) as usize % urls.len()];
            v.view(visitor, node).await.is_ok()
        }
    })
    .await;
    let took = began.elapsed();
    let after = cpu(nodes)?;
    Ok(Run {
        requests,
        failed,
        took,
        cpu: after
            .iter()
            .zip(&before)
            .map(|(a, b)| a.since(*b).total())
            .sum(),
    })
}

/// SplitMix64: a well-spread 64-bit value for each `x`, so that "at random" is the same in
/// every run.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::mix;

    #[test]
    fn the_spread_reaches_every_node_about_equally() {
        let mut counts = [0usize; 3];
        for i in 0..30_000 {
            counts[(mix(i) & 0xffff_ffff) as usize % 3] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{counts:?}"
        );
    }
}
