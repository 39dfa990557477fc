//! Reviving a stored session: an operation on an ID that is not in memory claims the ID
//! as a start does (so racing operations and starts make exactly one actor), claims the
//! record in the store (raising its fencing epoch), reads it back with the type its tag
//! names, and starts that type's actor from it.
//!
//! A failure is always an error, never a fresh session in place of a stored one: the
//! store failing is `StoreFailed`, a record that no longer reads back is
//! `UnreadableRecord` (or, with `OnCorrupt::StartFresh`, a deleted record and an unknown
//! ID), an unknown tag is `UnregisteredType`.

use std::sync::Arc;

use tokio::time::Instant;

use crate::durability_config::OnCorrupt;
use crate::durable::SessionRecord;
use crate::entry::Entry;
use crate::error::SessionError;
use crate::id::SessionId;
use crate::persistence::Deletion;
use crate::shared::{Kind, Revival, Shared};
use crate::telemetry;

use super::start::{Claim, Claiming, IfLive, StartGate, claim, go_live};
use crate::park;

/// What telemetry calls a revival refused before its record named a type.
const STORED: &str = "stored";

/// The live session `id` for an operation by ID: found in memory, or revived from the
/// store when the manager has one.
///
/// # Errors
///
/// `SessionNotFound` (or `InvalidSessionId`) when neither has it; the errors of
/// [`claimed`] when the store has it but it cannot be revived.
pub(super) async fn find(shared: &Arc<Shared>, id: &str) -> Result<Arc<Entry>, SessionError> {
    find_at(shared, id).await.map(|(entry, _)| entry)
}

/// As [`find`], with an instant at which the session was found live: the lookup's, or
/// one read after a revival (which takes time). An operation by ID goes on from it
/// without reading the clock and checking the deadline again.
pub(super) async fn find_at(
    shared: &Arc<Shared>,
    id: &str,
) -> Result<(Arc<Entry>, Instant), SessionError> {
    let missing = match shared.registry.lookup_at(id) {
        Ok((entry, now)) => {
            if entry.parking().is_some_and(|parking| !parking.is_active()) {
                // A parked session is revived first, which takes time: the clock is read
                // again after it.
                park::activate(shared, &entry).await?;
                return Ok((entry, Instant::now()));
            }
            return Ok((entry, now));
        }
        Err(missing) => missing,
    };
    let SessionError::SessionNotFound { id } = missing else {
        return Err(missing);
    };
    if shared.persistence.is_none() {
        return Err(SessionError::SessionNotFound { id });
    }
    // Boxed: the revival's state machine is large, and the futures of `call` and `cast`
    // on a live session (the hot path) should not carry it.
    let entry = Box::pin(revive(shared, id)).await?;
    Ok((entry, Instant::now()))
}

/// The stored session `id`, revived; see [`find`].
async fn revive(shared: &Arc<Shared>, id: SessionId) -> Result<Arc<Entry>, SessionError> {
    let revived = {
        let mut gate = match claim(shared, &id, STORED, IfLive::Return, Claiming::Revival).await? {
            Claim::Live(entry) => return Ok(entry),
            Claim::Gate(gate) => gate,
        };
        // In a cluster another node may still hold the session (its owner before this
        // one joined, or its owner when this node revives one it does not own): it is
        // asked to hand it over — stop it and write its last state — before the record
        // is read here.
        #[cfg(feature = "cluster")]
        if let Some(route) = shared.route.get() {
            route.ask_to_release(&id).await;
        }
        let revived = claimed(shared, &id, &mut gate).await?;
        if revived.is_some() {
            gate.succeed();
        }
        revived
    };
    revived.ok_or(SessionError::SessionNotFound { id })
}

/// With `id` claimed by `gate` (and no session of it in memory): claims its record and
/// revives the session from it, live and registered when this returns (the caller then
/// releases its claim). `None` when the store has no live record of `id` (or had an
/// unreadable one that `OnCorrupt::StartFresh` deleted).
///
/// # Errors
///
/// `StoreFailed` when the store fails; `UnregisteredType` for a tag no registered type
/// has; `UnreadableRecord` for a record that does not read back (with
/// `OnCorrupt::Refuse`); `SessionLimitReached`; `StartFailed` when the restored actor's
/// `pre_start` fails.
pub(super) async fn claimed(
    shared: &Arc<Shared>,
    id: &SessionId,
    gate: &mut StartGate<'_>,
) -> Result<Option<Arc<Entry>>, SessionError> {
    let Some(persistence) = &shared.persistence else {
        return Ok(None);
    };
    let backend = persistence.backend();
    if persistence.is_doomed(id) {
        // The session ended a moment ago; its record is about to be deleted.
        return Ok(None);
    }
    let began = Instant::now();
    let record = persistence.store().claim(id).await.map_err(|source| {
        telemetry::store_error(backend, "load");
        SessionError::store("load")(source)
    })?;
    let Some(record) = record else {
        telemetry::store_loaded(backend, "missing");
        return Ok(None);
    };
    let Some(kind) = shared.kinds.by_tag(record.session_type()) else {
        telemetry::store_loaded(backend, "unregistered");
        return Err(SessionError::UnregisteredType {
            id: id.clone(),
            session_type: record.session_type().to_owned(),
        });
    };
    gate.admit_revival(kind.session_type())?;
    let entry = Arc::new(restored_entry(shared, id, kind, &record));
    match kind
        .spawn(shared, &entry, record.state(), record.format_version())
        .await
    {
        Ok(()) => {
            // A session that came back: never provisional, never evicted as one.
            go_live(shared, id, &entry, false);
            if let Some(user) = record.user() {
                super::users::rebind_revived(shared, &entry, user);
            }
            shared.registry.counters.revived();
            let took = began.elapsed();
            telemetry::revived(id.redacted(), kind.session_type(), backend, took);
            Ok(Some(entry))
        }
        Err(Revival::Unreadable(source)) => unreadable(shared, &record, source).await,
        Err(Revival::Start(spawn)) => {
            Err(shared.start_failed(id.clone(), kind.session_type(), spawn))
        }
    }
}

/// The entry of a session revived from `record`: its absolute deadline is the record's,
/// and it writes with the epoch its claim got.
fn restored_entry(
    shared: &Shared,
    id: &SessionId,
    kind: &dyn Kind,
    record: &SessionRecord,
) -> Entry {
    let registry = &shared.registry;
    let mut entry = Entry::new(
        id.clone(),
        shared.types.get(kind.session_type(), kind.message_type()),
        &registry.clock,
        registry.lifetime_ms,
    );
    if let Some(deadline) = record.absolute_deadline() {
        entry = entry.with_hard_deadline_ms(registry.clock.ms_of(deadline));
    }
    park::durable_entry(shared, entry, kind, record.epoch())
}

/// A record that does not read back: a warning, then the configured fallback.
async fn unreadable(
    shared: &Shared,
    record: &SessionRecord,
    source: crate::error::BoxError,
) -> Result<Option<Arc<Entry>>, SessionError> {
    let Some(persistence) = &shared.persistence else {
        return Ok(None);
    };
    let fallback = persistence.settings().on_corrupt;
    let id = record.id();
    telemetry::unreadable_record(
        id.redacted(),
        record.session_type(),
        record.format_version(),
        match fallback {
            OnCorrupt::Refuse => "refuse",
            OnCorrupt::StartFresh => "start_fresh",
        },
        persistence.backend(),
        &source,
    );
    match fallback {
        OnCorrupt::Refuse => Err(SessionError::UnreadableRecord {
            id: id.clone(),
            session_type: record.session_type().to_owned(),
            format: record.format_version(),
            source,
        }),
        OnCorrupt::StartFresh => {
            let deletion = Deletion {
                id: id.clone(),
                epoch: record.epoch(),
            };
            persistence
                .delete_now(deletion)
                .await
                .map_err(SessionError::store("delete"))?;
            Ok(None)
        }
    }
}
