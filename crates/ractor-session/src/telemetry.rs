//! Telemetry: `tracing` events and `metrics` series, named in one place.
//!
//! Every function here takes the session's redacted ID, never the raw one.

use std::sync::Arc;
use std::time::Duration;

use metrics::Unit;

use crate::error::SessionError;
use crate::id::{InvalidSessionId, RedactedId};
use crate::watch::EndReason;

/// Metric names, documented in `docs/telemetry.md`.
pub(crate) mod names {
    pub(crate) const STARTED: &str = "ractor_session_started_total";
    pub(crate) const START_ERRORS: &str = "ractor_session_start_errors_total";
    pub(crate) const STOPPED: &str = "ractor_session_stopped_total";
    pub(crate) const LIFETIME: &str = "ractor_session_lifetime_seconds";
    pub(crate) const CALL_DURATION: &str = "ractor_session_call_duration_seconds";
    pub(crate) const CASTS: &str = "ractor_session_casts_total";
    pub(crate) const COMMUNICATION_ERRORS: &str = "ractor_session_communication_errors_total";
    pub(crate) const EXPIRED: &str = "ractor_session_expired_total";
    pub(crate) const CLEANUP_ERRORS: &str = "ractor_session_cleanup_errors_total";
    pub(crate) const RATE_LIMITED: &str = "ractor_session_rate_limited_total";
    pub(crate) const LIVE: &str = "ractor_session_live";
}

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
}

pub(crate) fn started(session: RedactedId, session_type: &'static str, took: Duration) {
    metrics::counter!(names::STARTED, "session_type" => session_type).increment(1);
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
    session_type: &'static str,
    reason: &EndReason,
    lived: Duration,
) {
    let label = reason.as_str();
    metrics::counter!(names::STOPPED, "session_type" => session_type, "reason" => label)
        .increment(1);
    metrics::histogram!(names::LIFETIME, "session_type" => session_type)
        .record(lived.as_secs_f64());
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

pub(crate) fn expired(session: RedactedId, session_type: &'static str, idle: Duration) {
    metrics::counter!(names::EXPIRED, "session_type" => session_type).increment(1);
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
pub(crate) fn call(
    session: impl FnOnce() -> RedactedId,
    session_type: &'static str,
    took: Duration,
) {
    metrics::histogram!(names::CALL_DURATION, "session_type" => session_type)
        .record(took.as_secs_f64());
    tracing::trace!(
        target: TARGET,
        session = %session(),
        session_type,
        duration_s = took.as_secs_f64(),
        "session call"
    );
}

/// A cast was delivered; `session` as for [`call`].
pub(crate) fn cast(session: impl FnOnce() -> RedactedId, session_type: &'static str) {
    metrics::counter!(names::CASTS, "session_type" => session_type).increment(1);
    tracing::trace!(target: TARGET, session = %session(), session_type, "session cast");
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

/// The live sessions of the manager named `manager`: one series per manager, so that
/// managers in one process do not overwrite each other's count.
pub(crate) fn live(manager: &Arc<str>, count: usize) {
    metrics::gauge!(names::LIVE, "manager" => Arc::clone(manager)).set(count as f64);
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
