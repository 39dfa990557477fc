//! What the library logs and measures, and that none of it shows a raw session ID.
//!
//! A new behaviour of logs or metrics goes here, as a module named after the behaviour. Logs
//! and metrics are captured per thread (`ractor_session_test_support::logs` and `::metrics`):
//! run what a test observes on a current-thread runtime.

mod store_logging_redacts_session_ids;
mod telemetry_redacts_ids;
