//! Metric names of the core, documented in `docs/telemetry.md`: the macros of `telemetry`
//! and the handles of `session_type` register these series.

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
pub(crate) const STORE_SAVES: &str = "ractor_session_store_saves_total";
pub(crate) const STORE_BATCH: &str = "ractor_session_store_batch_size";
pub(crate) const STORE_FLUSH_LAG: &str = "ractor_session_store_flush_lag_seconds";
pub(crate) const STORE_LOADS: &str = "ractor_session_store_loads_total";
pub(crate) const STORE_REVIVE_DURATION: &str = "ractor_session_store_revive_duration_seconds";
pub(crate) const STORE_DELETES: &str = "ractor_session_store_deletes_total";
pub(crate) const STORE_SWEPT: &str = "ractor_session_store_swept_total";
pub(crate) const STORE_ERRORS: &str = "ractor_session_store_errors_total";
pub(crate) const STORE_FENCED: &str = "ractor_session_store_fenced_total";
pub(crate) const STORE_PENDING: &str = "ractor_session_store_pending";
#[cfg(feature = "cluster")]
pub(crate) const CLUSTER_MEMBERS: &str = "ractor_session_cluster_members";
#[cfg(feature = "cluster")]
pub(crate) const CLUSTER_FORWARDED: &str = "ractor_session_cluster_forwarded_total";
#[cfg(feature = "cluster")]
pub(crate) const CLUSTER_SERVED: &str = "ractor_session_cluster_served_total";
#[cfg(feature = "cluster")]
pub(crate) const CLUSTER_HANDED_OVER: &str = "ractor_session_cluster_handed_over_total";
