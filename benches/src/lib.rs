//! Benchmarks of ractor-session against raw ractor and bare tokio (criterion benches in
//! `benches/`), the `report` binary that prints the performance figures (targets in docs/performance.md) as markdown tables,
//! and the `http` binary that compares the axum adapter with tower-sessions and a
//! hand-written actor-per-session server.
//!
//! Everything measured runs on a multi-thread tokio runtime with 2 workers, and every
//! caller runs on a worker thread ([`on_runtime`]).
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use ractor_session_benches::{Library, bench_config, measure, on_runtime, runtime};
//!
//! let rt = runtime();
//! let took = on_runtime(&rt, async {
//!     let lib = Arc::new(Library::spawn(bench_config(1_000)).await);
//!     measure::calls(lib, 100).await
//! });
//! assert!(took.as_nanos() > 0);
//! ```

mod contenders;
mod cpu;
pub mod measure;
mod memory;
mod run_error;
mod spread;
pub mod store;
mod zipf;

use std::future::Future;

pub use contenders::{
    BareTokio, CALL_TIMEOUT, Contender, ExpireMsg, ExpiringActor, ExpiringArgs, ExpiryTally,
    Library, QuietSupervisor, RawRactor, TaskMsg, bench_config, spawn_expiring_task,
};
pub use cpu::{ProcessCpu, ThreadTimes, allowed_cpus, pin_current_thread};
pub use measure::fresh_ids;
pub use memory::rss_bytes;
pub use run_error::RunError;
pub use spread::{Spread, show_or_dash, thousands};
pub use zipf::{DEFAULT_EXPONENT, ZipfKeys};

/// How a figure that waits for a feature reads: `n/a (not built: <what it needs>)`.
///
/// # Examples
///
/// ```
/// assert_eq!(
///     ractor_session_benches::not_built("passivation"),
///     "n/a (not built: passivation)"
/// );
/// ```
#[must_use]
pub fn not_built(needs: &str) -> String {
    format!("n/a (not built: {needs})")
}

/// The runtime everything is measured on: multi-thread, 2 workers, timers on.
///
/// # Panics
///
/// If the runtime cannot be built.
///
/// # Examples
///
/// ```
/// let rt = ractor_session_benches::runtime();
/// assert_eq!(rt.metrics().num_workers(), 2);
/// ```
#[must_use]
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime builds")
}

/// Runs `work` to completion as a task on `rt`'s workers, so that the measured loop
/// runs where application code would (a `block_on` caller pays a cross-thread wake-up
/// on every await).
///
/// # Panics
///
/// If `work` panics.
///
/// # Examples
///
/// ```
/// let rt = ractor_session_benches::runtime();
/// assert_eq!(ractor_session_benches::on_runtime(&rt, async { 2 + 2 }), 4);
/// ```
pub fn on_runtime<F>(rt: &tokio::runtime::Runtime, work: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt.block_on(async { tokio::spawn(work).await.expect("measured task completes") })
}

/// `full`, or `small` when the environment variable `CI` is set: CI only checks that the
/// benchmarks run, on a shared machine.
///
/// # Examples
///
/// ```
/// let n = ractor_session_benches::sized(100_000, 1_000);
/// assert!(n == 100_000 || n == 1_000);
/// ```
#[must_use]
pub fn sized(full: usize, small: usize) -> usize {
    if std::env::var_os("CI").is_some() {
        small
    } else {
        full
    }
}
