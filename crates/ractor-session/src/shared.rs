//! [`Shared`]: the state every clone of a [`SessionManager`](crate::SessionManager) shares.
//!
//! Each `SessionManager` clone and each [`SessionHandle`](crate::SessionHandle) holds it
//! strongly; session actors and the expiry task hold it weakly, so that the last handle
//! going away stops everything (see its `Drop`).

mod kinds;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ractor::{Actor, ActorCell};
use tokio::sync::Notify;

use crate::call_deadlines::CallDeadlines;
use crate::config::SessionConfig;
use crate::durability_config::DurabilityConfig;
use crate::durable::{Codec, SessionStore};
use crate::error::{PreStartFailure, SessionError};
use crate::id::SessionId;
use crate::limits::RateLimiter;
use crate::overflow::ProvisionalQueue;
use crate::passivation::Passivation;
use crate::persistence::Persistence;
use crate::registry::Registry;
use crate::session_type::SessionTypes;
use crate::telemetry;
use crate::watch::EndReason;

pub(crate) use kinds::{Kind, Kinds, Revival};

/// State shared by every clone of a [`SessionManager`](crate::SessionManager).
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SessionConfig,
    pub(crate) registry: Registry,
    pub(crate) rate: Option<RateLimiter>,
    /// Sessions started provisional, for eviction at `max_sessions`.
    pub(crate) provisional: ProvisionalQueue,
    /// Wakes the expiry task when a deadline earlier than the one it sleeps until is armed.
    pub(crate) expiry_wake: Arc<Notify>,
    /// Deadlines of calls waiting for their reply, reaped by the expiry task.
    pub(crate) calls: CallDeadlines,
    /// Notified whenever a start finishes (succeeded, failed or was cancelled).
    pub(crate) start_done: Notify,
    pub(crate) supervisor: ActorCell,
    pub(crate) shutting_down: AtomicBool,
    /// The store and what is still to write to it, when the manager has one.
    pub(crate) persistence: Option<Arc<Persistence>>,
    /// The durable session types the manager registered.
    pub(crate) kinds: Kinds,
    /// Every session type it has started, with its metrics handles.
    pub(crate) types: SessionTypes,
    /// With `passivate_after` or `max_active`: what parking sessions needs.
    pub(crate) passivation: Option<Passivation>,
    /// Where requests for sessions owned by other nodes go, once the manager joined a
    /// cluster.
    #[cfg(feature = "cluster")]
    pub(crate) route: std::sync::OnceLock<Arc<crate::routing::Route>>,
}

impl Shared {
    pub(crate) fn new(
        config: SessionConfig,
        supervisor: ActorCell,
        store: Option<(Arc<dyn SessionStore>, DurabilityConfig)>,
        kinds: Kinds,
    ) -> Self {
        let registry = Registry::new(&config);
        let persistence = store.map(|(store, settings)| {
            let manager = Arc::from(config.name.as_str());
            let clock = registry.clock;
            Arc::new(Persistence::new(
                store,
                settings,
                clock,
                registry.idle_ms,
                manager,
            ))
        });
        let expiry_wake = Arc::new(Notify::new());
        let calls = CallDeadlines::new(
            registry.clock,
            config.call_timeout,
            Arc::clone(&expiry_wake),
        );
        Self {
            registry,
            rate: config.effective_rate_limit().map(RateLimiter::new),
            provisional: ProvisionalQueue::new(config.max_sessions),
            expiry_wake,
            calls,
            start_done: Notify::new(),
            supervisor,
            shutting_down: AtomicBool::new(false),
            persistence,
            kinds,
            types: SessionTypes::default(),
            passivation: Passivation::new(&config),
            config,
            #[cfg(feature = "cluster")]
            route: std::sync::OnceLock::new(),
        }
    }

    /// A fresh session ID this node owns (any fresh ID outside a cluster).
    pub(crate) fn fresh_id(&self) -> SessionId {
        #[cfg(feature = "cluster")]
        if let Some(route) = self.route.get() {
            return route.fresh_id();
        }
        SessionId::generate()
    }

    /// The registration and codec of `A`, when sessions of `A` are written to a store or
    /// parked.
    pub(crate) fn durable<A: Actor>(&self) -> Option<(&dyn Kind, Codec<A>)> {
        if self.persistence.is_none() && self.passivation.is_none() {
            return None;
        }
        self.kinds.of::<A>()
    }

    /// The error for a start whose spawn failed: the actor's own error or panic as the
    /// source of `StartFailed`. ractor's own refusal after a successful `pre_start` (the
    /// supervisor had stopped) means the manager shut down meanwhile, and is reported so.
    pub(crate) fn start_failed(
        &self,
        id: SessionId,
        session_type: &'static str,
        spawn: ractor::SpawnErr,
    ) -> SessionError {
        let source = PreStartFailure::cause(spawn);
        if source.is::<ractor::SpawnErr>() && self.shutting_down.load(Ordering::SeqCst) {
            // Not a start error, like every other start refused after `shutdown`.
            return SessionError::ManagerShutdown;
        }
        telemetry::start_error(id.redacted(), session_type, "start_failed");
        SessionError::StartFailed { id, source }
    }

    /// Whether sessions can be revived: from the store, or from being parked.
    pub(crate) fn revives(&self) -> bool {
        self.persistence.is_some() || self.passivation.is_some()
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The last handle went away without `shutdown`: stop the tree rather than leave
        // orphaned sessions running. (ractor kills the children of a stopped supervisor.)
        // Their watchers are told `Shutdown`, as they would be by `shutdown`.
        for entry in self.registry.live_entries() {
            entry.request_stop(EndReason::Shutdown);
        }
        self.supervisor.stop(None);
        // The expiry task may be asleep until a far deadline: wake it to find us gone.
        self.expiry_wake.notify_one();
    }
}
