//! The session cookie: what the layer sets (its name, attributes and caching), how it is
//! signed (bound to its name, with key rollover), which cookies it adopts or refuses — a
//! forged, unknown or planted one, or two sessions' at once — how a refusal is logged and
//! counted, that no `Debug` output shows the ID it carries, and how rotation moves a
//! session to a new cookie without logging out the requests in flight.
//!
//! A new behaviour of the session cookie goes here, as a module named after the behaviour.
//! What the request path does with a session goes to `requests`, live sockets to `live`.

#[path = "../support/mod.rs"]
mod support;

mod cookie_bad_inputs_never_adopted;
mod cookie_signature_is_bound_to_its_name;
mod debug_output_never_shows_a_session_id;
mod docs_never_fall_back_to_a_built_in_key;
mod forged_cookie_gets_fresh_id;
mod planted_session_cookie_is_never_adopted;
mod previous_keys_still_verify_during_a_key_rollover;
mod refused_cookie_is_logged_hashed;
mod rotated_id_moves_the_session;
mod rotation_does_not_log_out_requests_in_flight;
mod session_cookie_reaches_same_actor;
mod session_cookie_responses_are_not_cached;
