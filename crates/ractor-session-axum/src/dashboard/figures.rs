//! What the dashboard shows besides its charts: the figures of one moment, and how its
//! memory estimate is made.
//!
//! No session ID is ever part of them: sessions are counted, never listed.

use ractor_session::{EndCounts, SessionCounters, SessionManager, SessionStats};
use serde::Serialize;

use crate::LiveSockets;

/// Bytes an idle session of the default type holds: the RSS growth per session measured by
/// the benchmark package at 1,000,000 sessions (7.38 KB: its ractor actor and mailbox, its
/// registry entry, ID and expiry slot; see `docs/performance.md`).
pub(super) const IDLE_SESSION_BYTES: u64 = 7_557;

/// The figures of one moment.
#[derive(Debug, Serialize)]
pub(super) struct Figures {
    /// The manager's configured name.
    manager: String,
    sessions: Sessions,
    counters: Counters,
    /// `None` when the dashboard was not given the app's `LiveSockets`.
    sockets: Option<Sockets>,
    limits: Limits,
    /// Live sessions per actor type, the most numerous first.
    by_type: Vec<TypeCount>,
    memory: Memory,
}

#[derive(Debug, Serialize)]
struct Sessions {
    active: usize,
    /// Whose actor is starting: not live yet, but holding a place under `max_sessions`.
    starting: usize,
    /// `None`: the manager parks no sessions (no passivation in this version).
    parked: Option<usize>,
    /// Active and parked.
    total: usize,
}

#[derive(Debug, Serialize)]
struct Counters {
    started: u64,
    ended: Ended,
    rotated: u64,
    revived: Option<u64>,
}

#[derive(Debug, Serialize)]
struct Ended {
    terminated: u64,
    expired: u64,
    crashed: u64,
    evicted: u64,
    shutdown: u64,
    logged_out: u64,
    total: u64,
}

impl From<EndCounts> for Ended {
    fn from(ended: EndCounts) -> Self {
        Self {
            terminated: ended.terminated,
            expired: ended.expired,
            crashed: ended.crashed,
            evicted: ended.evicted,
            shutdown: ended.shutdown,
            logged_out: ended.logged_out,
            total: ended.total(),
        }
    }
}

impl From<SessionCounters> for Counters {
    fn from(counters: SessionCounters) -> Self {
        Self {
            started: counters.started,
            ended: counters.ended.into(),
            rotated: counters.rotated,
            revived: counters.revived,
        }
    }
}

#[derive(Debug, Serialize)]
struct Sockets {
    live: usize,
    max_total: usize,
    /// The most sockets any one session holds, against `max_per_session`.
    busiest_session: usize,
    max_per_session: usize,
}

#[derive(Debug, Serialize)]
struct Limits {
    max_sessions: usize,
    /// Places taken under `max_sessions`: active sessions and starts under way.
    used: usize,
    /// The manager's `rate_limit` (starts a minute), `None` when off. Starts admitted
    /// without it (the axum layer's, by default) do not draw on it.
    rate_limit_per_minute: Option<u32>,
    /// Sessions started in the last minute (or since the dashboard's first reading).
    started_last_minute: u64,
}

#[derive(Debug, Serialize)]
struct TypeCount {
    name: &'static str,
    count: usize,
}

/// See [`Memory::estimate`].
#[derive(Debug, Serialize)]
struct Memory {
    estimate_bytes: u64,
    per_session_bytes: u64,
    /// The process's resident set (`VmRSS` in `/proc/self/status`); `None` where there is no
    /// such file (not Linux).
    process_resident_bytes: Option<u64>,
}

impl Memory {
    /// A floor for what the sessions hold: each session (live or starting) at the measured
    /// size of an idle default session. The state a session keeps comes on top, and so do
    /// live sockets (their buffers follow their traffic): neither can be had without
    /// walking every actor, so neither is guessed. The process's resident memory is shown
    /// beside it, measured.
    fn estimate(sessions: usize) -> Self {
        Self {
            estimate_bytes: sessions as u64 * IDLE_SESSION_BYTES,
            per_session_bytes: IDLE_SESSION_BYTES,
            process_resident_bytes: process_resident_bytes(),
        }
    }
}

/// `VmRSS` of this process, in bytes, from `/proc/self/status`.
fn process_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

impl Figures {
    /// The figures now; `started_last_minute` comes from the history. Visits every
    /// session (for the counts per type): taken only when someone is watching.
    pub(super) fn read(
        manager: &SessionManager,
        live: Option<&LiveSockets>,
        started_last_minute: u64,
    ) -> Self {
        let stats: SessionStats = manager.stats();
        let config = manager.config();
        let mut by_type: Vec<TypeCount> = stats
            .by_type
            .iter()
            .map(|(&name, &count)| TypeCount { name, count })
            .collect();
        by_type.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(b.name)));
        let parked = stats.parked.unwrap_or(0);
        Self {
            manager: config.name.clone(),
            sessions: Sessions {
                active: stats.live,
                starting: stats.starting,
                parked: stats.parked,
                total: stats.live + parked,
            },
            counters: stats.counters.into(),
            sockets: live.map(|live| Sockets {
                live: live.total(),
                max_total: live.limits().total,
                busiest_session: live.busiest(),
                max_per_session: live.limits().per_session,
            }),
            limits: Limits {
                max_sessions: stats.max_sessions,
                used: stats.live + stats.starting,
                rate_limit_per_minute: config.rate_limit.filter(|&n| n > 0),
                started_last_minute,
            },
            by_type,
            memory: Memory::estimate(stats.live + stats.starting),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_is_sessions_times_the_measured_idle_size() {
        let memory = Memory::estimate(1_000);
        assert_eq!(memory.estimate_bytes, 7_557_000);
        assert_eq!(memory.per_session_bytes, IDLE_SESSION_BYTES);
        if cfg!(target_os = "linux") {
            assert!(memory.process_resident_bytes.is_some_and(|rss| rss > 0));
        }
    }
}
