//! Load on the cluster while it changes: workers that keep adding items to carts through
//! the nodes, one request after another each, and remember what they tried and what was
//! acknowledged, so that a test can check afterwards that no acknowledged change was lost.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ractor_session_test_support::poll::eventually;
use reqwest::StatusCode;
use tokio::task::JoinHandle;

use crate::nodes::Endpoint;
use crate::shopper::{Cart, Shopper};

/// The cart's cap on one item's quantity (`MAX_QUANTITY` in the demo): a worker stops
/// before any of its items could reach it, so that every refusal it sees is the cluster's.
const MAX_QUANTITY: u64 = 99;

/// The pause after a refused add before the next: the cluster is failing over, and a
/// worker that retried at once would only spin.
const BACKOFF: Duration = Duration::from_millis(20);

/// What one worker did to its cart.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Adds sent, by item.
    attempted: BTreeMap<String, u64>,
    /// Adds answered 200, by item: each is in the store (write-through).
    acknowledged: BTreeMap<String, u64>,
    /// Adds answered 200, in all.
    pub(crate) acks: u64,
    /// The statuses of the adds not acknowledged.
    pub(crate) refusals: Vec<StatusCode>,
}

impl Tally {
    /// What several workers did to one cart, together.
    pub(crate) fn combined<'a>(tallies: impl IntoIterator<Item = &'a Tally>) -> Self {
        let mut all = Self::default();
        for tally in tallies {
            for (item, n) in &tally.attempted {
                *all.attempted.entry(item.clone()).or_default() += n;
            }
            for (item, n) in &tally.acknowledged {
                *all.acknowledged.entry(item.clone()).or_default() += n;
            }
            all.acks += tally.acks;
            all.refusals.extend_from_slice(&tally.refusals);
        }
        all
    }

    /// Checks that `cart` holds every acknowledged add, and nothing that was not sent: of
    /// each item, at least the acknowledged quantity and at most the attempted one (an
    /// add whose answer was lost may or may not have been made).
    pub(crate) fn assert_kept(&self, cart: &Cart, read_through: &str) {
        for (item, &acknowledged) in &self.acknowledged {
            let quantity = cart.get(item).copied().unwrap_or(0);
            assert!(
                quantity >= acknowledged,
                "{item}: {acknowledged} adds acknowledged, but the cart read through \
                 {read_through} has {quantity}: {cart:?}"
            );
        }
        for (item, &quantity) in cart {
            let attempted = self.attempted.get(item).copied().unwrap_or(0);
            assert!(
                quantity <= attempted,
                "{item}: {attempted} adds sent, but the cart read through {read_through} \
                 has {quantity}: {cart:?}"
            );
        }
    }
}

/// A worker: its shopper (whose cart it changes), what it did, its task.
struct Worker {
    shopper: Shopper,
    /// The shopper's cookie when the worker started.
    cookie: Option<String>,
    tally: Arc<Mutex<Tally>>,
    task: JoinHandle<()>,
}

/// A worker's shopper and what it did, once it stopped.
pub(crate) struct Finished {
    pub(crate) shopper: Shopper,
    cookie: Option<String>,
    pub(crate) tally: Tally,
}

impl Finished {
    /// Checks that the shopper still has the session it had when the worker started: no
    /// answer replaced it with a fresh one (a new cookie, an empty cart).
    pub(crate) fn assert_same_session(&self) {
        assert_eq!(
            self.shopper.cookie(),
            self.cookie,
            "the shopper's session was replaced by a fresh one (a new cookie) under load"
        );
    }
}

/// Workers adding items until stopped.
#[derive(Default)]
pub(crate) struct Load {
    stop: Arc<AtomicBool>,
    workers: Vec<Worker>,
}

impl Load {
    /// Starts a worker that adds `items` in turn to `shopper`'s cart, through `targets`
    /// in turn, one request after the other.
    pub(crate) fn start(&mut self, shopper: &Shopper, targets: Vec<Endpoint>, items: Vec<String>) {
        let tally = Arc::new(Mutex::new(Tally::default()));
        let task = tokio::spawn(work(
            shopper.clone(),
            targets,
            items,
            Arc::clone(&tally),
            Arc::clone(&self.stop),
        ));
        self.workers.push(Worker {
            shopper: shopper.clone(),
            cookie: shopper.cookie(),
            tally,
            task,
        });
    }

    /// Each worker's acknowledged adds so far.
    pub(crate) fn acks(&self) -> Vec<u64> {
        self.workers.iter().map(|w| lock(&w.tally).acks).collect()
    }

    /// Waits (within the polling patience) until `enough` holds of the workers' acks;
    /// fails naming `what` otherwise, and at once with its panic if a worker failed.
    pub(crate) async fn until(&mut self, what: &str, mut enough: impl FnMut(&[u64]) -> bool) {
        eventually(what, || {
            let done = self.any_ended() || enough(&self.acks());
            async move { done }
        })
        .await;
        if self.any_ended() {
            self.fail().await;
        }
    }

    /// Stops the workers and waits for them; fails with a worker's panic.
    pub(crate) async fn stop(self) -> Vec<Finished> {
        self.stop.store(true, Ordering::SeqCst);
        let mut finished = Vec::with_capacity(self.workers.len());
        for worker in self.workers {
            if let Err(error) = worker.task.await {
                std::panic::resume_unwind(error.into_panic());
            }
            let tally = std::mem::take(&mut *lock(&worker.tally));
            finished.push(Finished {
                shopper: worker.shopper,
                cookie: worker.cookie,
                tally,
            });
        }
        finished
    }

    fn any_ended(&self) -> bool {
        self.workers.iter().any(|w| w.task.is_finished())
    }

    /// A worker ended before it was stopped: its panic, or why it gave up.
    async fn fail(&mut self) {
        for worker in &mut self.workers {
            if worker.task.is_finished() {
                if let Err(error) = (&mut worker.task).await {
                    std::panic::resume_unwind(error.into_panic());
                }
                panic!("a worker gave up: its items would have exceeded {MAX_QUANTITY} each");
            }
        }
    }
}

/// A worker's loop: see [`Load::start`].
async fn work(
    shopper: Shopper,
    targets: Vec<Endpoint>,
    items: Vec<String>,
    tally: Arc<Mutex<Tally>>,
    stop: Arc<AtomicBool>,
) {
    // Each item is sent at most this often: below the cart's cap even if every add lands.
    let budget = items.len() * MAX_QUANTITY as usize;
    for n in 0..budget {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let (item, target) = (&items[n % items.len()], &targets[n % targets.len()]);
        *lock(&tally).attempted.entry(item.clone()).or_default() += 1;
        let status = shopper.add(target, item).await;
        let acknowledged = status == StatusCode::OK;
        {
            let mut tally = lock(&tally);
            if acknowledged {
                *tally.acknowledged.entry(item.clone()).or_default() += 1;
                tally.acks += 1;
            } else {
                tally.refusals.push(status);
            }
        }
        if !acknowledged {
            tokio::time::sleep(BACKOFF).await;
        }
    }
}

fn lock(tally: &Mutex<Tally>) -> std::sync::MutexGuard<'_, Tally> {
    tally.lock().unwrap_or_else(PoisonError::into_inner)
}
