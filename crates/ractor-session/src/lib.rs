#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod agent;
mod call_deadlines;
mod clock;
#[cfg(feature = "cluster")]
#[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
pub mod cluster;
mod config;
mod counters;
mod durability_config;
pub mod durable;
mod entry;
mod error;
mod expiry;
pub mod guide;
mod handle;
mod id;
mod kv;
mod lifetime;
mod limits;
mod manager;
mod metric_names;
mod overflow;
mod park;
mod parking;
mod passivation;
mod persisted;
mod persistence;
mod registry;
mod remote;
mod rendezvous;
#[cfg(feature = "cluster")]
mod routing;
mod session;
mod session_type;
mod shared;
pub mod store;
mod supervisor;
mod telemetry;
#[cfg(feature = "test-util")]
pub mod test_util;
mod user;
mod user_index;
mod watch;
mod wheel;

pub use agent::Agent;
pub use config::SessionConfig;
pub use counters::{EndCounts, SessionCounters};
pub use durability_config::{DurabilityConfig, OnCorrupt, WritePolicy};
pub use error::{BoxError, ReplyDropped, SessionError, StartPanicked};
pub use handle::{SessionHandle, SessionPin};
pub use id::{InvalidIdReason, InvalidSessionId, MAX_SESSION_ID_LEN, RedactedId, SessionId};
pub use kv::{KvError, KvMsg, KvRequest, KvSession, KvUpdate, Pong};
pub use manager::{SessionInfo, SessionManager, SessionManagerBuilder, SessionStats};
pub use overflow::Admission;
pub use remote::RemoteSession;
pub use session::current_session_id;
pub use user::{InvalidUserKey, InvalidUserKeyReason, MAX_USER_KEY_LEN, UserKey};
pub use watch::{EndReason, SessionWatch};

/// ractor, re-exported so sessions can be written against the exact version in use.
pub use ractor;
