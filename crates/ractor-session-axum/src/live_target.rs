//! [`LiveTarget`]: the session a live socket belongs to — on this node, or, in a cluster,
//! owned by another node and watched there.

use std::fmt;

use ractor_session::{SessionError, SessionId, SessionPin, SessionWatch};

use crate::bound::BoundSession;

/// The session of a live socket.
pub(crate) enum LiveTarget {
    /// Live on this node.
    Local(BoundSession),
    /// Owned by another node of the cluster, which was asked to watch it: its end (or the
    /// loss of that node) resolves the watch, and its events arrive through the cluster.
    #[cfg(feature = "cluster")]
    Remote { id: SessionId, watch: SessionWatch },
}

impl fmt::Debug for LiveTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(session) => f.debug_tuple("Local").field(session).finish(),
            #[cfg(feature = "cluster")]
            Self::Remote { id, .. } => f.debug_tuple("Remote").field(&id.redacted()).finish(),
        }
    }
}

impl LiveTarget {
    pub(crate) fn id(&self) -> &SessionId {
        match self {
            Self::Local(session) => session.id(),
            #[cfg(feature = "cluster")]
            Self::Remote { id, .. } => id,
        }
    }

    /// What resolves when the session ends.
    pub(crate) fn watch(self) -> Result<SessionWatch, SessionError> {
        match self {
            Self::Local(session) => session.watch(),
            #[cfg(feature = "cluster")]
            Self::Remote { watch, .. } => Ok(watch),
        }
    }

    /// Keeps a session on this node active while its socket is open (one owned elsewhere
    /// is kept active there by its watcher).
    pub(crate) fn pin(&self) -> Option<SessionPin> {
        match self {
            Self::Local(session) => session.handle().ok().map(|handle| handle.pin()),
            #[cfg(feature = "cluster")]
            Self::Remote { .. } => None,
        }
    }

    /// The local session, for forwarding messages to its actor.
    pub(crate) fn local(&self) -> Option<&BoundSession> {
        match self {
            Self::Local(session) => Some(session),
            #[cfg(feature = "cluster")]
            Self::Remote { .. } => None,
        }
    }
}
