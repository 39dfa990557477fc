//! What the workspace's tests share, so that each helper exists once: polling with a
//! deadline, log and metrics capture, the session configuration tests start from, test
//! actors and a websocket client. Not published.

pub mod actors;
pub mod config;
pub mod logs;
pub mod metrics;
pub mod poll;
pub mod ws;
