//! The session cookie: what the layer sets, which cookies it adopts or refuses (and how a
//! refusal is logged and counted), and how rotation moves a session to a new cookie.
//!
//! A new behaviour of the session cookie goes here, as a module named after the behaviour.
//! What the request path does with a session goes to `requests`, live sockets to `live`.

#[path = "../support/mod.rs"]
mod support;

mod cookie_bad_inputs_never_adopted;
mod forged_cookie_gets_fresh_id;
mod refused_cookie_is_logged_hashed;
mod rotated_id_moves_the_session;
mod session_cookie_reaches_same_actor;
