//! Telemetry: `tracing` events and `metrics` series (named in `metric_names`).
//!
//! Every function here takes the session's redacted ID, never the raw one.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics::{Gauge, Unit};

use crate::durable::BackendError;
use crate::error::SessionError;
use crate::id::{InvalidSessionId, RedactedId};
use crate::metric_names as names;
use crate::session_type::SessionType;
use crate::watch::EndReason;

const TARGET: &str = "ractor_session";

/// Registers every metric's unit and description with the recorder in force, so exporters
/// can say that durations are seconds. Called when a manager is spawned.
pub(crate) fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(names::STARTED, Unit::Count, "Sessions started");
    describe_counter!(
        names::START_ERRORS,
        Unit::Count,
        "Session starts refused or failed, by error"
    );
    describe_counter!(names::STOPPED, Unit::Count, "Sessions ended, by reason");
    describe_histogram!(
        names::LIFETIME,
        Unit::Seconds,
        "How long ended sessions lived"
    );
    describe_histogram!(
        names::CALL_DURATION,
        Unit::Seconds,
        "Round trip of calls that got a reply"
    );
    describe_counter!(names::CASTS, Unit::Count, "Casts delivered");
    describe_counter!(
        names::COMMUNICATION_ERRORS,
        Unit::Count,
        "Calls that timed out or failed, and casts that could not be delivered"
    );
    describe_counter!(
        names::EXPIRED,
        Unit::Count,
        "Sessions expired (idle or absolute)"
    );
    describe_counter!(
        names::CLEANUP_ERRORS,
        Unit::Count,
        "Sessions that could not be stopped cleanly"
    );
    describe_counter!(
        names::RATE_LIMITED,
        Unit::Count,
        "Session starts refused by the rate limit"
    );
    describe_gauge!(names::LIVE, Unit::Count, "Live sessions, by manager");
    describe_counter!(
        names::STORE_SAVES,
        Unit::Count,
        "Session records written to the store"
    );
    describe_histogram!(
        names::STORE_BATCH,
        Unit::Count,
        "Records per write to the store"
    );
    describe_histogram!(
        names::STORE_FLUSH_LAG,
        Unit::Seconds,
        "How long the oldest change of a batch waited before it was written"
    );
    describe_counter!(
        names::STORE_LOADS,
        Unit::Count,
        "Records looked up in the store, by outcome"
    );
    describe_histogram!(
        names::STORE_REVIVE_DURATION,
        Unit::Seconds,
        "Claiming a record and starting its session's actor"
    );
    describe_counter!(
        names::STORE_DELETES,
        Unit::Count,
        "Records deleted because their session ended"
    );
    describe_counter!(
        names::STORE_SWEPT,
        Unit::Count,
        "Expired records removed by the sweeper"
    );
    describe_counter!(
        names::STORE_ERRORS,
        Unit::Count,
        "Failed store operations, by operation"
    );
    describe_counter!(
        names::STORE_FENCED,
        Unit::Count,
        "Writes refused because a newer activation claimed the record"
    );
    describe_gauge!(
        names::STORE_PENDING,
        Unit::Count,
        "Changed sessions not yet written, by manager"
    );
}

pub(crate) fn started(session: RedactedId, kind: &SessionType, took: Duration) {
    let session_type = kind.name;
    kind.started().increment(1);
    tracing::debug!(
        target: TARGET,
        %session,
        session_type,
        duration_us = took.as_micros() as u64,
        "session started"
    );
}

pub(crate) fn start_error(session: RedactedId, session_type: &'static str, error: &'static str) {
    metrics::counter!(names::START_ERRORS, "session_type" => session_type, "error" => error)
        .increment(1);
    tracing::debug!(target: TARGET, %session, session_type, error, "session start refused");
}

/// A start refused because its ID is malformed: counted by what is wrong with it; logged
/// with the value's keyed hash, never the value.
pub(crate) fn invalid_id(session_type: &'static str, invalid: &InvalidSessionId) {
    let reason = invalid.reason().as_str();
    metrics::counter!(
        names::START_ERRORS,
        "session_type" => session_type,
        "error" => "invalid_id",
        "reason" => reason
    )
    .increment(1);
    tracing::debug!(
        target: TARGET,
        session = %invalid.redacted(),
        session_type,
        error = "invalid_id",
        reason,
        "session start refused"
    );
}

pub(crate) fn rate_limited(session: RedactedId, limit: u32) {
    metrics::counter!(names::RATE_LIMITED).increment(1);
    // Any client that can make the app start sessions can cause this at will: a WARN per
    // refusal would flood the log. The counter keeps the total; the web layer warns at
    // most once per interval.
    tracing::debug!(target: TARGET, %session, limit, "session creation rate limit reached");
}

pub(crate) fn stopped(
    session: RedactedId,
    kind: &SessionType,
    reason: &EndReason,
    lived: Duration,
) {
    let (session_type, label) = (kind.name, reason.as_str());
    kind.stopped(reason).increment(1);
    kind.lifetime().record(lived.as_secs_f64());
    match reason {
        EndReason::Crashed(error) => tracing::warn!(
            target: TARGET,
            %session,
            session_type,
            error = error.as_str(),
            lifetime_s = lived.as_secs_f64(),
            "session crashed"
        ),
        _ => tracing::debug!(
            target: TARGET,
            %session,
            session_type,
            reason = label,
            lifetime_s = lived.as_secs_f64(),
            "session stopped"
        ),
    }
}

pub(crate) fn expired(session: RedactedId, kind: &SessionType, idle: Duration) {
    let session_type = kind.name;
    kind.expired().increment(1);
    tracing::debug!(
        target: TARGET,
        %session,
        session_type,
        idle_s = idle.as_secs_f64(),
        "session expired"
    );
}

pub(crate) fn cleanup_error(session: RedactedId, session_type: &'static str, error: &str) {
    metrics::counter!(names::CLEANUP_ERRORS, "session_type" => session_type).increment(1);
    tracing::warn!(target: TARGET, %session, session_type, error, "session cleanup failed");
}

/// A call got its reply. `session` is only evaluated when the event is enabled: hashing
/// the ID is not paid on every call.
pub(crate) fn call(session: impl FnOnce() -> RedactedId, kind: &SessionType, took: Duration) {
    kind.call_duration().record(took.as_secs_f64());
    tracing::trace!(
        target: TARGET,
        session = %session(),
        session_type = kind.name,
        duration_s = took.as_secs_f64(),
        "session call"
    );
}

/// A cast was delivered; `session` as for [`call`].
pub(crate) fn cast(session: impl FnOnce() -> RedactedId, kind: &SessionType) {
    kind.casts().increment(1);
    tracing::trace!(target: TARGET, session = %session(), session_type = kind.name, "session cast");
}

pub(crate) fn communication_error(
    session: RedactedId,
    session_type: &'static str,
    operation: &'static str,
    error: &SessionError,
) {
    // Some errors name the session in their message: say what happened without the ID.
    let error: &dyn std::fmt::Display = match error {
        SessionError::ProcessNotFound { .. } => &"the session's actor has stopped",
        SessionError::SessionNotFound { .. } => &"session not found",
        SessionError::NotPersisted { .. } => &"the state could not be stored in time",
        SessionError::UnreadableRecord { .. } => &"the stored record cannot be read back",
        SessionError::UnregisteredType { .. } => &"the stored record's type is not registered",
        other => other,
    };
    metrics::counter!(
        names::COMMUNICATION_ERRORS,
        "session_type" => session_type,
        "operation" => operation
    )
    .increment(1);
    tracing::debug!(target: TARGET, %session, session_type, operation, %error, "session communication failed");
}

/// Every session of a user was ended ("log out everywhere"): `live` sessions stopped and
/// `stored` records deleted. The user is shown by its keyed hash only.
pub(crate) fn logged_out(user: RedactedId, live: usize, stored: usize) {
    tracing::info!(target: TARGET, %user, live, stored, "sessions of a user logged out");
}

/// A gauge of one manager, labelled with its name: one series per manager, so that
/// managers in one process do not overwrite each other's figure. Its handle is registered
/// on first use and kept, rather than built from the name and label on every change.
#[derive(Debug)]
pub(crate) struct ManagerGauge {
    name: &'static str,
    manager: Arc<str>,
    gauge: OnceLock<Gauge>,
}

impl ManagerGauge {
    /// The live sessions of the manager named `manager`.
    pub(crate) fn live(manager: Arc<str>) -> Self {
        Self::new(names::LIVE, manager)
    }

    /// Changed sessions of the manager named `manager` not yet written.
    pub(crate) fn store_pending(manager: Arc<str>) -> Self {
        Self::new(names::STORE_PENDING, manager)
    }

    fn new(name: &'static str, manager: Arc<str>) -> Self {
        Self {
            name,
            manager,
            gauge: OnceLock::new(),
        }
    }

    pub(crate) fn set(&self, count: usize) {
        self.gauge
            .get_or_init(|| metrics::gauge!(self.name, "manager" => Arc::clone(&self.manager)))
            .set(count as f64);
    }
}

/// A batch of `size` records was written; its oldest change had waited `lag`.
pub(crate) fn store_saved(backend: &'static str, size: usize, lag: Duration) {
    metrics::counter!(names::STORE_SAVES, "backend" => backend).increment(size as u64);
    metrics::histogram!(names::STORE_BATCH, "backend" => backend).record(size as f64);
    metrics::histogram!(names::STORE_FLUSH_LAG, "backend" => backend).record(lag.as_secs_f64());
    tracing::trace!(
        target: TARGET,
        backend,
        records = size,
        lag_s = lag.as_secs_f64(),
        "session store write"
    );
}

/// A store operation failed: counted here, logged (rate-limited) by the caller.
pub(crate) fn store_error(backend: &'static str, operation: &'static str) {
    metrics::counter!(names::STORE_ERRORS, "backend" => backend, "operation" => operation)
        .increment(1);
}

/// The store keeps failing: a warning, at most every 30 s while it lasts.
pub(crate) fn store_unavailable(
    backend: &'static str,
    operation: &'static str,
    pending: usize,
    retry_in: Duration,
    error: &BackendError,
) {
    tracing::warn!(
        target: TARGET,
        backend,
        operation,
        pending,
        retry_in_ms = retry_in.as_millis() as u64,
        error = %error,
        "session store unavailable; sessions keep serving from memory, writes are retried"
    );
}

/// The store answers again after failing for `lasted`.
pub(crate) fn store_recovered(backend: &'static str, lasted: Duration) {
    tracing::info!(
        target: TARGET,
        backend,
        outage_s = lasted.as_secs_f64(),
        "session store available again; queued writes caught up"
    );
}

/// A record was looked up for an ID not in memory: `outcome` is `revived`, `missing`
/// or `unreadable`.
pub(crate) fn store_loaded(backend: &'static str, outcome: &'static str) {
    metrics::counter!(names::STORE_LOADS, "backend" => backend, "outcome" => outcome).increment(1);
}

/// A stored session came back to life.
pub(crate) fn revived(
    session: RedactedId,
    session_type: &'static str,
    backend: &'static str,
    took: Duration,
) {
    store_loaded(backend, "revived");
    metrics::histogram!(names::STORE_REVIVE_DURATION, "backend" => backend)
        .record(took.as_secs_f64());
    tracing::debug!(
        target: TARGET,
        %session,
        session_type,
        duration_us = took.as_micros() as u64,
        "session revived from the store"
    );
}

/// A stored record could not be read back.
pub(crate) fn unreadable_record(
    session: RedactedId,
    session_type: &str,
    format: u32,
    fallback: &'static str,
    backend: &'static str,
    error: &dyn std::fmt::Display,
) {
    store_loaded(backend, "unreadable");
    tracing::warn!(
        target: TARGET,
        %session,
        session_type,
        format,
        fallback,
        %error,
        "stored session record unreadable"
    );
}

/// A durable session's state could not be serialized: the change stays in memory only.
pub(crate) fn snapshot_failed(session: RedactedId, session_type: &'static str, error: &str) {
    metrics::counter!(names::STORE_ERRORS, "backend" => "none", "operation" => "snapshot")
        .increment(1);
    tracing::warn!(
        target: TARGET,
        %session,
        session_type,
        error,
        "session state could not be serialized; the change is kept in memory only"
    );
}

/// A record of an ended session was deleted.
pub(crate) fn store_deleted(backend: &'static str) {
    metrics::counter!(names::STORE_DELETES, "backend" => backend).increment(1);
}

/// The sweeper removed `count` expired records.
pub(crate) fn store_swept(backend: &'static str, count: usize) {
    metrics::counter!(names::STORE_SWEPT, "backend" => backend).increment(count as u64);
}

/// A write was refused: another activation claimed the record, so this one ends.
pub(crate) fn fenced(
    session: RedactedId,
    session_type: &'static str,
    backend: &'static str,
    current_epoch: u64,
) {
    metrics::counter!(names::STORE_FENCED, "backend" => backend).increment(1);
    tracing::warn!(
        target: TARGET,
        %session,
        session_type,
        current_epoch,
        "session claimed by a newer activation; this one stops"
    );
}

/// A graceful shutdown gave up writing `count` changes (or deletions).
pub(crate) fn shutdown_unsaved(backend: &'static str, count: usize) {
    tracing::error!(
        target: TARGET,
        backend,
        unsaved = count,
        "shutdown could not write every changed session to the store; these changes are lost"
    );
}

/// The last path segment of a type name, generics kept: `app::cart::CartSession` → `CartSession`.
pub(crate) fn short_type_name(full: &'static str) -> &'static str {
    let base = full.split('<').next().unwrap_or(full);
    match base.rfind("::") {
        Some(i) => &full[i + 2..],
        None => full,
    }
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn type_names_are_shortened_to_their_last_segment() {
        assert_eq!(short_type_name("a::b::Cart"), "Cart");
        assert_eq!(short_type_name("Cart"), "Cart");
        assert_eq!(short_type_name("a::Store<x::S, y::A>"), "Store<x::S, y::A>");
    }
}
