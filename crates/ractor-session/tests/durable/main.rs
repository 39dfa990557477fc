//! Durable sessions: a manager with a session store keeps its sessions across restarts,
//! writes their changes as its write policy promises, revives a stored session on the
//! next use of its ID (one actor however many operations race), keeps the store in step
//! with each session's life (rotation, termination, expiry, fencing), and copes with a
//! store that fails or holds records it cannot read.
//!
//! Real stores throughout: SQLite in temporary files, and PostgreSQL and Redis servers
//! started on loopback where the behaviour is the server's (an outage); the in-memory
//! store where a test needs tokio's paused clock or a store shared by two managers in
//! one process.
//!
//! A new behaviour of durable sessions goes here, as a module named after the behaviour.

mod support;

mod configuration_is_validated;
mod expiry_in_the_store;
mod limits_with_a_store;
mod racing_revivals;
mod record_lifecycle;
mod restart_finds_the_sessions;
#[cfg(all(feature = "postgres", feature = "redis"))]
mod store_outages;
mod unreadable_records;
mod write_policies;
