//! Idle and absolute expiry: one timer wheel per manager, re-armed lazily.
//!
//! Activity is one relaxed atomic store on the session's entry (see `Entry::touch`);
//! nothing here runs per message. Each live session has exactly one deadline in a
//! [`DelayQueue`] owned by one task. When a deadline fires, the task recomputes it from
//! the entry's last-activity stamp: if activity moved it, the entry is re-inserted at the
//! new deadline; otherwise the session is expired. A deadline therefore never fires early,
//! and fires within the queue's 1 ms resolution of the true one. Deregistration removes
//! the entry from the queue, so a later session under the same ID can never be hit by an
//! earlier session's timer: the queue holds entries, not IDs.

use std::sync::{Arc, Weak};

use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};
use tokio_util::time::DelayQueue;

use crate::registry::{Entry, Shared};
use crate::telemetry;
use crate::watch::EndReason;

/// What the expiry task is told to do.
#[derive(Debug)]
pub(crate) enum Command {
    /// A session went live: schedule its deadline.
    Arm(Arc<Entry>),
    /// A session left the registry: forget its deadline.
    Disarm(Arc<Entry>),
}

/// The furthest ahead a deadline is put in the queue. `DelayQueue` panics on a deadline
/// more than ~2.2 years past its wheel's clock (which would kill this task and with it all
/// expiry); a later deadline is met by re-arming when this one fires, since the recheck
/// then finds the true deadline still ahead.
const MAX_ARM_AHEAD: Duration = Duration::from_secs(24 * 3600);

/// The wheel's clock only moves when a deadline fires, so it stands still while the queue
/// is empty. An empty queue older than this is replaced before use, so that a deadline
/// armed after a long quiet spell is never too far past the wheel's clock either.
const MAX_IDLE_QUEUE_AGE: Duration = Duration::from_secs(365 * 24 * 3600);

/// Runs until every manager handle is gone (the command channel closes).
pub(crate) async fn run(shared: Weak<Shared>, mut commands: mpsc::UnboundedReceiver<Command>) {
    let mut queue: DelayQueue<Arc<Entry>> = DelayQueue::new();
    let mut queue_created = Instant::now();
    loop {
        tokio::select! {
            biased;
            command = commands.recv() => {
                let Some(command) = command else { break };
                let Some(shared) = shared.upgrade() else { break };
                match command {
                    Command::Arm(entry) => {
                        if queue.is_empty() && queue_created.elapsed() > MAX_IDLE_QUEUE_AGE {
                            queue = DelayQueue::new();
                            queue_created = Instant::now();
                        }
                        arm(&mut queue, &shared, entry);
                    }
                    Command::Disarm(entry) => {
                        if let Some(key) = entry.expiry_key.lock().unwrap_or_else(|e| e.into_inner()).take() {
                            queue.try_remove(&key);
                        }
                    }
                }
            }
            Some(fired) = queue.next(), if !queue.is_empty() => {
                let Some(shared) = shared.upgrade() else { break };
                let entry = fired.into_inner();
                *entry.expiry_key.lock().unwrap_or_else(|e| e.into_inner()) = None;
                if !entry.is_registered() {
                    continue;
                }
                let now = shared.clock.now_ms();
                if entry.deadline_ms(&shared.config) > now {
                    arm(&mut queue, &shared, entry);
                } else {
                    expire(&shared, &entry, now);
                }
            }
        }
    }
}

fn arm(queue: &mut DelayQueue<Arc<Entry>>, shared: &Shared, entry: Arc<Entry>) {
    if !entry.is_registered() {
        return;
    }
    let when = shared
        .clock
        .instant(entry.deadline_ms(&shared.config))
        .min(Instant::now() + MAX_ARM_AHEAD);
    let slot = Arc::clone(&entry);
    let key = queue.insert_at(entry, when);
    *slot.expiry_key.lock().unwrap_or_else(|e| e.into_inner()) = Some(key);
}

fn expire(shared: &Shared, entry: &Arc<Entry>, now_ms: u64) {
    let idle = Duration::from_millis(now_ms.saturating_sub(entry.last_active_ms()));
    // Out of the registry at once, so no request reaches a session past its deadline;
    // watchers hear `Expired` when the actor has run its `post_stop`. If a `terminate`,
    // a crash or a shutdown removed it first, the session is theirs to end, not ours.
    if !shared.deregister_for(entry, EndReason::Expired) {
        return;
    }
    let id = entry.id().redacted();
    telemetry::expired(id, entry.session_type, idle);
    match entry.actor.get() {
        Some(actor) => actor.stop(Some("expired".to_owned())),
        None => telemetry::cleanup_error(id, entry.session_type, "session had no actor"),
    }
}
