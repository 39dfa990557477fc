//! Parking and reviving the sessions of a manager that passivates (see `passivation`):
//! what the session wrapper, handles, expiry and the manager call.
//!
//! A session parks from its own actor's `post_stop` ([`hand_over`]), after a drain started
//! by idle expiry's wheel or by `max_active`: its newest state becomes bytes (kept on the
//! entry without a store; written to the store with one), the actor goes, the entry stays.
//! The next operation revives it ([`activate`]): one caller claims the revival, starts the
//! actor from the bytes (a caller cancelled before the actor started leaves the session
//! parked as it was) and delivers the casts that waited; the others wait for it. A revival that fails
//! ends only that session, with the typed error its callers get.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use ractor::{Actor, ActorCell, ActorRef, Message, MessagingErr};
use tokio::time::Instant;

use crate::durable::Codec;
use crate::entry::Entry;
use crate::entry::{check_type, typed};
use crate::error::SessionError;
use crate::expiry;
use crate::parking::{Parking, Queued};
use crate::passivation::{Passivation, telemetry};
use crate::persisted::Persisted;
use crate::registry;
use crate::shared::{Kind, Revival, Shared};
use crate::watch::EndReason;

/// `entry`, a session of the durable type `kind`, linked to its record (with a store;
/// `epoch` is its activation's) and able to park (when the manager passivates).
pub(crate) fn durable_entry(shared: &Shared, entry: Entry, kind: &dyn Kind, epoch: u64) -> Entry {
    let entry = match shared.persistence {
        Some(_) => {
            let active = entry.last_active_ms();
            entry.with_persisted(Persisted::new(kind.tag(), kind.format(), epoch, active))
        }
        None => entry,
    };
    match shared.passivation {
        Some(_) => entry.with_parking(Parking::new(kind.tag())),
        None => entry,
    }
}

/// What became of a stopping actor's session, as its `post_stop` learns.
pub(crate) enum HandOver {
    /// Not parking: the session ends as usual.
    Ends,
    /// Parked: the session goes on without this actor.
    Parked,
    /// Parking failed (its state could not be serialized): the session ends as crashed.
    Failed(String),
}

/// From the `post_stop` of `entry`'s actor, with its final `state`: parks the session if
/// its actor was drained for that (and the session has not ended meanwhile).
pub(crate) fn hand_over<A: Actor>(
    shared: &Weak<Shared>,
    entry: &Arc<Entry>,
    codec: Codec<A>,
    state: &A::State,
) -> HandOver {
    let Some(parking) = entry.parking() else {
        return HandOver::Ends;
    };
    if !parking.parks_on_stop() || !entry.is_registered() {
        return HandOver::Ends;
    }
    let Some(shared) = shared.upgrade() else {
        return HandOver::Ends;
    };
    let Some(passivation) = &shared.passivation else {
        return HandOver::Ends;
    };
    if shared.shutting_down.load(Ordering::SeqCst) {
        return HandOver::Ends;
    }
    let bytes = match std::panic::catch_unwind(AssertUnwindSafe(|| (codec.encode)(state))) {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => return HandOver::Failed(format!("parking failed: {error}")),
        Err(panic) => return HandOver::Failed(format!("parking failed: {}", panic_text(&panic))),
    };
    let in_memory = match entry.persisted() {
        // With a store, the bytes go there (the flusher writes them) and leave memory once
        // written.
        Some(persisted) => {
            let change = persisted.begin_change();
            if persisted.record(change, bytes, entry.last_active_ms())
                && let Some(persistence) = &shared.persistence
            {
                persistence.push(entry);
            }
            None
        }
        None => Some(bytes),
    };
    entry.clear_actor();
    let Some(waiting) = parking.park(in_memory) else {
        // Ended (expired, evicted) as it drained: its end has been told already.
        return HandOver::Parked;
    };
    if let Some(persisted) = entry.persisted() {
        persisted.release_saved();
    }
    shared.registry.counters.passivated();
    telemetry::passivated(entry.id().redacted(), entry.session_type());
    passivation.parked_one();
    if !entry.is_registered() {
        // Deregistered (expired, terminated) after the check above, by someone counting on
        // this actor's stop to end it: ended here, for the reason they gave.
        finish_parked(&shared, entry, EndReason::Terminated);
        return HandOver::Parked;
    }
    if waiting {
        // Casts arrived while it drained: they revive it now.
        wake(&shared, entry);
    }
    HandOver::Parked
}

fn panic_text(panic: &Box<dyn Any + Send>) -> String {
    match (panic.downcast_ref::<String>(), panic.downcast_ref::<&str>()) {
        (Some(text), _) => text.clone(),
        (None, Some(text)) => (*text).to_owned(),
        (None, None) => "a panic".to_owned(),
    }
}

/// Makes `entry` active, reviving it if it is parked; returns at once for an active
/// session or one that cannot park.
///
/// # Errors
///
/// `SessionNotFound` when the session ended meanwhile; the revival's errors (see
/// [`restore`]), with which the session ended.
pub(crate) async fn activate(shared: &Arc<Shared>, entry: &Arc<Entry>) -> Result<(), SessionError> {
    let Some(parking) = entry.parking() else {
        return Ok(());
    };
    if parking.is_active() {
        return Ok(());
    }
    let Some(passivation) = &shared.passivation else {
        return Ok(());
    };
    loop {
        // Made before looking, so a change in between is not missed.
        let changed = passivation.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        if !entry.is_registered() {
            return Err(SessionError::SessionNotFound { id: entry.id() });
        }
        if parking.is_active() {
            return Ok(());
        }
        if parking.begin_revival() {
            // Boxed: the revival (a store read, an actor's start) is rare, and inline it
            // would make every call's future as large as itself.
            return Box::pin(revive(shared, entry)).await;
        }
        changed.await;
    }
}

/// Revives a parked `entry` in the background (a cast queued on it, a touch, a pin).
pub(crate) fn wake(shared: &Arc<Shared>, entry: &Arc<Entry>) {
    if entry.parking().is_some_and(|parking| !parking.is_active()) {
        let (shared, entry) = (Arc::clone(shared), Arc::clone(entry));
        tokio::spawn(async move { activate(&shared, &entry).await });
    }
}

/// A revival under way; dropped before it is done (its caller's future cancelled while
/// the store is read or the actor starts), it parks the session again as it was.
struct Reviving<'a> {
    parking: &'a Parking,
    passivation: &'a Passivation,
    done: bool,
}

impl Drop for Reviving<'_> {
    fn drop(&mut self) {
        if !self.done && self.parking.abandon_revival() {
            // Waiters wake to find it parked, and one of them revives it.
            self.passivation.parked_one();
        }
    }
}

/// The revival claimed by `activate`, in the caller's task (a task of its own would add
/// a hand-over to every revival); `Reviving` makes it safe to cancel.
async fn revive(shared: &Arc<Shared>, entry: &Arc<Entry>) -> Result<(), SessionError> {
    let (Some(parking), Some(passivation)) = (entry.parking(), &shared.passivation) else {
        return Ok(());
    };
    passivation.unparked_one();
    let mut reviving = Reviving {
        parking,
        passivation,
        done: false,
    };
    let began = Instant::now();
    let outcome = restore(shared, entry, parking).await;
    // Nothing below waits: the revival cannot be cancelled half-way from here on.
    reviving.done = true;
    let outcome = outcome.and_then(|()| match entry.actor() {
        // Ended while its actor started (expired, terminated): that actor goes too.
        Some(actor) if !entry.is_registered() => {
            actor.stop(None);
            Err(SessionError::SessionNotFound { id: entry.id() })
        }
        Some(actor) => Ok(actor),
        None => Err(SessionError::SessionNotFound { id: entry.id() }),
    });
    match outcome {
        Ok(actor) => {
            passivation.track(entry);
            parking.activated(&actor);
            shared.registry.counters.revived();
            expiry::rearm(shared, entry);
            passivation.changed.notify_waiters();
            telemetry::activated(entry.id().redacted(), entry.session_type(), began.elapsed());
            Ok(())
        }
        Err(error) => {
            let reason = if shared.shutting_down.load(Ordering::SeqCst) {
                EndReason::Shutdown
            } else {
                EndReason::Crashed(error.to_string())
            };
            end_parked(shared, entry, reason);
            Err(error)
        }
    }
}

/// Starts `entry`'s actor from its parked bytes: in memory, or the newest the manager
/// wrote or is about to write, or else its record in the store.
///
/// # Errors
///
/// `UnregisteredType`; `StoreFailed` when the record could not be read; `SessionNotFound`
/// when the store no longer has it; `UnreadableRecord` when the bytes do not restore;
/// `StartFailed` when the restored actor's `pre_start` fails.
async fn restore(
    shared: &Arc<Shared>,
    entry: &Arc<Entry>,
    parking: &Parking,
) -> Result<(), SessionError> {
    let id = entry.id();
    let Some(kind) = shared.kinds.by_tag(parking.tag()) else {
        return Err(SessionError::UnregisteredType {
            id,
            session_type: parking.tag().to_owned(),
        });
    };
    let (bytes, format): (Vec<u8>, u32) = match entry.persisted() {
        None => match parking.bytes() {
            Some(bytes) => (bytes.into_vec(), kind.format()),
            None => return Err(SessionError::SessionNotFound { id }),
        },
        Some(persisted) => match persisted.latest_bytes() {
            Some(bytes) => (bytes.to_vec(), persisted.format()),
            None => {
                let Some(persistence) = &shared.persistence else {
                    return Err(SessionError::SessionNotFound { id });
                };
                let loaded = persistence.store().load(&id).await;
                match loaded.map_err(SessionError::store("load"))? {
                    Some(record) => (record.state().to_vec(), record.format_version()),
                    None => return Err(SessionError::SessionNotFound { id }),
                }
            }
        },
    };
    match kind.spawn(shared, entry, &bytes, format).await {
        Ok(()) => Ok(()),
        Err(Revival::Unreadable(source)) => Err(SessionError::UnreadableRecord {
            id,
            session_type: parking.tag().to_owned(),
            format,
            source,
        }),
        Err(Revival::Start(spawn)) => Err(shared.start_failed(id, kind.session_type(), spawn)),
    }
}

/// Ends a session that has no actor (parked, or whose revival failed) for `reason`,
/// unless something else ended it first.
pub(crate) fn end_parked(shared: &Shared, entry: &Arc<Entry>, reason: EndReason) {
    if shared.registry.deregister_for(entry, reason.clone()) {
        finish_parked(shared, entry, reason);
    }
}

/// Ends a session without an actor that has just been deregistered for `reason` (its
/// record deleted, its watchers told, its bytes freed).
pub(crate) fn finish_parked(shared: &Shared, entry: &Arc<Entry>, reason: EndReason) {
    if let Some(persistence) = &shared.persistence {
        persistence.ending(entry, reason.clone());
    }
    registry::end(Some(&shared.registry), entry, reason);
    if let Some(persistence) = &shared.persistence {
        persistence.ended(entry);
    }
    if let (Some(parking), Some(passivation)) = (entry.parking(), &shared.passivation) {
        if parking.free() {
            passivation.unparked_one();
        }
        passivation.changed.notify_waiters();
    }
}

/// Whether a message refused by `actor` should go to `entry`'s next actor: the session
/// is parking or parked, or another actor runs it now.
fn moved_on(entry: &Entry, actor: &ActorCell) -> bool {
    entry
        .parking()
        .is_some_and(|parking| !parking.is_active() || !entry.runs(actor))
}

/// Sends `message` to `entry`'s actor, reviving the session first if it is parked, and
/// again to its next actor if the one it found was draining to park. Returns the actor
/// that took it.
///
/// # Errors
///
/// `WrongSessionType`; `ProcessNotFound` when the actor had stopped; the errors of
/// [`activate`].
pub(crate) async fn send<M: Message>(
    shared: &Arc<Shared>,
    entry: &Arc<Entry>,
    message: M,
) -> Result<ActorRef<M>, SessionError> {
    let mut message = message;
    loop {
        activate(shared, entry).await?;
        let actor: ActorRef<M> = match typed(entry) {
            Ok(actor) => actor,
            // Parked again since: revive it again.
            Err(SessionError::ProcessNotFound { .. }) if entry.parking().is_some() => continue,
            Err(error) => return Err(error),
        };
        match actor.send_message(message) {
            Ok(()) => return Ok(actor),
            Err(MessagingErr::SendErr(back)) if moved_on(entry, &actor.get_cell()) => {
                message = back;
            }
            Err(_) => return Err(SessionError::ProcessNotFound { id: entry.id() }),
        }
    }
}

/// Casts `message` to a parkable `entry` without waiting: to its actor when it is
/// active, otherwise queued for its next actor (reviving it in the background if it is
/// parked). The outer error is `WrongSessionType` or `SessionNotFound`; the inner one the
/// actor's refusal.
pub(crate) fn cast<M: Message>(
    shared: &Arc<Shared>,
    entry: &Arc<Entry>,
    parking: &Parking,
    message: M,
) -> Result<Result<(), MessagingErr<M>>, SessionError> {
    check_type::<M>(entry)?;
    let mut message = Some(message);
    loop {
        if parking.is_active()
            && let Some(cell) = entry.actor()
            && let Some(next) = message.take()
        {
            let actor: ActorRef<M> = cell.clone().into();
            match actor.cast(next) {
                Ok(()) => return Ok(Ok(())),
                Err(MessagingErr::SendErr(back)) if moved_on(entry, &cell) => {
                    message = Some(back);
                }
                Err(error) => return Ok(Err(error)),
            }
        }
        match parking.queue(&mut message, deliver::<M>) {
            Queued::No if !entry.is_registered() => {
                return Err(SessionError::SessionNotFound { id: entry.id() });
            }
            Queued::No => {}
            Queued::Yes => return Ok(Ok(())),
            Queued::Revive => {
                wake(shared, entry);
                return Ok(Ok(()));
            }
        }
    }
}

/// Delivers a queued cast to the revived actor. It was accepted when queued; should the
/// new actor already be gone, the session has ended and its watchers know why.
fn deliver<M: Message>(actor: &ActorCell, message: M) {
    let _ = ActorRef::<M>::from(actor.clone()).cast(message);
}

/// Whether the manager counts `entry`'s actors under `max_active`, and takes a place for
/// one more, `busy` telling the sessions not to park for it (see `Passivation::reserve`).
pub(crate) async fn reserve(shared: &Shared, entry: &Entry, busy: fn(&Arc<Entry>) -> bool) -> bool {
    match (&shared.passivation, entry.parking()) {
        (Some(passivation), Some(_)) => passivation.reserve(busy).await,
        _ => false,
    }
}

/// Notes a session that became active for `max_active`.
pub(crate) fn track(shared: &Shared, entry: &Arc<Entry>) {
    if let (Some(passivation), Some(_)) = (&shared.passivation, entry.parking()) {
        passivation.track(entry);
    }
}

/// An actor counted under `max_active` has gone: its place is free.
pub(crate) fn released(shared: &Weak<Shared>) {
    if let Some(shared) = shared.upgrade()
        && let Some(passivation) = &shared.passivation
    {
        passivation.release();
    }
}
