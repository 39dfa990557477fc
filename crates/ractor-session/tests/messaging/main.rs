//! Reaching a session: calls, casts and their timeouts, and the errors operations report.
//!
//! A new behaviour of messages or errors goes here, as a module named after the behaviour.

mod call_timeout_keeps_session;
mod error_messages;
mod failed_start_reports_the_actors_error;
mod missing_session_errors;
mod overdue_calls;
