//! Live sockets: the checks before an upgrade (the origin, scheme included), pushes to a
//! session's sockets, text from the browser, the list of a session's sockets, their bounds,
//! and how sockets are told their session ended.
//!
//! A new behaviour of live sockets goes here, as a module named after the behaviour.

#[path = "../support/mod.rs"]
mod support;

mod live_push_reaches_only_its_session;
mod live_socket_keeps_its_session_active;
mod live_socket_origin_includes_the_scheme;
mod live_socket_that_stops_reading_is_closed;
mod live_socket_told_session_expired;
mod live_socket_upgrade_is_checked_first;
mod live_sockets_are_bounded;
mod live_sockets_are_listed_and_leave;
mod live_sockets_of_a_user_told_logged_out;
