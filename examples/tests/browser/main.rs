//! The `live_cart` demo in a real browser: headless Chromium driven over WebDriver
//! (`chromium`).
//!
//! A new behaviour of the demo's pages that only a browser can show goes here, as a module
//! named after the behaviour. It needs Chromium and ChromeDriver
//! (`scripts/install-test-deps`); without them its tests fail, saying so.

#[path = "../support/mod.rs"]
mod support;

mod chromium;

mod dashboard_in_browser;
mod live_cart_in_browser;
mod live_cart_survives_a_restart_in_browser;
