//! Rotation with a store: the record moves to the new ID in the same step as the session.
//!
//! The store moves the record first (atomically, with the session's epoch), then the
//! registry moves the session; both under the store's write gate, so no write of the
//! session lands under the old ID afterwards. If the store fails, nothing moves and the
//! caller gets the error: a rotation that left the old ID alive in the store would let
//! whoever holds it revive the session after a restart.

use std::sync::Arc;

use crate::durable::BackendError;
use crate::error::SessionError;
use crate::id::SessionId;
use crate::persistence::Deletion;
use crate::shared::Shared;
use crate::telemetry;

use super::revive;

/// Moves the session `id` (revived first if it is only in the store) to a fresh ID.
pub(super) async fn rotate(shared: &Arc<Shared>, id: &str) -> Result<SessionId, SessionError> {
    let entry = revive::find(shared, id).await?;
    let (Some(persistence), Some(persisted)) = (&shared.persistence, entry.persisted()) else {
        return shared.registry.rotate(id);
    };
    let old = entry.id();
    if old.as_str() != id {
        // Rotated meanwhile: `id` names nothing now.
        return Err(SessionError::not_found(id));
    }
    // In a cluster, an ID this node owns: the session stays where its requests go.
    let new = shared.fresh_id();
    let _gate = persistence.gate().await;
    let epoch = persisted.epoch();
    let store_error = |source: BackendError| {
        telemetry::store_error(persistence.backend(), "rotate");
        SessionError::store("rotate")(source)
    };
    // `Missing` is no error: a session not written yet is written under its new ID.
    persistence
        .store()
        .rotate(&old, &new, epoch)
        .await
        .map_err(store_error)?;
    let outcome = shared.registry.rotate_to(id, new.clone());
    if outcome.is_err() {
        // Ended while the store moved its record: the record must not stay under an ID
        // no session has. (The gate is held: delete directly, or leave it to the
        // flusher.)
        if persistence.store().delete(&new, epoch).await.is_err() {
            persistence.queue_deletion(Deletion { id: new, epoch });
        }
    }
    outcome
}
