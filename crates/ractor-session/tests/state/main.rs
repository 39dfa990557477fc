//! The state kept in sessions: the key-value session, agents and stores (reducer,
//! middleware, history, time travel, persistence, subscriptions, store sessions).
//!
//! A new behaviour of session state goes here, as a module named after the behaviour.

mod support;

mod agent_concurrent_updates;
mod default_kv_session;
mod kv_commands_refuse_unknown_fields;
mod kv_read_modify_write_is_atomic;
mod store_history_limit;
mod store_middleware_order;
mod store_persistence_roundtrip;
mod store_reducer_panic_crashes_only_its_session;
mod store_session_by_id;
mod store_subscriptions;
mod store_time_travel;
