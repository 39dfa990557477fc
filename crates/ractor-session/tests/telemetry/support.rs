//! Running a piece of async code and capturing what it reports: its log lines and metrics.

use std::future::Future;

use ractor_session_test_support::logs::Logs;
use ractor_session_test_support::metrics::{Metrics, Recorder};
use tracing::Level;

/// What the code reported.
pub(crate) struct Captured {
    /// Every log line, at every level, formatted without colours.
    pub(crate) logs: String,
    /// Every metric with its final value.
    pub(crate) metrics: Metrics,
}

/// Runs `run` to completion and returns its output and what it reported.
///
/// It runs on a current-thread runtime with a paused clock, built here: the captures are
/// per thread, and this way they see every task the code spawns (sessions, the expiry
/// task), while tests running at the same time on other threads stay out.
pub(crate) fn capture<F: Future>(run: impl FnOnce() -> F) -> (F::Output, Captured) {
    let recorder = Recorder::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let (output, logs) = {
        let _metrics = recorder.install();
        let (logs, _logs) = Logs::capture(Level::TRACE);
        (runtime.block_on(run()), logs)
    };
    drop(runtime);
    let captured = Captured {
        logs: logs.text(),
        metrics: recorder.snapshot(),
    };
    (output, captured)
}

impl Captured {
    /// Log lines that contain every one of `parts`.
    pub(crate) fn lines_with(&self, parts: &[&str]) -> Vec<&str> {
        self.logs
            .lines()
            .filter(|line| parts.iter().all(|part| line.contains(part)))
            .collect()
    }

    /// Panics if `raw` appears in a log line or in a metric's name or labels.
    pub(crate) fn assert_absent(&self, raw: &str) {
        assert!(
            !self.logs.contains(raw),
            "{raw:?} in the logs:\n{}",
            self.logs
        );
        for key in self.metrics.keys() {
            assert!(!key.name().contains(raw), "{raw:?} in {key:?}");
            for label in key.labels() {
                assert!(!label.value().contains(raw), "{raw:?} in {key:?}");
            }
        }
    }
}
