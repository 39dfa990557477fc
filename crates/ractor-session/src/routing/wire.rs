//! What travels between gateways: a request's envelope and its answer, as JSON bytes.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::SessionError;
use crate::id::SessionId;

/// An operation for a session owned by another node (or, for `TerminateUser`, for
/// every node).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Envelope {
    /// The session's ID (empty for `TerminateUser`).
    pub(crate) id: String,
    /// How long the owner may take, in milliseconds.
    pub(crate) timeout_ms: u64,
    /// What to do.
    pub(crate) op: Op,
}

/// What an envelope asks.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Op {
    /// A request of a `RemoteSession` type: `tag` (`DurableSession::TYPE_TAG`) names the
    /// handler that decodes it. Answers the reply.
    Request { tag: String, request: Value },
    /// `SessionManager::terminate`. Answers null.
    Terminate,
    /// `SessionManager::rotate`. Answers the new ID.
    Rotate,
    /// `SessionManager::user_of`. Answers the user, or null.
    User,
    /// `SessionManager::bind_user`. Answers null.
    BindUser { user: String },
    /// The node's part of `SessionManager::terminate_user`: the user's sessions here.
    /// Answers how many ended.
    TerminateUser { user: String },
}

impl Op {
    /// The operation's name, as a metric label.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Self::Request { .. } => "request",
            Self::Terminate => "terminate",
            Self::Rotate => "rotate",
            Self::User => "user",
            Self::BindUser { .. } => "bind_user",
            Self::TerminateUser { .. } => "terminate_user",
        }
    }
}

/// The owner's answer: the reply, or why there is none.
pub(crate) type Answer = Result<Value, Failure>;

/// Why the owner has no reply: the errors a caller tells apart, the rest as text.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Failure {
    NotFound,
    Timeout {
        ms: u64,
    },
    NotPersisted,
    BoundToAnotherUser,
    /// The owner is shutting down: its sessions come back on another node.
    ShuttingDown,
    Other {
        reason: String,
    },
}

impl Failure {
    /// The failure a local [`SessionError`] is sent back as.
    pub(crate) fn from_error(error: &SessionError) -> Self {
        match error {
            SessionError::SessionNotFound { .. } | SessionError::ProcessNotFound { .. } => {
                Self::NotFound
            }
            SessionError::Timeout(after) => Self::Timeout {
                ms: u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
            },
            SessionError::NotPersisted { .. } => Self::NotPersisted,
            SessionError::BoundToAnotherUser { .. } => Self::BoundToAnotherUser,
            SessionError::ManagerShutdown => Self::ShuttingDown,
            other => Self::Other {
                reason: other.to_string(),
            },
        }
    }

    /// The error the caller sees for this failure on `node`, for session `id`.
    pub(crate) fn into_error(self, id: &SessionId, node: &str) -> SessionError {
        match self {
            Self::NotFound => SessionError::SessionNotFound { id: id.clone() },
            Self::Timeout { ms } => SessionError::Timeout(Duration::from_millis(ms)),
            Self::NotPersisted => SessionError::NotPersisted { id: id.clone() },
            Self::BoundToAnotherUser => SessionError::BoundToAnotherUser { id: id.clone() },
            Self::ShuttingDown => SessionError::OwnerUnreachable {
                node: node.to_owned(),
            },
            Self::Other { reason } => SessionError::OwnerFailed {
                node: node.to_owned(),
                reason,
            },
        }
    }
}

/// `answer` as bytes (an answer always encodes).
pub(crate) fn encode(answer: &Answer) -> Vec<u8> {
    serde_json::to_vec(answer).unwrap_or_else(|error| {
        let failure: Answer = Err(Failure::Other {
            reason: format!("reply not encodable: {error}"),
        });
        serde_json::to_vec(&failure).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_errors_callers_tell_apart_survive_the_hop() {
        let id = SessionId::parse("s1").unwrap();
        let cases = [
            SessionError::not_found("s1"),
            SessionError::Timeout(Duration::from_millis(1500)),
            SessionError::NotPersisted { id: id.clone() },
            SessionError::ManagerShutdown,
            SessionError::BoundToAnotherUser { id: id.clone() },
        ];
        let back: Vec<_> = cases
            .iter()
            .map(|error| {
                let bytes = encode(&Err(Failure::from_error(error)));
                let answer: Answer = serde_json::from_slice(&bytes).unwrap();
                answer.unwrap_err().into_error(&id, "n2")
            })
            .collect();
        assert!(matches!(&back[0], SessionError::SessionNotFound { id: i } if *i == id));
        assert!(matches!(back[1], SessionError::Timeout(d) if d == Duration::from_millis(1500)));
        assert!(matches!(&back[2], SessionError::NotPersisted { .. }));
        assert!(matches!(&back[3], SessionError::OwnerUnreachable { node } if node == "n2"));
        assert!(matches!(&back[4], SessionError::BoundToAnotherUser { .. }));
    }

    #[test]
    fn every_end_reason_survives_its_text() {
        use crate::watch::EndReason;
        for reason in [
            EndReason::Terminated,
            EndReason::Expired,
            EndReason::Crashed("boom: twice".into()),
            EndReason::Shutdown,
            EndReason::Rotated,
            EndReason::Evicted,
            EndReason::LoggedOut,
            EndReason::HandedOver,
            EndReason::NodeLost,
        ] {
            assert_eq!(EndReason::from_display(&reason.to_string()), Some(reason));
        }
        assert_eq!(EndReason::from_display("no such reason"), None);
    }

    #[test]
    fn other_errors_keep_their_text_and_the_node() {
        let id = SessionId::parse("s1").unwrap();
        let error = SessionError::InvalidConfig {
            field: "x",
            reason: "bad".into(),
        };
        let back = Failure::from_error(&error).into_error(&id, "n3");
        let SessionError::OwnerFailed { node, reason } = back else {
            panic!("{back:?}");
        };
        assert_eq!(node, "n3");
        assert!(reason.contains("bad"), "{reason}");
    }
}
