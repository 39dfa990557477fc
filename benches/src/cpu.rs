//! Where the CPU went, and on which cores: a process's user + system time
//! (`getrusage`, or `/proc/PID/stat` for another process), its threads' time on a core and waiting for one (`schedstat`), and
//! pinning (`sched_setaffinity`). Linux; elsewhere the times read zero and pinning fails
//! with an error the caller reports.

use std::time::Duration;

use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeValLike as _;
use nix::unistd::{Pid, SysconfVar, sysconf};

/// The user and system CPU time of this whole process, every thread included (also
/// threads that have ended), from `getrusage(RUSAGE_SELF)`.
///
/// # Examples
///
/// ```
/// use ractor_session_benches::ProcessCpu;
///
/// let before = ProcessCpu::now();
/// let mut x = 0u64;
/// for i in 0..1_000_000 { x = std::hint::black_box(x.wrapping_add(i)); }
/// let spent = ProcessCpu::now().since(before);
/// assert!(spent.total() >= spent.user);
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProcessCpu {
    /// Time in user mode.
    pub user: Duration,
    /// Time in the kernel on the process's behalf.
    pub system: Duration,
}

impl ProcessCpu {
    /// This process's times so far (zero where `getrusage` fails).
    ///
    /// # Examples
    ///
    /// See [`ProcessCpu`].
    #[must_use]
    pub fn now() -> Self {
        let micros = |us: i64| Duration::from_micros(u64::try_from(us).unwrap_or(0));
        getrusage(UsageWho::RUSAGE_SELF).map_or_else(
            |_| Self::default(),
            |usage| Self {
                user: micros(usage.user_time().num_microseconds()),
                system: micros(usage.system_time().num_microseconds()),
            },
        )
    }

    /// Another process's times so far, from `/proc/PID/stat` (`utime`, `stime`: clock
    /// ticks, so 10 ms steps where a tick is 10 ms); `None` where that cannot be read (the
    /// process is gone, or this is not Linux).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_benches::ProcessCpu;
    ///
    /// if let Some(mine) = ProcessCpu::of_process(std::process::id()) {
    ///     assert!(mine.total() <= ProcessCpu::now().total() + std::time::Duration::from_millis(20));
    /// }
    /// assert_eq!(ProcessCpu::of_process(u32::MAX), None);
    /// ```
    #[must_use]
    pub fn of_process(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let ticks_per_s = sysconf(SysconfVar::CLK_TCK).ok().flatten()?;
        Self::from_stat(&stat, u64::try_from(ticks_per_s).ok()?)
    }

    /// The times in a `/proc/PID/stat` line: fields 14 and 15, counted after the command
    /// name's closing parenthesis (the name itself may hold spaces and parentheses).
    fn from_stat(stat: &str, ticks_per_s: u64) -> Option<Self> {
        let (_, after_name) = stat.rsplit_once(')')?;
        let mut fields = after_name.split_ascii_whitespace().skip(11);
        let mut ticks = || -> Option<Duration> {
            let n: u64 = fields.next()?.parse().ok()?;
            Some(Duration::from_nanos(
                n.checked_mul(1_000_000_000)? / ticks_per_s.max(1),
            ))
        };
        Some(Self {
            user: ticks()?,
            system: ticks()?,
        })
    }

    /// The time spent between `earlier` and `self`.
    ///
    /// # Examples
    ///
    /// See [`ProcessCpu`].
    #[must_use]
    pub fn since(self, earlier: Self) -> Self {
        Self {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }

    /// User + system.
    ///
    /// # Examples
    ///
    /// See [`ProcessCpu`].
    #[must_use]
    pub fn total(self) -> Duration {
        self.user + self.system
    }
}

/// Time on a core and time runnable but waiting for one, summed over some of this
/// process's threads, from `/proc/self/task/*/schedstat` (nanoseconds). The waiting time
/// is the share of the machine that other processes took from them.
///
/// # Examples
///
/// ```
/// use ractor_session_benches::ThreadTimes;
///
/// let all = ThreadTimes::of_threads("");
/// let none = ThreadTimes::of_threads("no thread is named like this");
/// assert!(all.on_cpu >= none.on_cpu);
/// assert_eq!(none, ThreadTimes::default());
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ThreadTimes {
    /// Time spent on a core.
    pub on_cpu: Duration,
    /// Time spent runnable on a run queue.
    pub waiting: Duration,
}

impl ThreadTimes {
    /// The sum over this process's live threads whose name starts with `prefix` (`""`:
    /// every thread).
    ///
    /// # Examples
    ///
    /// See [`ThreadTimes`].
    #[must_use]
    pub fn of_threads(prefix: &str) -> Self {
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
            let mut fields = stat.split_ascii_whitespace().map(str::parse::<u64>);
            if let (Some(Ok(on_cpu)), Some(Ok(waiting))) = (fields.next(), fields.next()) {
                times.on_cpu += Duration::from_nanos(on_cpu);
                times.waiting += Duration::from_nanos(waiting);
            }
        }
        times
    }

    /// The time spent between `earlier` and `self`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ractor_session_benches::ThreadTimes;
    ///
    /// let a = ThreadTimes { on_cpu: Duration::from_millis(3), waiting: Duration::ZERO };
    /// let b = ThreadTimes { on_cpu: Duration::from_millis(5), waiting: Duration::from_millis(1) };
    /// assert_eq!(b.since(a).on_cpu, Duration::from_millis(2));
    /// ```
    #[must_use]
    pub fn since(self, earlier: Self) -> Self {
        Self {
            on_cpu: self.on_cpu.saturating_sub(earlier.on_cpu),
            waiting: self.waiting.saturating_sub(earlier.waiting),
        }
    }
}

/// The CPUs the calling thread may run on (`sched_getaffinity`), in ascending order;
/// empty where that fails.
///
/// # Examples
///
/// ```
/// let cpus = ractor_session_benches::allowed_cpus();
/// assert!(cpus.windows(2).all(|w| w[0] < w[1]));
/// ```
#[must_use]
pub fn allowed_cpus() -> Vec<usize> {
    sched_getaffinity(Pid::from_raw(0)).map_or_else(
        |_| Vec::new(),
        |set| {
            (0..CpuSet::count())
                .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
                .collect()
        },
    )
}

/// Pins the calling thread to `cpus` (`sched_setaffinity`). Threads it starts afterwards
/// inherit the set, so a process that pins its main thread first keeps every thread it
/// will have (runtime workers, blocking pool, a database's writer thread) on those CPUs.
///
/// # Errors
///
/// The kernel's error when a CPU does not exist or is not allowed to this process.
///
/// # Examples
///
/// ```
/// let cpus = ractor_session_benches::allowed_cpus();
/// std::thread::spawn(move || {
///     if let Some(&last) = cpus.last() {
///         ractor_session_benches::pin_current_thread(&[last]).expect("an allowed CPU");
///         assert_eq!(ractor_session_benches::allowed_cpus(), [last]);
///     }
/// })
/// .join()
/// .unwrap();
/// ```
pub fn pin_current_thread(cpus: &[usize]) -> nix::Result<()> {
    let mut set = CpuSet::new();
    for &cpu in cpus {
        set.set(cpu)?;
    }
    sched_setaffinity(Pid::from_raw(0), &set)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{ProcessCpu, ThreadTimes};

    #[test]
    fn another_process_s_times_are_read_after_a_command_name_with_spaces_and_parentheses() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0";
        let cpu = ProcessCpu::from_stat(stat, 100).expect("a stat line");
        assert_eq!(cpu.user, Duration::from_millis(2_500));
        assert_eq!(cpu.system, Duration::from_millis(750));
        assert_eq!(ProcessCpu::from_stat("42 (cut) S 1", 100), None);
    }

    #[test]
    fn process_cpu_counts_the_time_of_a_thread_that_has_ended() {
        const SPIN: Duration = Duration::from_millis(20);
        let before = ProcessCpu::now();
        let spun = std::thread::Builder::new()
            .name("cpu-test-spin".to_owned())
            .spawn(|| {
                // Spin until this thread has had SPIN on a core (however loaded the machine).
                let deadline = Instant::now() + Duration::from_secs(60);
                let mut x = 0u64;
                loop {
                    for _ in 0..10_000 {
                        x = std::hint::black_box(x.wrapping_add(1));
                    }
                    let on_cpu = ThreadTimes::of_threads("cpu-test-spin").on_cpu;
                    if on_cpu >= SPIN || Instant::now() > deadline {
                        return on_cpu;
                    }
                }
            })
            .expect("the thread starts")
            .join()
            .expect("the thread ends");
        let spent = ProcessCpu::now().since(before);
        if cfg!(target_os = "linux") {
            assert!(spun >= SPIN, "{spun:?}");
            assert!(spent.total() >= SPIN, "{spent:?}");
        }
    }
}
