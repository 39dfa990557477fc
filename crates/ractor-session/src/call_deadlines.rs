//! [`CallDeadlines`]: the deadlines of a manager's calls still waiting for their reply,
//! failed by the manager's expiry task instead of a tokio timer per call.
//!
//! A call whose reply is not ready when first polled takes a slot in a slab (its deadline
//! and its task's waker) under one short lock, and gives it back when it ends — replied,
//! failed, or dropped by its caller. Nothing else runs per call: no timer is armed with
//! tokio's driver, and a call answered on its first poll takes no slot at all.
//!
//! The expiry task sleeps until the earliest due slot (as well as the earliest session
//! deadline) and, on waking, marks every due slot fired and wakes its caller, which then
//! fails with `SessionError::Timeout`. Deadlines are in the registry clock's milliseconds,
//! rounded up to a tick of a thousandth of the configured `call_timeout` (1 ms to 100 ms):
//! a call never fails before its timeout, and at most one tick later (plus however long
//! the expiry task waits for a worker). The earliest deadline is kept only as a lower
//! bound (a slot given back does not raise it), so with calls answered in time the task
//! wakes about once per call timeout, finds nothing due, and sleeps again.
//!
//! A call's slot also names the actor it waits on: when the manager's supervisor learns
//! that an actor stopped, it fails the calls still waiting on it at once (a reply port
//! left in a mailbox that is never drained again would otherwise hold the call until its
//! timeout). This replaces a wait on ractor's per-actor stop notification in every call —
//! a waiter registered and removed under the actor's lock, and a few hundred bytes of
//! future.
//!
//! After the manager has shut down (its expiry task is gone) a call falls back to a tokio
//! timer and ractor's stop notification, so that it still ends on time.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use ractor::{ActorCell, ActorId, ActorStatus};
use slab::Slab;
use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

use crate::clock::Clock;
use crate::wheel::tick_for;

/// Pending call deadlines of one manager.
#[derive(Debug)]
pub(crate) struct CallDeadlines {
    inner: Mutex<Inner>,
    clock: Clock,
    tick_ms: u64,
    /// Wakes the expiry task when a deadline earlier than the one it sleeps until arrives.
    wake: Arc<Notify>,
}

#[derive(Debug)]
struct Inner {
    pending: Slab<Pending>,
    /// No pending deadline is earlier than this (`u64::MAX`: none pending).
    earliest_ms: u64,
    /// The deadline the expiry task sleeps until (`u64::MAX` when it sleeps for long).
    sleeping_until: u64,
    /// The expiry task is gone: nobody reaps deadlines any more.
    closed: bool,
}

#[derive(Debug)]
struct Pending {
    due_ms: u64,
    waker: Waker,
    /// The actor the call waits on, if any.
    actor: Option<ActorId>,
    /// Why the wait ended, once it has.
    fired: Option<Ended>,
}

/// Why a wait ended without its future.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Its deadline came.
    Deadline,
    /// The actor it waited on stopped.
    Stopped,
}

impl CallDeadlines {
    /// Deadlines of calls whose timeout is usually `call_timeout`, read on `clock`.
    pub(crate) fn new(clock: Clock, call_timeout: Duration, wake: Arc<Notify>) -> Self {
        Self {
            inner: Mutex::new(Inner {
                pending: Slab::new(),
                earliest_ms: u64::MAX,
                sleeping_until: u64::MAX,
                closed: false,
            }),
            clock,
            tick_ms: tick_for(call_timeout),
            wake,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `future` until `deadline` (a deadline beyond the clock's reach, `None`, never
    /// comes) or until `actor` stops, whichever is first; `future` is polled first, so an
    /// output ready together with either wins.
    ///
    /// A future of its own rather than an `async fn`: it holds `future` once, where an
    /// `async fn` keeps its argument and the pinned copy side by side, and every call's
    /// future is moved (and, in a web handler, boxed) whole.
    pub(crate) fn until<'a, F: Future>(
        &'a self,
        deadline: Option<Instant>,
        actor: Option<&'a ActorCell>,
        future: F,
    ) -> Until<'a, F> {
        let due_ms = deadline.map_or(u64::MAX, |deadline| {
            self.clock
                .stamp_at(deadline)
                .div_ceil(self.tick_ms)
                .saturating_mul(self.tick_ms)
        });
        Until {
            future,
            slot: Slot {
                deadlines: self,
                key: None,
            },
            deadline,
            actor,
            due_ms,
            fallback: None,
        }
    }

    /// Fires every deadline due at `now_ms` and wakes its caller; returns the earliest
    /// deadline still pending, recorded as the one the expiry task sleeps until.
    pub(crate) fn fire_due(&self, now_ms: u64) -> Option<u64> {
        let mut inner = self.lock();
        if inner.earliest_ms <= now_ms {
            let mut earliest = u64::MAX;
            for (_, pending) in &mut inner.pending {
                if pending.fired.is_some() {
                    continue;
                }
                if pending.due_ms <= now_ms {
                    pending.fired = Some(Ended::Deadline);
                    pending.waker.wake_by_ref();
                } else {
                    earliest = earliest.min(pending.due_ms);
                }
            }
            inner.earliest_ms = earliest;
        }
        inner.sleeping_until = inner.earliest_ms;
        (inner.earliest_ms != u64::MAX).then_some(inner.earliest_ms)
    }

    /// `actor` has stopped: fails the calls still waiting on it. Called by the manager's
    /// supervisor, which hears of the stop after ractor marked the actor `Stopping`.
    pub(crate) fn actor_stopped(&self, actor: ActorId) {
        let mut inner = self.lock();
        for (_, pending) in &mut inner.pending {
            if pending.actor == Some(actor) && pending.fired.is_none() {
                pending.fired = Some(Ended::Stopped);
                pending.waker.wake_by_ref();
            }
        }
    }

    /// The expiry task has stopped: wakes every pending call to finish on its own timer.
    pub(crate) fn close(&self) {
        let mut inner = self.lock();
        inner.closed = true;
        for (_, pending) in &inner.pending {
            pending.waker.wake_by_ref();
        }
    }

    /// Calls waiting with a deadline.
    #[cfg(any(test, feature = "test-util"))]
    pub(crate) fn pending(&self) -> usize {
        self.lock().pending.len()
    }
}

pin_project_lite::pin_project! {
    /// A future run until a deadline or its actor's stop (see [`CallDeadlines::until`]).
    pub(crate) struct Until<'a, F> {
        #[pin]
        future: F,
        slot: Slot<'a>,
        deadline: Option<Instant>,
        actor: Option<&'a ActorCell>,
        due_ms: u64,
        // After shutdown (no reaper any more): a tokio timer and ractor's stop
        // notification for the rest of the wait, boxed, since it is rare and inline it
        // would grow every call's future.
        fallback: Option<Fallback>,
    }
}

type Fallback = Pin<Box<dyn Future<Output = Ended> + Send>>;

impl<F: Future> Future for Until<'_, F> {
    type Output = Result<F::Output, Ended>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if this.deadline.is_none() && this.actor.is_none() {
            return Poll::Pending;
        }
        if let Some(fallback) = this.fallback {
            return fallback.as_mut().poll(cx).map(Err);
        }
        match this.slot.poll_due(cx, *this.due_ms, *this.actor) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Due::Ended(ended)) => Poll::Ready(Err(ended)),
            Poll::Ready(Due::Unreaped) => {
                this.slot.give_back();
                let fallback = this
                    .fallback
                    .insert(fallback(*this.deadline, this.actor.cloned()));
                fallback.as_mut().poll(cx).map(Err)
            }
        }
    }
}

/// The wait of a call after shutdown: its deadline on a tokio timer, its actor's stop
/// through ractor.
fn fallback(deadline: Option<Instant>, actor: Option<ActorCell>) -> Fallback {
    Box::pin(async move {
        let due = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        let stopped = async {
            match actor {
                Some(actor) => {
                    let _ = actor.wait(None).await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = due => Ended::Deadline,
            () = stopped => Ended::Stopped,
        }
    })
}

/// Why a call's wait ended without its future.
enum Due {
    Ended(Ended),
    Unreaped,
}

/// A call's place among the pending deadlines, given back when dropped.
struct Slot<'a> {
    deadlines: &'a CallDeadlines,
    key: Option<usize>,
}

impl Slot<'_> {
    /// Takes or refreshes the slot (its waker): ready once the deadline has fired or the
    /// actor has stopped.
    fn poll_due(&mut self, cx: &Context<'_>, due_ms: u64, actor: Option<&ActorCell>) -> Poll<Due> {
        let deadlines = self.deadlines;
        let mut inner = deadlines.lock();
        if inner.closed {
            return Poll::Ready(Due::Unreaped);
        }
        if let Some(key) = self.key {
            let pending = &mut inner.pending[key];
            if let Some(ended) = pending.fired {
                return Poll::Ready(Due::Ended(ended));
            }
            if !pending.waker.will_wake(cx.waker()) {
                pending.waker = cx.waker().clone();
            }
            return Poll::Pending;
        }
        self.key = Some(inner.pending.insert(Pending {
            due_ms,
            waker: cx.waker().clone(),
            actor: actor.map(ActorCell::get_id),
            fired: None,
        }));
        inner.earliest_ms = inner.earliest_ms.min(due_ms);
        let wake = due_ms < inner.sleeping_until;
        if wake {
            // Told once: later deadlines up to this one need no wake-up.
            inner.sleeping_until = due_ms;
        }
        drop(inner);
        if wake {
            deadlines.wake.notify_one();
        }
        // The supervisor fails the waits on an actor once ractor has marked it `Stopping`
        // (no message is handled after that); if it did so before the slot was taken, the
        // status read here (after the slot's lock) shows it.
        if actor.is_some_and(|actor| actor.get_status() >= ActorStatus::Stopping) {
            return Poll::Ready(Due::Ended(Ended::Stopped));
        }
        Poll::Pending
    }

    /// Leaves the pending deadlines (if it had joined them).
    fn give_back(&mut self) {
        if let Some(key) = self.key.take() {
            self.deadlines.lock().pending.remove(key);
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.give_back();
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;

    use super::*;

    fn deadlines(call_timeout: Duration) -> (CallDeadlines, Arc<Notify>) {
        let wake = Arc::new(Notify::new());
        let deadlines = CallDeadlines::new(Clock::new(), call_timeout, Arc::clone(&wake));
        (deadlines, wake)
    }

    #[tokio::test(start_paused = true)]
    async fn a_ready_future_takes_no_slot() {
        let (deadlines, _) = deadlines(Duration::from_secs(1));
        let deadline = Instant::now() + Duration::from_secs(1);
        assert_eq!(
            deadlines.until(Some(deadline), None, async { 7 }).await,
            Ok(7)
        );
        assert_eq!(deadlines.pending(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_fails_once_its_deadline_is_fired_and_not_before() {
        let (deadlines, wake) = deadlines(Duration::from_secs(1));
        let deadlines = Arc::new(deadlines);
        let deadline = Instant::now() + Duration::from_millis(1_000);
        let waiting = tokio::spawn({
            let deadlines = Arc::clone(&deadlines);
            async move {
                deadlines
                    .until(Some(deadline), None, std::future::pending::<()>())
                    .await
            }
        });
        // The first deadline wakes the reaper, which had nothing to sleep until.
        wake.notified().await;
        assert_eq!(deadlines.pending(), 1);
        assert_eq!(deadlines.fire_due(999), Some(1_000), "not due yet");
        assert!(!waiting.is_finished());
        assert_eq!(deadlines.fire_due(1_000), None);
        assert_eq!(waiting.await.expect("no panic"), Err(Ended::Deadline));
        assert_eq!(deadlines.pending(), 0, "the slot is given back");
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_round_up_to_the_tick() {
        // 10 s: a tick of 10 ms.
        let (deadlines, _) = deadlines(Duration::from_secs(10));
        let deadline = Instant::now() + Duration::from_micros(1_000_500);
        let mut waiting = pin!(deadlines.until(Some(deadline), None, std::future::pending::<()>()));
        assert!(futures_util::poll!(waiting.as_mut()).is_pending());
        assert_eq!(deadlines.fire_due(1_009), Some(1_010));
        assert!(futures_util::poll!(waiting.as_mut()).is_pending());
        deadlines.fire_due(1_010);
        assert_eq!(waiting.await, Err(Ended::Deadline));
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_wait_gives_its_slot_back() {
        let (deadlines, _) = deadlines(Duration::from_secs(1));
        let deadline = Instant::now() + Duration::from_secs(1);
        for _ in 0..100 {
            let mut waiting =
                pin!(deadlines.until(Some(deadline), None, std::future::pending::<()>()));
            assert!(futures_util::poll!(waiting.as_mut()).is_pending());
        }
        assert_eq!(deadlines.pending(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn only_an_earlier_deadline_wakes_the_reaper() {
        let (deadlines, wake) = deadlines(Duration::from_secs(1));
        let now = Instant::now();
        let mut later = pin!(deadlines.until(
            Some(now + Duration::from_secs(2)),
            None,
            std::future::pending::<()>()
        ));
        assert!(futures_util::poll!(later.as_mut()).is_pending());
        let mut first = pin!(wake.notified());
        assert!(futures_util::poll!(first.as_mut()).is_ready());
        let mut same = pin!(deadlines.until(
            Some(now + Duration::from_secs(3)),
            None,
            std::future::pending::<()>()
        ));
        assert!(futures_util::poll!(same.as_mut()).is_pending());
        let mut none = pin!(wake.notified());
        assert!(
            futures_util::poll!(none.as_mut()).is_pending(),
            "a later one"
        );
        let mut earlier = pin!(deadlines.until(
            Some(now + Duration::from_secs(1)),
            None,
            std::future::pending::<()>()
        ));
        assert!(futures_util::poll!(earlier.as_mut()).is_pending());
        assert!(
            futures_util::poll!(none.as_mut()).is_ready(),
            "an earlier one"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn after_close_a_wait_ends_on_its_own_timer() {
        let (deadlines, _) = deadlines(Duration::from_secs(1));
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut waiting = pin!(deadlines.until(Some(deadline), None, std::future::pending::<()>()));
        assert!(futures_util::poll!(waiting.as_mut()).is_pending());
        deadlines.close();
        let started = Instant::now();
        assert_eq!(waiting.await, Err(Ended::Deadline));
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert_eq!(deadlines.pending(), 0);
    }

    /// An actor that takes no messages and only stops.
    struct Idle;

    enum IdleMsg {}

    #[cfg(feature = "cluster")]
    impl ractor::Message for IdleMsg {}

    impl ractor::Actor for Idle {
        type Msg = IdleMsg;
        type State = ();
        type Arguments = ();

        async fn pre_start(
            &self,
            _: ractor::ActorRef<IdleMsg>,
            (): (),
        ) -> Result<(), ractor::ActorProcessingErr> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_wait_on_an_actor_ends_when_it_stops_whether_reaped_or_not() {
        for closed in [false, true] {
            let (deadlines, _) = deadlines(Duration::from_secs(3_600));
            let (actor, task) = ractor::Actor::spawn(None, Idle, ()).await.unwrap();
            let cell = actor.get_cell();
            let mut waiting = Box::pin(deadlines.until(
                Some(Instant::now() + Duration::from_secs(3_600)),
                Some(&cell),
                std::future::pending::<()>(),
            ));
            assert!(futures_util::poll!(waiting.as_mut()).is_pending());
            if closed {
                // After shutdown: ractor's own stop notification ends the wait.
                deadlines.close();
                assert!(futures_util::poll!(waiting.as_mut()).is_pending());
                actor.stop(None);
            } else {
                // The supervisor's report ends it.
                actor.stop(None);
                task.await.unwrap();
                deadlines.actor_stopped(cell.get_id());
            }
            let ended = tokio::time::timeout(Duration::from_secs(10), waiting.as_mut()).await;
            assert_eq!(ended, Ok(Err(Ended::Stopped)), "closed: {closed}");
            drop(waiting);
            assert_eq!(deadlines.pending(), 0, "the slot is given back");
        }
    }

    #[tokio::test]
    async fn a_wait_begun_after_its_actor_stopped_ends_at_once() {
        let (deadlines, _) = deadlines(Duration::from_secs(3_600));
        let (actor, task) = ractor::Actor::spawn(None, Idle, ()).await.unwrap();
        actor.stop(None);
        task.await.unwrap();
        // The supervisor has been and gone: the status shows the stop.
        let cell = actor.get_cell();
        let waiting = deadlines.until(None, Some(&cell), std::future::pending::<()>());
        let ended = tokio::time::timeout(Duration::from_secs(10), waiting).await;
        assert_eq!(ended, Ok(Err(Ended::Stopped)));
        assert_eq!(deadlines.pending(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn no_deadline_waits_for_the_future() {
        let (deadlines, _) = deadlines(Duration::from_secs(1));
        assert_eq!(deadlines.until(None, None, async { 1 }).await, Ok(1));
    }
}
