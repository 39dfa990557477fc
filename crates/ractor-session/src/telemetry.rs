//! Telemetry: `tracing` events and `metrics` series, named in one place.
//!
//! Every function here takes the session's redacted ID, never the raw one.

use std::time::Duration;

use crate::id::RedactedId;
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

pub(crate) fn rate_limited(session: RedactedId, limit: u32) {
    metrics::counter!(names::RATE_LIMITED).increment(1);
    tracing::warn!(target: TARGET, %session, limit, "session creation rate limit reached");
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

pub(crate) fn call(session_type: &'static str, took: Duration) {
    metrics::histogram!(names::CALL_DURATION, "session_type" => session_type)
        .record(took.as_secs_f64());
}

pub(crate) fn cast(session_type: &'static str) {
    metrics::counter!(names::CASTS, "session_type" => session_type).increment(1);
}

pub(crate) fn communication_error(
    session: RedactedId,
    session_type: &'static str,
    operation: &'static str,
    error: &dyn std::fmt::Display,
) {
    metrics::counter!(
        names::COMMUNICATION_ERRORS,
        "session_type" => session_type,
        "operation" => operation
    )
    .increment(1);
    tracing::debug!(target: TARGET, %session, session_type, operation, %error, "session communication failed");
}

pub(crate) fn live(count: usize) {
    metrics::gauge!(names::LIVE).set(count as f64);
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
