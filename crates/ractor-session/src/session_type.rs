//! [`SessionType`]: what every session of one actor type in a manager shares — the
//! type's short name, its message type, and its metrics handles — made once per manager
//! and type ([`SessionTypes`]) and pointed to by each session's entry.
//!
//! The handles are why it exists: `metrics::counter!(name, "session_type" => t)` builds a
//! key (a label vector, allocated) and asks the recorder for a handle on every call, cast,
//! start and stop. Here each handle is registered the first time its event happens, with
//! the recorder in force then (as the macro would have done), and reused after that:
//! recording is an atomic load and the recorder's own update.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use metrics::{Counter, Histogram};

use crate::metric_names as names;
use crate::watch::EndReason;

/// One actor type's sessions, in one manager.
#[derive(Debug)]
pub(crate) struct SessionType {
    /// The actor type's name without its module path, for listings and telemetry.
    pub(crate) name: &'static str,
    /// The `TypeId` of the actor's message type, for typed lookups.
    pub(crate) message: TypeId,
    started: OnceLock<Counter>,
    call_duration: OnceLock<Histogram>,
    casts: OnceLock<Counter>,
    expired: OnceLock<Counter>,
    lifetime: OnceLock<Histogram>,
    /// By [`EndReason`], in the order of `reason_index`.
    stopped: [OnceLock<Counter>; 9],
}

impl SessionType {
    pub(crate) fn new(name: &'static str, message: TypeId) -> Self {
        Self {
            name,
            message,
            started: OnceLock::new(),
            call_duration: OnceLock::new(),
            casts: OnceLock::new(),
            expired: OnceLock::new(),
            lifetime: OnceLock::new(),
            stopped: Default::default(),
        }
    }

    pub(crate) fn started(&self) -> &Counter {
        self.started
            .get_or_init(|| metrics::counter!(names::STARTED, "session_type" => self.name))
    }

    pub(crate) fn call_duration(&self) -> &Histogram {
        self.call_duration
            .get_or_init(|| metrics::histogram!(names::CALL_DURATION, "session_type" => self.name))
    }

    pub(crate) fn casts(&self) -> &Counter {
        self.casts
            .get_or_init(|| metrics::counter!(names::CASTS, "session_type" => self.name))
    }

    pub(crate) fn expired(&self) -> &Counter {
        self.expired
            .get_or_init(|| metrics::counter!(names::EXPIRED, "session_type" => self.name))
    }

    pub(crate) fn lifetime(&self) -> &Histogram {
        self.lifetime
            .get_or_init(|| metrics::histogram!(names::LIFETIME, "session_type" => self.name))
    }

    pub(crate) fn stopped(&self, reason: &EndReason) -> &Counter {
        self.stopped[reason_index(reason)].get_or_init(|| {
            metrics::counter!(
                names::STOPPED,
                "session_type" => self.name,
                "reason" => reason.as_str()
            )
        })
    }
}

fn reason_index(reason: &EndReason) -> usize {
    match reason {
        EndReason::Terminated => 0,
        EndReason::Expired => 1,
        EndReason::Crashed(_) => 2,
        EndReason::Shutdown => 3,
        EndReason::Rotated => 4,
        EndReason::Evicted => 5,
        EndReason::LoggedOut => 6,
        EndReason::HandedOver => 7,
        EndReason::NodeLost => 8,
    }
}

/// The session types of one manager, made on first use.
#[derive(Debug, Default)]
pub(crate) struct SessionTypes {
    by_type: Mutex<HashMap<(TypeId, &'static str), Arc<SessionType>>>,
}

impl SessionTypes {
    /// The sessions named `name` taking messages of type `message`: one lock and a hash
    /// per start.
    pub(crate) fn get(&self, name: &'static str, message: TypeId) -> Arc<SessionType> {
        let mut by_type = self.by_type.lock().unwrap_or_else(|e| e.into_inner());
        let kind = by_type
            .entry((message, name))
            .or_insert_with(|| Arc::new(SessionType::new(name, message)));
        Arc::clone(kind)
    }
}

#[cfg(test)]
mod tests {
    use ractor_session_test_support::metrics::Recorder;

    use super::*;

    #[test]
    fn one_type_per_name_and_message_type() {
        let types = SessionTypes::default();
        let a = types.get("A", TypeId::of::<u8>());
        assert!(Arc::ptr_eq(&a, &types.get("A", TypeId::of::<u8>())));
        assert!(!Arc::ptr_eq(&a, &types.get("A", TypeId::of::<u16>())));
        assert!(!Arc::ptr_eq(&a, &types.get("B", TypeId::of::<u8>())));
    }

    #[test]
    fn handles_are_registered_once_and_record_every_event() {
        let recorder = Recorder::default();
        let guard = recorder.install();
        let kind = SessionType::new("Cart", TypeId::of::<u8>());
        for _ in 0..3 {
            kind.casts().increment(1);
            kind.stopped(&EndReason::Expired).increment(1);
        }
        kind.stopped(&EndReason::Crashed("boom".into()))
            .increment(1);
        drop(guard);
        let metrics = recorder.snapshot();
        assert_eq!(
            metrics.counter(names::CASTS, &[("session_type", "Cart")]),
            3
        );
        let stopped = metrics.counters_by_label(names::STOPPED, "reason");
        assert_eq!(
            stopped.into_iter().collect::<Vec<_>>(),
            [("crashed".to_owned(), 1), ("expired".to_owned(), 3)],
            "one series per reason that happened"
        );
        assert_eq!(
            metrics.keys().count(),
            3,
            "no series for events that did not happen"
        );
    }
}
