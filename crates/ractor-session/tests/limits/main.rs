//! The limits on sessions: the maximum number alive at once and the creation rate limit.
//!
//! A new behaviour of a limit goes here, as a module named after the behaviour.

mod full_manager_evicts_unreturned_sessions;
mod session_limits;
