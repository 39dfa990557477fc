//! Stopping sessions: one (`terminate`), or all of them and the manager (`shutdown`).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use crate::entry::Entry;
use crate::error::SessionError;
use crate::id::SessionId;
use crate::registry::{self, Registration};
use crate::session;
use crate::shared::Shared;
use crate::telemetry;
use crate::watch::EndReason;

use super::{BackgroundTasks, revive};
use crate::park;

/// Stops the session `id` gracefully and waits until it has stopped (unless called from
/// inside its own actor).
pub(super) async fn terminate(shared: &Arc<Shared>, id: &str) -> Result<(), SessionError> {
    // A stored session is revived to be ended: its `post_stop` runs as for any other. A
    // parked one is not: its actor's `post_stop` ran as it parked.
    let entry = match shared.registry.lookup(id) {
        Ok(entry) => entry,
        Err(_) => revive::find(shared, id).await?,
    };
    if end_session(shared, &entry, EndReason::Terminated).await? {
        Ok(())
    } else {
        Err(SessionError::not_found(id))
    }
}

/// Stops the live session of `entry` gracefully for `reason`, deletes its record, and
/// waits until it has stopped (unless called from inside its own actor). `false` when
/// someone else (expiry, a crash, another terminate) ended it first.
pub(super) async fn end_session(
    shared: &Arc<Shared>,
    entry: &Arc<Entry>,
    reason: EndReason,
) -> Result<bool, SessionError> {
    let persistence = shared.persistence.as_deref();
    // Its record is given up before the ID is free again (see `Persistence::ending`).
    let deletion = persistence.and_then(|p| p.retire(entry));
    if !shared.registry.deregister_for(entry, reason.clone()) {
        // The record goes all the same.
        if let (Some(persistence), Some(deletion)) = (persistence, deletion) {
            persistence.queue_deletion(deletion);
        }
        return Ok(false);
    }
    if session::is_current(entry) {
        // Waiting here would wait for ourselves until `stop_timeout`, then kill the
        // actor mid-handler without `post_stop`. Its `post_stop` ends the session.
        if let Some(actor) = entry.actor() {
            actor.stop(None);
        }
        if let (Some(persistence), Some(deletion)) = (persistence, deletion) {
            persistence.queue_deletion(deletion);
        }
        return Ok(true);
    }
    if entry.actor().is_none() && entry.parking().is_some() {
        park::finish_parked(shared, entry, reason);
    } else {
        stop_actor(shared, entry).await;
        registry::end(Some(&shared.registry), entry, reason);
    }
    if let (Some(persistence), Some(deletion)) = (persistence, deletion) {
        persistence
            .delete_now(deletion)
            .await
            .map_err(SessionError::store("delete"))?;
    }
    Ok(true)
}

/// Ends the session `id` on this node while keeping it: a parked-in-memory state is
/// revived first (its bytes must reach the store), the actor stops (its last state
/// recorded), the pending writes are flushed, and the record stays for the node that owns
/// the session now to revive. Watchers hear `HandedOver`. `false` when it was not here.
#[cfg_attr(not(feature = "cluster"), allow(dead_code))]
pub(crate) async fn release(shared: &Arc<Shared>, id: &str) -> Result<bool, SessionError> {
    let Ok(entry) = shared.registry.lookup(id) else {
        return Ok(false);
    };
    let parked_in_memory = entry
        .parking()
        .is_some_and(|parking| entry.actor().is_none() && parking.bytes().is_some());
    if parked_in_memory {
        park::activate(shared, &entry).await?;
    }
    if let Some(persistence) = &shared.persistence {
        persistence.touched(&entry);
    }
    if !shared
        .registry
        .deregister_for(&entry, EndReason::HandedOver)
    {
        return Ok(false);
    }
    if entry.actor().is_none() && entry.parking().is_some() {
        park::finish_parked(shared, &entry, EndReason::HandedOver);
    } else {
        stop_actor(shared, &entry).await;
        registry::end(Some(&shared.registry), &entry, EndReason::HandedOver);
    }
    if let Some(persistence) = &shared.persistence {
        persistence
            .flush()
            .await
            .map_err(SessionError::store("flush"))?;
    }
    Ok(true)
}

/// Stops every session gracefully, then the supervisor and the expiry task (whichever
/// call takes `tasks` first).
///
/// Called from inside one of the manager's own sessions, it does not wait for that one:
/// its actor is running the handler that called this, and cannot stop before it returns.
/// Waiting would last `stop_timeout` and end in killing the caller mid-handler (and this
/// very call with it). That session leaves the registry at once and is told to stop,
/// gracefully, when its handler returns. Called from a session's `pre_start`, it does not
/// wait for that start either; the start then fails.
pub(super) async fn shutdown(shared: &Shared, tasks: &Mutex<Option<BackgroundTasks>>) {
    shared.shutting_down.store(true, Ordering::SeqCst);
    // Starts already under way finish first (later ones see the flag and give up), so
    // that the sessions they start are stopped below like every other. A `pre_start`
    // that takes longer than `stop_timeout` is not waited for: its actor then fails
    // to link to the stopped supervisor and its start fails.
    let timeout = shared.config.stop_timeout;
    let caller = session::current_session_id();
    let _ = tokio::time::timeout(timeout, wait_for_starts(shared, caller.as_ref())).await;
    for entry in shared.registry.live_entries() {
        if let Some(persistence) = &shared.persistence {
            // Deadlines are written lazily: those lagging are written with the state.
            persistence.touched(&entry);
        }
        if session::is_current(&entry) {
            let_caller_stop(shared, &entry);
        } else {
            entry.request_stop(EndReason::Shutdown);
        }
    }
    shared
        .supervisor
        .stop_children_and_wait(Some("shutdown".to_owned()), Some(timeout))
        .await;
    // Whatever is still registered did not stop in time (or started meanwhile).
    for entry in shared.registry.live_entries() {
        entry.request_stop(EndReason::Shutdown);
        stop_actor(shared, &entry).await;
        registry::end(Some(&shared.registry), &entry, EndReason::Shutdown);
    }
    // Every session has stopped, its last change recorded: write them all.
    if let Some(persistence) = &shared.persistence {
        persistence.close();
        persistence.drain().await;
    }
    let tasks = tasks.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(tasks) = tasks {
        let _ = shared.supervisor.stop_and_wait(None, Some(timeout)).await;
        let _ = tasks.supervisor.await;
        tasks.expiry.abort();
        let _ = tasks.expiry.await;
        // Nobody reaps call deadlines any more: calls still waiting use their own timers.
        shared.calls.close();
        // Closed above: they finish the round in hand (never cut short, which would
        // lose the writes it holds) and return.
        for task in tasks.store {
            let _ = task.await;
        }
    }
}

/// The session whose handler called `shutdown`: out of the registry now (its watchers
/// will hear `Shutdown`), and unlinked from the supervisor so that stopping the
/// supervisor does not kill it mid-handler. It stops when that handler returns.
fn let_caller_stop(shared: &Shared, entry: &Arc<Entry>) {
    if !shared.registry.deregister_for(entry, EndReason::Shutdown) {
        return;
    }
    if let Some(actor) = entry.actor() {
        actor.unlink(shared.supervisor.clone());
        actor.stop(None);
    }
}

/// Waits until no start is under way, but for the caller's own (`own`, when `shutdown`
/// runs in a session's `pre_start`), which cannot finish before `shutdown` returns.
async fn wait_for_starts(shared: &Shared, own: Option<&SessionId>) {
    loop {
        // Created before looking, so a start finishing in between is not missed.
        let start_done = shared.start_done.notified();
        if !starts_under_way(shared, own) {
            return;
        }
        // Resolves when some starter is done: started, failed or cancelled.
        start_done.await;
    }
}

fn starts_under_way(shared: &Shared, own: Option<&SessionId>) -> bool {
    let Some(own) = own else {
        return shared.registry.any_starting();
    };
    let mut others = false;
    shared.registry.for_each(|id, registration| {
        others |= matches!(registration, Registration::Starting) && id != own;
    });
    others
}

/// Stops the entry's actor gracefully, killing it after `stop_timeout`.
async fn stop_actor(shared: &Shared, entry: &Entry) {
    let Some(actor) = entry.actor() else {
        return;
    };
    let timeout = shared.config.stop_timeout;
    if actor.stop_and_wait(None, Some(timeout)).await.is_err() {
        if actor.get_status() == ractor::ActorStatus::Stopped {
            return;
        }
        telemetry::cleanup_error(
            entry.id().redacted(),
            entry.session_type(),
            "stop timed out; actor killed",
        );
        let _ = actor.kill_and_wait(Some(timeout)).await;
    }
}
