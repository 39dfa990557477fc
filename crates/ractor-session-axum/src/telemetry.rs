//! Telemetry of the adapter: `tracing` events and `metrics` series, named in one place.
//!
//! Session IDs never appear raw: a refused cookie is logged by a keyed hash. Events a
//! client can cause at will (refused cookies, refused session starts and sockets) are
//! logged at most once per interval per kind, with the number held back since the last
//! line (refused cross-site requests only at DEBUG); their counters count every one.

use crate::throttle::LogThrottle;

/// Metric names, documented in `docs/axum.md`.
pub(crate) mod names {
    pub(crate) const COOKIES_REFUSED: &str = "ractor_session_axum_cookies_refused_total";
    pub(crate) const ROTATIONS: &str = "ractor_session_axum_rotations_total";
    pub(crate) const LIVE_SOCKETS: &str = "ractor_session_axum_live_sockets";
    pub(crate) const LIVE_REFUSED: &str = "ractor_session_axum_live_upgrades_refused_total";
    pub(crate) const LIVE_CLOSED: &str = "ractor_session_axum_live_sockets_closed_total";
    pub(crate) const CROSS_SITE_REFUSED: &str = "ractor_session_axum_cross_site_refused_total";
    pub(crate) const CREATIONS_REFUSED: &str = "ractor_session_axum_creations_refused_total";
    pub(crate) const CLIENTS_UNKNOWN: &str = "ractor_session_axum_clients_unknown_total";
}

pub(crate) const TARGET: &str = "ractor_session_axum";

/// A presented session cookie was not adopted.
pub(crate) fn cookie_refused(
    logs: &LogThrottle,
    reason: &'static str,
    presented: &str,
    adopted_other: bool,
) {
    metrics::counter!(names::COOKIES_REFUSED, "reason" => reason).increment(1);
    if let Some(held_back) = logs.allow(("cookie_refused", reason)) {
        tracing::warn!(
            target: TARGET,
            reason,
            presented,
            adopted_other,
            held_back,
            "session cookie refused; the client gets a fresh session ID (expired session, \
             forgery or fixation attempt)"
        );
    }
}

/// A session start of the layer was refused: `client_rate` (the per-client limit),
/// `session_limit` or `manager_rate` (the manager's limits).
pub(crate) fn creation_refused(logs: &LogThrottle, reason: &'static str) {
    metrics::counter!(names::CREATIONS_REFUSED, "reason" => reason).increment(1);
    if let Some(held_back) = logs.allow(("creation_refused", reason)) {
        tracing::warn!(target: TARGET, reason, held_back, "session start refused");
    }
}

/// A session was started for a request whose client could not be told.
pub(crate) fn client_unknown(logs: &LogThrottle) {
    metrics::counter!(names::CLIENTS_UNKNOWN).increment(1);
    if let Some(held_back) = logs.allow(("client_unknown", "")) {
        tracing::warn!(
            target: TARGET,
            held_back,
            "the per-client session limit cannot tell this request's client: serve the app \
             with `into_make_service_with_connect_info::<SocketAddr>()`, or set \
             `CreationLimits::with_client_key`; the limit is skipped for such requests"
        );
    }
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

/// A live socket upgrade was refused. Refusals for want of a session are routine
/// (a tab reconnecting after its session ended) and logged at debug level only.
pub(crate) fn live_refused(logs: &LogThrottle, reason: &'static str) {
    metrics::counter!(names::LIVE_REFUSED, "reason" => reason).increment(1);
    if reason == "no_session" {
        tracing::debug!(target: TARGET, reason, "live socket upgrade refused");
    } else if let Some(held_back) = logs.allow(("live_refused", reason)) {
        tracing::warn!(target: TARGET, reason, held_back, "live socket upgrade refused");
    }
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
