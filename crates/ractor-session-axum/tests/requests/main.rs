//! Requests through the layer: the cross-site check that comes first, reaching this
//! request's session from handlers (extractors, store sessions), concurrency, activity that
//! keeps a session alive and the absolute lifetime that ends it anyway, how many sessions one
//! client may start, the registry lookups (and store reads) a request costs, sessions
//! adopted from a store after a restart, and what happens without the layer.
//!
//! A new behaviour of the request path goes here, as a module named after the behaviour.
//! The session cookie itself goes to `cookies`, live sockets to `live`.

#[path = "../support/mod.rs"]
mod support;

mod a_parked_session_is_revived_by_its_next_request;
mod busy_session_ends_at_its_absolute_lifetime;
mod client_caused_events_log_once_per_interval;
mod concurrent_requests_lose_no_updates;
mod cross_site_check_opt_outs;
mod cross_site_requests_are_refused;
mod missing_layer_is_a_helpful_500;
mod one_client_cannot_lock_out_new_visitors;
mod readme_counter_loses_no_updates;
mod reads_refresh_ttl;
mod refusals_before_a_start_cost_no_creation_budget;
mod request_looks_its_session_up_once;
mod requests_ride_out_a_store_outage;
mod store_session_dispatches_through_the_handle;
mod stored_sessions_are_adopted_after_a_restart;
