//! What gateways take from each other: [`GatewayMsg`], serialized by ractor_cluster; the
//! process group they meet in.

use ractor::RpcReplyPort;
use ractor_cluster::RactorClusterMessage;

/// The process-group scope of every manager's gateways.
pub(crate) const SCOPE: &str = "ractor-session";

/// What a gateway's actor name starts with; the node name follows.
pub(crate) fn name_prefix(group: &str) -> String {
    format!("{SCOPE}/{group}/")
}

/// What a gateway takes: from other nodes, serialized by ractor_cluster.
#[derive(RactorClusterMessage)]
pub(crate) enum GatewayMsg {
    /// A request envelope (JSON); answers the encoded [`Answer`](super::wire::Answer).
    #[rpc]
    Forward(Vec<u8>, RpcReplyPort<Vec<u8>>),
    /// Hand the session over: stop it here with its state written, keeping its record.
    /// Answers a [`ReleaseAnswer`] label: `released`, `absent`, or `reviving` when this node is
    /// reviving it at this very moment.
    /// `.1` is the asking node.
    #[rpc]
    Release(String, String, RpcReplyPort<String>),
    /// Node `.1` watches session `.0` (reviving it if stored): answers the encoded
    /// `Result<(), Failure>`; its end goes back to that node as `Ended`.
    #[rpc]
    Watch(String, String, RpcReplyPort<Vec<u8>>),
    /// Session `.0`, watched from this node, ended for the reason whose text is `.1`.
    Ended(String, String),
    /// An event published for session `.0` (watched from this node): the text `.1`.
    Published(String, String),
}

/// A node's answer to a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReleaseAnswer {
    /// It held the session and handed it over.
    HandedOver,
    /// It did not hold it.
    Absent,
    /// It is reviving the session itself at this moment.
    Reviving,
}

impl ReleaseAnswer {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::HandedOver => "released",
            Self::Absent => "absent",
            Self::Reviving => "reviving",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        [Self::HandedOver, Self::Absent, Self::Reviving]
            .into_iter()
            .find(|answer| answer.as_str() == text)
    }
}
