//! What a manager can tell about its sessions: [`SessionInfo`] rows and [`SessionStats`].

use std::collections::BTreeMap;
use std::time::SystemTime;

use ractor::ActorId;
use tokio::time::Duration;

use crate::counters::SessionCounters;
use crate::entry::Entry;
use crate::id::SessionId;
use crate::registry::{Registration, Registry};

/// One row of [`SessionManager::list`](crate::SessionManager::list). Its `Debug` output
/// shows the session's ID [redacted](SessionId::redacted); `id` itself is the real one.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// manager.start("s1").await?;
/// let info = &manager.list()[0];
/// assert_eq!(info.id.as_str(), "s1");
/// assert_eq!(info.session_type, "KvSession");
/// assert!(info.last_active >= info.started_at);
/// assert!(info.actor_id.is_some() && !info.parked);
/// assert!(!format!("{info:?}").contains("s1"));
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The session's ID.
    pub id: SessionId,
    /// Its actor's ID; `None` while the session is parked (see
    /// [`SessionConfig::passivate_after`](crate::SessionConfig::passivate_after)).
    pub actor_id: Option<ActorId>,
    /// Whether the session is parked: no actor, its state kept as bytes until its next
    /// use revives it.
    pub parked: bool,
    /// The actor type's name, without its module path.
    pub session_type: &'static str,
    /// When it started.
    pub started_at: SystemTime,
    /// Its last activity (`call`, `cast`, `touch`, or its start).
    pub last_active: SystemTime,
}

/// Figures from [`SessionManager::stats`](crate::SessionManager::stats).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// manager.start("a").await?;
/// manager.start("b").await?;
/// let stats = manager.stats();
/// assert_eq!(stats.live, 2);
/// assert_eq!(stats.by_type.get("KvSession"), Some(&2));
/// assert_eq!(stats.max_sessions, 10_000);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionStats {
    /// Live sessions with a running actor (active); parked ones are in `parked`.
    pub live: usize,
    /// Sessions whose actor is being started right now: not yet live, not counted by
    /// [`count`](crate::SessionManager::count) nor listed, but holding their place under
    /// `max_sessions`.
    pub starting: usize,
    /// The configured `max_sessions`.
    pub max_sessions: usize,
    /// Live sessions per actor type.
    pub by_type: BTreeMap<&'static str, usize>,
    /// Entries the registry can hold without growing: its memory scales with this, not
    /// with `live` (per-session memory is measured by the benchmark package; see
    /// `docs/performance.md`).
    pub registry_capacity: usize,
    /// Starts, ends by reason and rotations since the manager started, as
    /// [`SessionManager::counters`](crate::SessionManager::counters) reads them.
    pub counters: SessionCounters,
    /// Sessions parked out of memory (no actor; reviving ones included), to be revived on
    /// their next use; not among `live` nor `by_type`. `None`: this manager parks no
    /// sessions (neither `passivate_after` nor `max_active` is set).
    pub parked: Option<usize>,
}

/// Live sessions, as [`list`] finds them: a session whose actor is still starting is not
/// one yet (`stats` counts those apart).
pub(super) fn count(registry: &Registry) -> usize {
    registry.live()
}

/// The live sessions whose entry `keep` accepts.
pub(super) fn list(registry: &Registry, keep: impl Fn(&Entry) -> bool) -> Vec<SessionInfo> {
    let mut rows = Vec::new();
    registry.for_each(|id, registration| {
        let Registration::Live(entry) = registration else {
            return;
        };
        if keep(entry) {
            rows.extend(row(id, entry));
        }
    });
    rows
}

/// The row of the session of `entry`, under `id`; `None` while its first actor is not
/// there yet (a parked session has a row, without an actor).
pub(super) fn row(id: &SessionId, entry: &Entry) -> Option<SessionInfo> {
    let parked = entry.parking().is_some_and(|p| !p.is_active());
    let actor = entry.actor();
    if actor.is_none() && !parked {
        return None;
    }
    let active_for = entry.last_active_ms().saturating_sub(entry.started_ms);
    Some(SessionInfo {
        id: id.clone(),
        actor_id: actor.map(|actor| actor.get_id()),
        parked,
        session_type: entry.session_type(),
        started_at: entry.started_at,
        last_active: entry.started_at + Duration::from_millis(active_for),
    })
}

/// Counts and capacity figures of `registry`.
pub(super) fn stats(registry: &Registry, revives: bool, parks: bool) -> SessionStats {
    let mut by_type = BTreeMap::new();
    let mut live = 0;
    let mut parked = 0;
    let mut starting = 0;
    registry.for_each(|_, registration| match registration {
        Registration::Live(entry) if entry.parking().is_some_and(|p| !p.is_active()) => {
            parked += 1;
        }
        Registration::Live(entry) => {
            live += 1;
            *by_type.entry(entry.session_type()).or_insert(0) += 1;
        }
        Registration::Starting => starting += 1,
    });
    let parked = parks.then_some(parked);
    SessionStats {
        live,
        starting,
        max_sessions: registry.limit.max(),
        by_type,
        registry_capacity: registry.capacity(),
        counters: registry.counters.read(revives, parked.is_some()),
        parked,
    }
}
