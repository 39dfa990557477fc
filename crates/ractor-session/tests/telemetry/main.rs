//! What the library logs and measures, and that none of it, nor the `Debug` output that
//! ends up in logs, shows a raw session ID.
//!
//! A new behaviour of logs or metrics goes here, as a module named after the behaviour. Logs
//! and metrics are captured per thread (`ractor_session_test_support::logs` and `::metrics`):
//! run what a test observes on a current-thread runtime, as `support::capture` does. Logs
//! go through one process-wide subscriber: no test here sets a subscriber of its own.

mod support;

mod debug_output_redacts_session_ids;
mod invalid_id_start_is_recorded;
mod live_gauge_is_per_manager;
mod store_logging_redacts_session_ids;
mod store_telemetry_counts_writes_and_revivals;
mod telemetry_redacts_ids;
