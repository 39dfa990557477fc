//! The limits on sessions: the maximum number alive at once and the creation rate limit.
//!
//! A new behaviour of a limit goes here, as a module named after the behaviour.

mod session_limits;
