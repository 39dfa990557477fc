//! The load generator's visitors: one session each, with its own signed cookie, sent to
//! any node; keep-alive connections (reqwest), a fixed number of requests at once.
//!
//! The demo admits at most 60 new sessions per client address a minute, so the visitors
//! come from many loopback addresses (`127.1.x.y`, every address of 127.0.0.0/8 reaches
//! loopback on Linux): one keep-alive client bound to each address, shared by
//! [`PER_ADDRESS`] visitors.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Visitors sharing one client address: well under the demo's 60 new sessions per
/// address a minute, revivals after a node loss included.
pub(crate) const PER_ADDRESS: usize = 16;

/// How long one request may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The item every visitor's cart gets when its session starts through [`Visitors::start`].
pub(crate) const ITEM: &str = "tea";

/// The next loopback address to hand out, across every group of visitors of the run.
static NEXT_ADDRESS: AtomicUsize = AtomicUsize::new(1);

/// A group of visitors.
#[derive(Debug)]
pub(crate) struct Visitors {
    clients: Vec<reqwest::Client>,
    /// Each visitor's `session_id=…` pair, once it has one.
    cookies: Vec<Mutex<Option<String>>>,
}

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No answer: refused, broken or timed out.
    NoAnswer,
    /// An answer with another status than 200.
    Status(u16),
    /// An answer whose body is not the cart's JSON.
    Body,
}

impl Visitors {
    /// `n` visitors without sessions yet, on loopback addresses of their own.
    pub(crate) fn new(n: usize) -> Result<Self, String> {
        let addresses = n.div_ceil(PER_ADDRESS);
        let first = NEXT_ADDRESS.fetch_add(addresses, Ordering::Relaxed);
        let clients = (first..first + addresses)
            .map(|k| {
                let [_, _, hi, lo] = u32::try_from(k).unwrap_or(u32::MAX).to_be_bytes();
                reqwest::Client::builder()
                    .local_address(IpAddr::V4(Ipv4Addr::new(127, 1, hi, lo)))
                    .timeout(REQUEST_TIMEOUT)
                    .pool_idle_timeout(Duration::from_secs(5))
                    .build()
                    .map_err(|e| format!("an HTTP client: {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            clients,
            cookies: (0..n).map(|_| Mutex::new(None)).collect(),
        })
    }

    /// How many visitors.
    pub(crate) fn len(&self) -> usize {
        self.cookies.len()
    }

    /// Starts visitor `v`'s session through `node` (where it is born, so that node owns
    /// it) and puts [`ITEM`] in its cart, which write-through stores before answering.
    pub(crate) async fn start(&self, v: usize, node: &str) -> Result<(), String> {
        self.view(v, node)
            .await
            .map_err(|e| format!("starting a session through {node}: {e:?}"))?;
        let client = self.client(v);
        let mut request = client
            .post(format!("{node}/api/cart/items"))
            .header("origin", node)
            .header("content-type", "application/json")
            .body(format!("{{\"item\":\"{ITEM}\"}}"));
        if let Some(cookie) = self.cookie(v) {
            request = request.header("cookie", cookie);
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(format!(
                "adding an item through {node}: {}",
                response.status()
            )),
            Err(e) => Err(format!("adding an item through {node}: {e}")),
        }
    }

    /// `GET /api/cart` for visitor `v` through `node`: the cart (`{"items": …}`). A new
    /// cookie in the answer replaces the visitor's.
    pub(crate) async fn view(&self, v: usize, node: &str) -> Result<Value, Failure> {
        let mut request = self.client(v).get(format!("{node}/api/cart"));
        if let Some(cookie) = self.cookie(v) {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.map_err(|_| Failure::NoAnswer)?;
        if let Some(set) = response.headers().get("set-cookie") {
            let pair = set.to_str().unwrap_or_default().split(';').next();
            *self.cookies[v].lock().expect("cookie lock") = pair.map(str::to_owned);
        }
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|_| Failure::NoAnswer)?;
        if status != 200 {
            return Err(Failure::Status(status));
        }
        let mut page: Value = serde_json::from_slice(&body).map_err(|_| Failure::Body)?;
        Ok(page["cart"].take())
    }

    fn client(&self, v: usize) -> &reqwest::Client {
        &self.clients[v / PER_ADDRESS]
    }

    fn cookie(&self, v: usize) -> Option<String> {
        self.cookies[v].lock().expect("cookie lock").clone()
    }
}

/// Whether `cart` holds [`ITEM`].
pub(crate) fn has_item(cart: &Value) -> bool {
    cart["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|line| line["name"] == ITEM))
}

/// When a run of jobs stops.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Jobs {
    /// After this many jobs (numbered from 0).
    Count(usize),
    /// At this instant (a job under way finishes).
    Until(Instant),
}

/// Runs jobs `0, 1, 2, …` with `concurrency` of them at once, each worker taking the next
/// number as it finishes one, until `jobs` says stop; returns how many succeeded and
/// how many failed (`job` returns whether it succeeded).
pub(crate) async fn run<F, Fut>(concurrency: usize, jobs: Jobs, job: F) -> (usize, usize)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (job, next) = (Arc::clone(&job), Arc::clone(&next));
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0, 0);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let more = match jobs {
                        Jobs::Count(n) => i < n,
                        Jobs::Until(at) => Instant::now() < at,
                    };
                    if !more {
                        return (ok, failed);
                    }
                    if job(i).await {
                        ok += 1;
                    } else {
                        failed += 1;
                    }
                }
            })
        })
        .collect();
    let (mut ok, mut failed) = (0, 0);
    for worker in workers {
        let (o, f) = worker.await.expect("a load worker completes");
        ok += o;
        failed += f;
    }
    (ok, failed)
}

/// Starts every visitor's session, `concurrency` at once, visitor `v` through
/// `node_of(v)`.
pub(crate) async fn start_all(
    visitors: &Arc<Visitors>,
    concurrency: usize,
    node_of: impl Fn(usize) -> String + Send + Sync + 'static,
) -> Result<(), String> {
    let first_error = Arc::new(Mutex::new(None));
    let (v, e) = (Arc::clone(visitors), Arc::clone(&first_error));
    let (_, failed) = run(concurrency, Jobs::Count(visitors.len()), move |i| {
        let (v, e, node) = (Arc::clone(&v), Arc::clone(&e), node_of(i));
        async move {
            let started = v.start(i, &node).await;
            if let Err(why) = &started {
                e.lock()
                    .expect("error lock")
                    .get_or_insert_with(|| why.clone());
            }
            started.is_ok()
        }
    })
    .await;
    match first_error.lock().expect("error lock").take() {
        Some(why) => Err(format!("{failed} sessions did not start; the first: {why}")),
        None => Ok(()),
    }
}
