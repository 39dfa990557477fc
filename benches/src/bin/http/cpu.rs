//! CPU time of this process's threads, grouped by thread name, read from
//! `/proc/self/task/*/{comm,schedstat}` (Linux): how long they ran, and how long they were
//! runnable but waiting for a core. Elsewhere every figure reads zero.

use std::time::Duration;

/// Time spent on a core, and time spent runnable on a run queue, summed over threads.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CpuTimes {
    pub(crate) on_cpu: Duration,
    pub(crate) waiting: Duration,
}

impl CpuTimes {
    /// The sum over this process's threads whose name starts with `prefix`.
    pub(crate) fn of_threads(prefix: &str) -> Self {
        let mut times = Self::default();
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return times;
        };
        for task in tasks.flatten() {
            let dir = task.path();
            let named = std::fs::read_to_string(dir.join("comm"))
                .is_ok_and(|comm| comm.trim_end().starts_with(prefix));
            if !named {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(dir.join("schedstat")) else {
                continue;
            };
            let mut fields = stat.split_ascii_whitespace().map(|f| f.parse::<u64>());
            if let (Some(Ok(on_cpu)), Some(Ok(waiting))) = (fields.next(), fields.next()) {
                times.on_cpu += Duration::from_nanos(on_cpu);
                times.waiting += Duration::from_nanos(waiting);
            }
        }
        times
    }

    /// The time spent between `earlier` and `self`.
    pub(crate) fn since(self, earlier: Self) -> Self {
        Self {
            on_cpu: self.on_cpu.saturating_sub(earlier.on_cpu),
            waiting: self.waiting.saturating_sub(earlier.waiting),
        }
    }

    /// Adds `other`'s times to these.
    pub(crate) fn add(&mut self, other: Self) {
        self.on_cpu += other.on_cpu;
        self.waiting += other.waiting;
    }
}
