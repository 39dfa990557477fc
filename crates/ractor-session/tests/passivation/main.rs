//! Passivation: a manager with `passivate_after` or `max_active` parks idle (or least
//! recently used) sessions of durable types — their actor stops, their state waits as
//! bytes, in memory or in the store — and revives them on their next use, with their
//! state, one actor however many calls race, no message lost; a parked session still
//! expires on time, without being revived.
//!
//! A new behaviour of passivation goes here, as a module named after the behaviour.

mod support;

mod failed_revival_ends_only_its_session;
mod idle_session_is_parked_and_revived;
mod max_active_bounds_the_actors;
mod parked_session_expires_without_reviving;
mod parked_sessions_survive_a_hard_kill;
mod parking_is_recorded_in_metrics;
mod pinned_session_stays_active;
mod racing_calls_revive_one_actor;
