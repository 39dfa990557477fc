//! Recording the `metrics` the code under test emits, and reading them back by name and
//! labels.

use std::collections::BTreeMap;

use ::metrics::{Key, LocalRecorderGuard, SharedString, Unit};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use metrics_util::{CompositeKey, MetricKind};

/// A metrics recorder for one test.
#[derive(Debug)]
pub struct Recorder {
    recorder: DebuggingRecorder,
    snapshotter: Snapshotter,
}

impl Default for Recorder {
    fn default() -> Self {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        Self {
            recorder,
            snapshotter,
        }
    }
}

impl Recorder {
    /// Records what is emitted on this thread until the guard is dropped.
    ///
    /// Only this thread's metrics are recorded: run the code under test on it (a
    /// current-thread runtime does), and other tests running at the same time stay out.
    ///
    /// # Examples
    ///
    /// ```
    /// use metrics::Unit;
    /// use ractor_session_test_support::metrics::Recorder;
    ///
    /// let recorder = Recorder::default();
    /// let guard = recorder.install();
    /// metrics::counter!("logins_total", "outcome" => "ok").increment(2);
    /// metrics::counter!("logins_total", "outcome" => "refused").increment(1);
    /// metrics::describe_histogram!("login_seconds", Unit::Seconds, "how long a login takes");
    /// metrics::histogram!("login_seconds").record(0.25);
    /// drop(guard);
    ///
    /// let metrics = recorder.snapshot();
    /// assert_eq!(metrics.counter("logins_total", &[("outcome", "ok")]), 2);
    /// assert_eq!(metrics.counters_by_label("logins_total", "outcome").len(), 2);
    /// assert_eq!(
    ///     metrics.histogram("login_seconds", &[]),
    ///     (Some(Unit::Seconds), vec![0.25])
    /// );
    /// ```
    #[must_use = "recording ends when the guard is dropped"]
    pub fn install(&self) -> LocalRecorderGuard<'_> {
        ::metrics::set_default_local_recorder(&self.recorder)
    }

    /// What has been recorded so far.
    pub fn snapshot(&self) -> Metrics {
        Metrics(self.snapshotter.snapshot().into_vec())
    }
}

/// Recorded metrics, read by name and labels.
///
/// A lookup matches the first series with that name whose labels include the given ones;
/// a lookup that matches nothing panics, listing everything recorded.
#[derive(Debug)]
pub struct Metrics(Vec<(CompositeKey, Option<Unit>, Option<SharedString>, DebugValue)>);

impl Metrics {
    /// The key (name and labels) of every series recorded.
    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.0.iter().map(|(key, ..)| key.key())
    }

    /// The value of a counter.
    ///
    /// # Panics
    ///
    /// When no counter matches.
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        match self.find(MetricKind::Counter, name, labels) {
            (_, DebugValue::Counter(n)) => *n,
            other => panic!("{name}: {other:?}"),
        }
    }

    /// The value of a gauge.
    ///
    /// # Panics
    ///
    /// When no gauge matches.
    pub fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        match self.find(MetricKind::Gauge, name, labels) {
            (_, DebugValue::Gauge(value)) => value.into_inner(),
            other => panic!("{name}: {other:?}"),
        }
    }

    /// The unit a histogram was described with, and the values it recorded in order.
    ///
    /// # Panics
    ///
    /// When no histogram matches.
    pub fn histogram(&self, name: &str, labels: &[(&str, &str)]) -> (Option<Unit>, Vec<f64>) {
        match self.find(MetricKind::Histogram, name, labels) {
            (unit, DebugValue::Histogram(values)) => {
                (unit, values.iter().map(|v| v.into_inner()).collect())
            }
            other => panic!("{name}: {other:?}"),
        }
    }

    /// Every counter called `name`, by the value of its `label`.
    ///
    /// # Panics
    ///
    /// When a series called `name` is not a counter or has no `label`.
    pub fn counters_by_label(&self, name: &str, label: &str) -> BTreeMap<String, u64> {
        self.0
            .iter()
            .filter(|(key, ..)| key.key().name() == name)
            .map(|(key, _, _, value)| {
                let by = key
                    .key()
                    .labels()
                    .find(|l| l.key() == label)
                    .unwrap_or_else(|| panic!("{key:?} has no label {label}"));
                let DebugValue::Counter(n) = value else {
                    panic!("{key:?} is not a counter")
                };
                (by.value().to_owned(), *n)
            })
            .collect()
    }

    fn find(
        &self,
        kind: MetricKind,
        name: &str,
        labels: &[(&str, &str)],
    ) -> (Option<Unit>, &DebugValue) {
        self.0
            .iter()
            .find(|(key, ..)| {
                key.kind() == kind
                    && key.key().name() == name
                    && labels
                        .iter()
                        .all(|(k, v)| key.key().labels().any(|l| l.key() == *k && l.value() == *v))
            })
            .map(|(_, unit, _, value)| (*unit, value))
            .unwrap_or_else(|| panic!("no {kind:?} {name} {labels:?} in {:#?}", self.0))
    }
}
