//! What the passivation tests share: a durable session type that counts its actors'
//! starts and stops, and managers that park it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::durable::DurableSession;
use ractor_session::{BoxError, SessionConfig, SessionManager, SessionManagerBuilder};
use ractor_session_test_support::config::config;
use serde::Serialize;

/// A session holding a running total; it counts how many of its actors started and
/// stopped (across every session of one `Tally`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    pub(crate) starts: Arc<AtomicUsize>,
    pub(crate) stops: Arc<AtomicUsize>,
    /// How long each `pre_start` takes (none by default).
    pub(crate) start_delay: Duration,
    /// While set, `pre_start` fails.
    pub(crate) refuse_starts: Arc<AtomicBool>,
}

/// Messages of [`Tally`].
#[derive(Debug)]
pub(crate) enum TallyMsg {
    /// Adds to the total.
    Add(u64),
    /// Adds to the total and replies with the new one.
    AddAndGet(u64, RpcReplyPort<u64>),
    /// Folds `n` into the total in an order-sensitive way (`total * 31 + n`).
    Fold(u64),
    /// Replies with the total.
    Total(RpcReplyPort<u64>),
}

#[cfg(feature = "cluster")]
impl ractor::Message for TallyMsg {}

/// What [`TallyMsg::Fold`]s of `folds`, in order, make of `total`.
pub(crate) fn folded(total: u64, folds: impl IntoIterator<Item = u64>) -> u64 {
    folds
        .into_iter()
        .fold(total, |total, n| total.wrapping_mul(31).wrapping_add(n))
}

impl Tally {
    pub(crate) fn starts(&self) -> usize {
        self.starts.load(Ordering::SeqCst)
    }

    pub(crate) fn stops(&self) -> usize {
        self.stops.load(Ordering::SeqCst)
    }
}

impl Actor for Tally {
    type Msg = TallyMsg;
    type State = u64;
    type Arguments = u64;

    async fn pre_start(
        &self,
        _: ActorRef<TallyMsg>,
        total: u64,
    ) -> Result<u64, ActorProcessingErr> {
        if !self.start_delay.is_zero() {
            tokio::time::sleep(self.start_delay).await;
        }
        if self.refuse_starts.load(Ordering::SeqCst) {
            return Err("starts are refused".into());
        }
        self.starts.fetch_add(1, Ordering::SeqCst);
        Ok(total)
    }

    async fn handle(
        &self,
        _: ActorRef<TallyMsg>,
        msg: TallyMsg,
        total: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            TallyMsg::Add(n) => *total += n,
            TallyMsg::AddAndGet(n, reply) => {
                *total += n;
                let _ = reply.send(*total);
            }
            TallyMsg::Fold(n) => *total = folded(*total, [n]),
            TallyMsg::Total(reply) => {
                let _ = reply.send(*total);
            }
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _: ActorRef<TallyMsg>,
        _: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        self.stops.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl DurableSession for Tally {
    const TYPE_TAG: &'static str = "tally";
    type Snapshot = u64;

    fn snapshot(total: &u64) -> impl Serialize {
        total
    }

    fn restore(&self, total: u64) -> Result<u64, BoxError> {
        if total == UNRESTORABLE {
            return Err("this total cannot be restored".into());
        }
        Ok(total)
    }

    fn mutates(msg: &TallyMsg) -> bool {
        !matches!(msg, TallyMsg::Total(_))
    }
}

/// A total that [`Tally`] refuses to restore: a session holding it cannot be revived.
pub(crate) const UNRESTORABLE: u64 = u64::MAX;

/// A builder for a manager that parks `tally`'s sessions as `config` says.
pub(crate) fn parking(config: SessionConfig, tally: &Tally) -> SessionManagerBuilder {
    let tally = tally.clone();
    SessionManager::builder(config).with_durable(move || tally.clone())
}

/// The test configuration, parking after `passivate_after` (idle timeout an hour).
pub(crate) fn parks_after(passivate_after: Duration) -> SessionConfig {
    config().with_passivate_after(Some(passivate_after))
}

/// A manager parking [`Tally`] sessions after `passivate_after` idle, and its `Tally`.
pub(crate) async fn parks_tallies_after(passivate_after: Duration) -> (SessionManager, Tally) {
    let tally = Tally::default();
    let manager = parking(parks_after(passivate_after), &tally)
        .spawn()
        .await
        .unwrap();
    (manager, tally)
}

/// Waits until `manager` has `n` sessions parked.
pub(crate) async fn until_parked(manager: &SessionManager, n: usize) {
    ractor_session_test_support::poll::eventually("the sessions are parked", || async {
        manager.stats().parked == Some(n)
    })
    .await;
}

/// How many session actors `manager`'s supervisor holds now.
pub(crate) fn actors(manager: &SessionManager) -> usize {
    manager.supervisor().get_children().len()
}
