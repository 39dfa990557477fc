//! A session's life: starting and finding it, its ID, how it ends (terminate, a crash, its
//! own stop, shutdown), what an end leaves behind, and races between all of these.
//!
//! A new behaviour of that kind goes here, as a module named after the behaviour. Expiry has
//! its own binary (`expiry`), and so do limits (`limits`), calls and casts and their errors
//! (`messaging`), logs and metrics (`telemetry`) and the state kept in sessions (`state`).

mod support;

mod churn_leaves_nothing;
mod count_and_list_agree;
mod counters_follow_every_start_and_end;
mod custom_actor_session;
mod graceful_shutdown;
mod invalid_id_reports_its_reason;
mod lifecycle_races;
mod managers_are_independent;
mod panicking_session_is_contained;
mod racing_starts;
mod session_id_validation;
mod session_id_validation_matches_the_character_rule;
mod sessions_of_a_user;
mod shutdown_from_inside_a_session;
mod start_and_lookup;
mod terminate_frees_id;
mod user_index_is_empty_after_churn;
mod user_keys_are_validated;
