//! The operator dashboard (cargo feature `dashboard`): who may see it, what its page and
//! live socket show, and what they never show.
//!
//! A new behaviour of the dashboard goes here, as a module named after the behaviour. The
//! tests run the test app (counter sessions, live sockets) on one loopback server and its
//! dashboard on another, as an admin port would (`admin`).

#[path = "../support/mod.rs"]
mod support;

mod admin;

mod dashboard_never_shows_a_session_id;
mod dashboard_requires_its_token;
mod dashboard_socket_refuses_other_origins;
mod dashboard_stops_with_its_router;
mod dashboard_streams_live_figures;
