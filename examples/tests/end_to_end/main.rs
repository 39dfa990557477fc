//! The `live_cart` demo, run as its real binary and driven over HTTP and websockets: live
//! updates across a session's sockets, expiry and shutdown as its tabs see them, carts
//! kept across restarts and kills, its
//! refusals of bad input, flags and configuration, and its serving for the open internet
//! (connection timeouts, security headers, metrics and the dashboard on an admin port,
//! bounded memory).
//!
//! A new behaviour of the demo that a test client can check goes here, as a module named
//! after the behaviour; what needs a real browser goes to `browser`.

#[path = "../support/mod.rs"]
mod support;

mod live_cart_dashboard_is_admin_only;
mod live_cart_end_to_end;
mod live_cart_keeps_carts_across_restarts;
mod live_cart_logs_out_everywhere;
#[cfg(target_os = "linux")]
mod live_cart_memory_is_bounded;
mod live_cart_serves_safely_on_the_open_internet;
