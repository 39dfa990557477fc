//! Captures what a piece of async code reports: its `tracing` output and `metrics`.
//!
//! The code runs on a current-thread runtime with a paused clock, built here, so that a
//! thread-local recorder and subscriber see every task it spawns (sessions, the expiry
//! task).

use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex};

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::{CompositeKey, MetricKind};

/// What the code reported.
pub(crate) struct Captured {
    /// Every log line, formatted without colours.
    pub(crate) logs: String,
    /// Every metric with its final value.
    pub(crate) metrics: Vec<(CompositeKey, DebugValue)>,
}

/// Runs `run` to completion and returns its output and what it reported.
pub(crate) fn capture<F: Future>(run: impl FnOnce() -> F) -> (F::Output, Captured) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let logs = Buffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let output = metrics::with_local_recorder(&recorder, || {
        tracing::subscriber::with_default(subscriber, || runtime.block_on(run()))
    });
    drop(runtime);
    let metrics = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| (key, value))
        .collect();
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    (output, Captured { logs, metrics })
}

impl Captured {
    /// The value of the one metric of `kind` named `name` whose labels are exactly `labels`.
    pub(crate) fn value(
        &self,
        kind: MetricKind,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Option<&DebugValue> {
        let mut found = self.metrics.iter().filter(|(key, _)| {
            let key_labels: Vec<(&str, &str)> = key
                .key()
                .labels()
                .map(|label| (label.key(), label.value()))
                .collect();
            key.kind() == kind
                && key.key().name() == name
                && key_labels.len() == labels.len()
                && labels.iter().all(|label| key_labels.contains(label))
        });
        let value = found.next().map(|(_, value)| value);
        assert!(found.next().is_none(), "two series {name} {labels:?}");
        value
    }

    /// The counter `name` with exactly `labels`, or 0 if it was never incremented.
    pub(crate) fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        match self.value(MetricKind::Counter, name, labels) {
            None => 0,
            Some(DebugValue::Counter(n)) => *n,
            Some(other) => panic!("{name} is not a counter: {other:?}"),
        }
    }

    /// The gauge `name` with exactly `labels`; panics if it was never set.
    pub(crate) fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        match self.value(MetricKind::Gauge, name, labels) {
            Some(DebugValue::Gauge(value)) => value.into_inner(),
            other => panic!(
                "no gauge {name} {labels:?}: {other:?} in {:#?}",
                self.metrics
            ),
        }
    }

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
        for (key, _) in &self.metrics {
            let key = key.key();
            assert!(!key.name().contains(raw), "{raw:?} in {key:?}");
            for label in key.labels() {
                assert!(!label.value().contains(raw), "{raw:?} in {key:?}");
            }
        }
    }
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
