//! Idle and absolute expiry: when a session ends for want of activity or of age, and what
//! counts as activity.
//!
//! A new behaviour of expiry goes here, as a module named after the behaviour.

mod idle_session_expires;
