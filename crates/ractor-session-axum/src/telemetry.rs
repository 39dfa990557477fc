//! Telemetry of the adapter: `tracing` events and `metrics` series, named in one place.
//!
//! Session IDs never appear raw: a refused cookie is logged by a keyed hash.

/// Metric names, documented in `docs/axum.md`.
pub(crate) mod names {
    pub(crate) const COOKIES_REFUSED: &str = "ractor_session_axum_cookies_refused_total";
    pub(crate) const ROTATIONS: &str = "ractor_session_axum_rotations_total";
    pub(crate) const LIVE_SOCKETS: &str = "ractor_session_axum_live_sockets";
    pub(crate) const LIVE_REFUSED: &str = "ractor_session_axum_live_upgrades_refused_total";
    pub(crate) const LIVE_CLOSED: &str = "ractor_session_axum_live_sockets_closed_total";
    pub(crate) const CROSS_SITE_REFUSED: &str = "ractor_session_axum_cross_site_refused_total";
}

pub(crate) const TARGET: &str = "ractor_session_axum";

/// A presented session cookie was not adopted.
pub(crate) fn cookie_refused(reason: &'static str, presented: &str, adopted_other: bool) {
    metrics::counter!(names::COOKIES_REFUSED, "reason" => reason).increment(1);
    tracing::warn!(
        target: TARGET,
        reason,
        presented,
        adopted_other,
        "session cookie refused; the client gets a fresh session ID (expired session, \
         forgery or fixation attempt)"
    );
}

pub(crate) fn rotated() {
    metrics::counter!(names::ROTATIONS).increment(1);
}

pub(crate) fn live_opened() {
    metrics::gauge!(names::LIVE_SOCKETS).increment(1.0);
}

pub(crate) fn live_left() {
    metrics::gauge!(names::LIVE_SOCKETS).decrement(1.0);
}

pub(crate) fn live_refused(reason: &'static str) {
    metrics::counter!(names::LIVE_REFUSED, "reason" => reason).increment(1);
    tracing::debug!(target: TARGET, reason, "live socket upgrade refused");
}

pub(crate) fn live_closed(cause: &'static str) {
    metrics::counter!(names::LIVE_CLOSED, "cause" => cause).increment(1);
}

/// An unsafe cross-site request was refused. Any page on the web can cause these, so it is
/// counted, and logged at DEBUG only.
pub(crate) fn cross_site_refused(reason: &'static str) {
    metrics::counter!(names::CROSS_SITE_REFUSED, "reason" => reason).increment(1);
    tracing::debug!(target: TARGET, reason, "cross-site request refused");
}
