//! The state kept in sessions: the key-value session, agents and stores (reducer,
//! middleware, history, time travel, persistence, subscriptions, store sessions).
//!
//! A new behaviour of session state goes here, as a module named after the behaviour. Logs
//! are captured per thread (`ractor_session_test_support::logs`), through one process-wide
//! subscriber: no test here sets a subscriber of its own.

mod support;

mod agent_concurrent_updates;
mod default_kv_session;
mod kv_commands_refuse_unknown_fields;
mod kv_read_modify_write_is_atomic;
mod store_async_jobs;
mod store_combined_reducers_route_by_name;
mod store_history_limit;
mod store_middleware_order;
mod store_persistence_roundtrip;
mod store_reducer_panic_crashes_only_its_session;
mod store_select_runs_in_the_session;
mod store_selector_panic_keeps_session;
mod store_session_by_id;
mod store_subscriptions;
mod store_throttle_and_debounce;
mod store_time_travel;
