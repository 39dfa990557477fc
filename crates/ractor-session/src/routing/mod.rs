//! Routing in a cluster (feature `cluster`): [`Route`] — the group's members, the owner of
//! each ID, sending operations to the owner's gateway, the release protocol before a
//! revival, sessions watched across nodes — and what travels between gateways. It knows
//! nothing of the manager: the manager and the `cluster` module call it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ractor::rpc::CallResult;
use ractor::{ActorCell, ActorRef};

mod messages;
mod watchers;
mod wire;

pub(crate) use messages::{GatewayMsg, ReleaseAnswer, SCOPE, name_prefix};
pub(crate) use watchers::{Listener, Watchers};
pub(crate) use wire::{Answer, Envelope, Failure, Op, encode};

use crate::error::SessionError;
use crate::id::SessionId;
use crate::rendezvous;
use crate::watch::{EndReason, SessionWatch};

/// How long a node that left the group may take to come back (over its other connection)
/// before it counts as gone.
const LEAVE_GRACE: Duration = Duration::from_millis(500);

/// A session owned by another node: the route there, its owner, its ID.
pub(crate) type Remote<'a> = (&'a Arc<Route>, Member, SessionId);

/// A live member of the cluster: a node's gateway for this manager.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub(crate) node: String,
    pub(crate) gateway: ActorCell,
}

/// A manager's way to the other nodes: its own node, its process group, its settings.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) node: String,
    pub(crate) group: String,
    pub(crate) hop_margin: Duration,
    pub(crate) release_timeout: Duration,
    /// Sessions watched across nodes, both ways.
    pub(crate) watchers: Watchers,
    /// The group's members as last read (see `members`).
    pub(crate) members: std::sync::RwLock<Arc<Vec<Member>>>,
    /// Members that left the group lately, kept for `LEAVE_GRACE` (see `refresh_members`).
    pub(crate) departed: std::sync::Mutex<HashMap<String, (Member, tokio::time::Instant)>>,
    /// Sessions this node handed over lately, to which node and when (see
    /// `ask_to_release`).
    pub(crate) handed: std::sync::Mutex<HashMap<SessionId, (String, tokio::time::Instant)>>,
}

impl Route {
    /// The live gateways of this manager's group, by node name (this node's included once
    /// its gateway has joined), as last read from the process group: read again on every
    /// change of the group (`refresh_members`), so that a request pays no group lookup.
    pub(crate) fn members(&self) -> Arc<Vec<Member>> {
        Arc::clone(
            &self
                .members
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Reads the group's members again: called whenever the group changes. A node that
    /// left stays a member for `LEAVE_GRACE`: when two nodes connect to each other at once,
    /// ractor_cluster closes one connection, and the node leaves the group and comes back
    /// within milliseconds — owners must not move for that. (Calls to a node that is
    /// really gone fail at once meanwhile, as `OwnerUnreachable`.)
    pub(crate) fn refresh_members(&self) {
        let now = tokio::time::Instant::now();
        let live = self.read_members();
        let previous = self.members();
        let mut departed = self
            .departed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for member in previous.iter() {
            if member.node != self.node && !live.iter().any(|m| m.node == member.node) {
                departed
                    .entry(member.node.clone())
                    .or_insert_with(|| (member.clone(), now));
            }
        }
        departed.retain(|node, (_, since)| {
            !live.iter().any(|m| &m.node == node) && now.duration_since(*since) < LEAVE_GRACE
        });
        let mut members = live;
        members.extend(departed.values().map(|(member, _)| member.clone()));
        members.sort_by(|a, b| a.node.cmp(&b.node));
        #[allow(clippy::cast_precision_loss)]
        metrics::gauge!(crate::metric_names::CLUSTER_MEMBERS, "manager" => self.group.clone())
            .set(members.len() as f64);
        *self
            .members
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(members);
    }

    /// The live gateways of the group, read from it.
    fn read_members(&self) -> Vec<Member> {
        let prefix = name_prefix(&self.group);
        let mut members: Vec<Member> =
            ractor::pg::get_scoped_members(&SCOPE.to_owned(), &self.group)
                .into_iter()
                .filter_map(|gateway| {
                    let node = gateway.get_name()?.strip_prefix(&prefix)?.to_owned();
                    Some(Member { node, gateway })
                })
                .collect();
        // Two stand-ins for one node (a reconnection under way) count once.
        members.sort_by(|a, b| a.node.cmp(&b.node));
        members.dedup_by(|a, b| a.node == b.node);
        members
    }

    /// The owner of `id` among `members`.
    fn owner<'m>(&self, id: &str, members: &'m [Member]) -> Option<&'m Member> {
        rendezvous::rank(id, members.iter().map(|m| m.node.as_str()))
            .map(|(first, _)| &members[first])
    }

    /// The gateway of `node`, if it is a live member.
    pub(crate) fn gateway_of(&self, node: &str) -> Option<ActorRef<GatewayMsg>> {
        self.members()
            .iter()
            .find(|member| member.node == node)
            .map(|member| member.gateway.clone().into())
    }

    /// Gateways left the group: a node left or died — or one of two connections to it
    /// closed (ractor_cluster keeps one when two nodes connect to each other at once),
    /// which looks the same for a moment. A node still absent after `LEAVE_GRACE` is gone:
    /// sessions watched here on it are lost with it, and it watches nothing here any more.
    pub(crate) fn left(self: &Arc<Self>, gateways: &[ActorCell]) {
        let prefix = name_prefix(&self.group);
        let nodes: Vec<String> = gateways
            .iter()
            .filter(|cell| !cell.get_id().is_local())
            .filter_map(|cell| cell.get_name()?.strip_prefix(&prefix).map(str::to_owned))
            .collect();
        if nodes.is_empty() {
            return;
        }
        let route = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(LEAVE_GRACE + Duration::from_millis(10)).await;
            // Drops the members whose grace is over; then the group says who is back.
            route.refresh_members();
            let members = route.read_members();
            for node in nodes {
                if members.iter().any(|member| member.node == node) {
                    tracing::debug!(node = %node, "cluster node reconnected");
                    continue;
                }
                route.watchers.forget_node(&node);
                let lost = route.watchers.owner_lost(&node);
                tracing::warn!(node = %node, watched_sessions_lost = lost, "cluster node left");
            }
        });
    }

    /// Watches `id` on `owner`, another node: its gateway sends the session's end back;
    /// if the owner goes away first, the watch ends with `NodeLost`.
    pub(crate) async fn watch_remote(
        &self,
        owner: Member,
        id: &SessionId,
        call_timeout: Duration,
    ) -> Result<SessionWatch, SessionError> {
        // Waiting before asking: an end that comes back at once is not missed.
        let ended = self.watchers.wait(id, &owner.node);
        let gateway: ActorRef<GatewayMsg> = owner.gateway.clone().into();
        let timeout = call_timeout + self.hop_margin;
        let asked = gateway
            .call(
                |reply| GatewayMsg::Watch(id.as_str().to_owned(), self.node.clone(), reply),
                Some(timeout),
            )
            .await;
        let answer: Result<(), Failure> = match asked {
            Ok(CallResult::Success(bytes)) => {
                serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                    Err(Failure::Other {
                        reason: format!("answer not decodable: {error}"),
                    })
                })
            }
            Ok(CallResult::Timeout) => return Err(SessionError::Timeout(timeout)),
            Ok(CallResult::SenderError) | Err(_) => {
                return Err(SessionError::OwnerUnreachable { node: owner.node });
            }
        };
        answer.map_err(|failure| failure.into_error(id, &owner.node))?;
        Ok(SessionWatch::waiting(ended))
    }

    /// Watcher side: `id`, watched on its owner, ended for the reason named `reason`.
    pub(crate) fn remote_ended(&self, id: &str, reason: &str) {
        if let Ok(id) = SessionId::parse(id) {
            let reason = EndReason::from_display(reason).unwrap_or(EndReason::NodeLost);
            self.watchers.ended(&id, &reason);
        }
    }

    /// Sends `text` to the nodes that watch `id` from elsewhere.
    pub(crate) fn publish(&self, id: &SessionId, text: &str) {
        for node in self.watchers.remote_of(id) {
            if let Some(gateway) = self.gateway_of(&node) {
                let _ = gateway.cast(GatewayMsg::Published(
                    id.as_str().to_owned(),
                    text.to_owned(),
                ));
            }
        }
    }

    /// Watcher side: an event published on the owner of `id` arrived.
    pub(crate) fn heard(&self, id: &str, text: &str) {
        if let Ok(id) = SessionId::parse(id) {
            self.watchers.heard(&id, text);
        }
    }

    /// Sets what hears the events published elsewhere; `false` when one is set.
    pub(crate) fn set_listener(&self, listener: Listener) -> bool {
        self.watchers.set_listener(listener)
    }

    /// Whether this node owns `id` now (it does while it is alone, its gateway not yet
    /// seen).
    pub(crate) fn owns(&self, id: &SessionId) -> bool {
        let members = self.members();
        match self.owner(id.as_str(), &members) {
            Some(owner) => owner.node == self.node,
            None => true,
        }
    }

    /// A fresh ID this node owns.
    pub(crate) fn fresh_id(&self) -> SessionId {
        let members = self.members();
        // With n members one in n fresh IDs is ours: 64 tries fail with odds of
        // ((n-1)/n)^64, below 1e-8 up to n = 4 and 4 % at n = 20; the last try is kept
        // (its owner then forwards to us, which costs a hop, not correctness).
        let mut id = SessionId::generate();
        for _ in 0..64 {
            match self.owner(id.as_str(), &members) {
                Some(owner) if owner.node != self.node => id = SessionId::generate(),
                _ => break,
            }
        }
        id
    }

    /// The owner of `id` when it is another node.
    pub(crate) fn remote_owner(&self, id: &str) -> Option<Member> {
        let members = self.members();
        match self.owner(id, &members) {
            Some(owner) if owner.node != self.node => Some(owner.clone()),
            _ => None,
        }
    }

    /// Sends `op` for `id` to `owner` and waits for its answer (within `timeout` and the
    /// hop's margin).
    pub(crate) async fn send_op(
        &self,
        owner: &Member,
        id: &SessionId,
        op: Op,
        timeout: Duration,
    ) -> Result<serde_json::Value, SessionError> {
        let label = op.label();
        let envelope = Envelope {
            id: id.as_str().to_owned(),
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            op,
        };
        let bytes = serde_json::to_vec(&envelope).unwrap_or_default();
        let answer = self
            .forward(owner, bytes, timeout)
            .await
            .and_then(|answer| answer.map_err(|failure| failure.into_error(id, &owner.node)));
        let outcome = if answer.is_ok() { "ok" } else { "error" };
        metrics::counter!(
            crate::metric_names::CLUSTER_FORWARDED,
            "op" => label,
            "outcome" => outcome
        )
        .increment(1);
        answer
    }

    /// The other nodes' part of `terminate_user`: each ends the user's sessions it holds;
    /// how many ended, or the first node that could not be asked.
    pub(crate) async fn terminate_user_elsewhere(
        &self,
        user: &str,
        timeout: Duration,
    ) -> Result<usize, SessionError> {
        let others: Vec<Member> = self
            .members()
            .iter()
            .filter(|member| member.node != self.node)
            .cloned()
            .collect();
        let asks = others.iter().map(|member| {
            let envelope = Envelope {
                id: String::new(),
                timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                op: Op::TerminateUser {
                    user: user.to_owned(),
                },
            };
            let bytes = serde_json::to_vec(&envelope).unwrap_or_default();
            async move {
                let answer = self.forward(member, bytes, timeout).await?;
                let ended = answer.map_err(|failure| match failure {
                    Failure::Other { reason } => SessionError::OwnerFailed {
                        node: member.node.clone(),
                        reason,
                    },
                    _ => SessionError::OwnerUnreachable {
                        node: member.node.clone(),
                    },
                })?;
                decode::<usize>(member, ended)
            }
        });
        let mut total = 0;
        for ended in futures_util::future::join_all(asks).await {
            total += ended?;
        }
        Ok(total)
    }

    /// The envelope, to `owner`'s gateway; its answer, or the hop's failure.
    async fn forward(
        &self,
        owner: &Member,
        bytes: Vec<u8>,
        timeout: Duration,
    ) -> Result<Answer, SessionError> {
        let unreachable = || SessionError::OwnerUnreachable {
            node: owner.node.clone(),
        };
        let gateway: ActorRef<GatewayMsg> = owner.gateway.clone().into();
        let called = gateway
            .call(
                |reply| GatewayMsg::Forward(bytes, reply),
                Some(timeout + self.hop_margin),
            )
            .await;
        match called {
            Ok(CallResult::Success(answer)) => {
                serde_json::from_slice(&answer).map_err(|error| SessionError::OwnerFailed {
                    node: owner.node.clone(),
                    reason: format!("answer not decodable: {error}"),
                })
            }
            Ok(CallResult::Timeout) => Err(SessionError::Timeout(timeout)),
            Ok(CallResult::SenderError) | Err(_) => Err(unreachable()),
        }
    }

    /// Before `id` is revived here (with this node's claim on it held): asks every other
    /// node to hand it over if it holds it — stop it and write its last state — and waits
    /// for their answers, at most `release_timeout`; then revives anyway (fencing keeps a
    /// node that did not answer from writing). Any node may hold it: its owner before this
    /// node joined, or a node that revived it while its view of the membership lagged.
    ///
    /// Two nodes reviving the same session at once (their views of the membership differ
    /// for a moment) each find the other `reviving`: the node whose name sorts first goes
    /// on, the other waits until that one holds the session and then asks it to hand it
    /// over. So two activations never overlap. A revival is rare (a session's first use on
    /// a node), so a message to each node is cheap insurance.
    ///
    /// A node whose view lags may be asked to revive a session it just handed to a node
    /// it does not see yet: it then waits (at most `release_timeout`) until it sees that
    /// node, and asks it too.
    pub(crate) async fn ask_to_release(&self, id: &SessionId) {
        let deadline = tokio::time::Instant::now() + self.release_timeout;
        let mut others: Vec<Member> = self
            .members()
            .iter()
            .filter(|member| member.node != self.node)
            .cloned()
            .collect();
        if let Some(to) = self.handed_recently(id)
            && !others.iter().any(|member| member.node == to)
        {
            while tokio::time::Instant::now() < deadline {
                tokio::time::sleep(RELEASE_RETRY).await;
                if let Some(member) = self.members().iter().find(|m| m.node == to) {
                    others.push(member.clone());
                    break;
                }
            }
        }
        let asks = others
            .iter()
            .map(|holder| self.release_from(holder, id, deadline));
        futures_util::future::join_all(asks).await;
    }

    /// This node handed `id` over to node `to` at its request.
    pub(crate) fn handed_to(&self, id: &str, to: String) {
        let Ok(id) = SessionId::parse(id) else {
            return;
        };
        let mut handed = self
            .handed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = tokio::time::Instant::now();
        handed.retain(|_, (_, at)| now.duration_since(*at) < HANDED_MEMORY);
        handed.insert(id, (to, now));
    }

    /// The node this node handed `id` over to, within `HANDED_MEMORY`.
    fn handed_recently(&self, id: &SessionId) -> Option<String> {
        let handed = self
            .handed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        handed
            .get(id)
            .filter(|(_, at)| at.elapsed() < HANDED_MEMORY)
            .map(|(to, _)| to.clone())
    }

    /// Asks `holder` to hand `id` over, until it has (or does not hold it), or `deadline`.
    async fn release_from(&self, holder: &Member, id: &SessionId, deadline: tokio::time::Instant) {
        let gateway: ActorRef<GatewayMsg> = holder.gateway.clone().into();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let asked = gateway
                .call(
                    |reply| GatewayMsg::Release(id.as_str().to_owned(), self.node.clone(), reply),
                    Some(left),
                )
                .await;
            let answer = match asked {
                Ok(CallResult::Success(answer)) => ReleaseAnswer::parse(&answer),
                _ => None,
            };
            match answer {
                Some(ReleaseAnswer::HandedOver) => {
                    tracing::debug!(
                        session = %id.redacted(),
                        node = %holder.node,
                        "session handed over by the node that held it"
                    );
                    return;
                }
                Some(ReleaseAnswer::Absent) => return,
                // Both reviving: the first name goes on; the other waits for it.
                Some(ReleaseAnswer::Reviving) if self.node < holder.node => return,
                Some(ReleaseAnswer::Reviving) if left > RELEASE_RETRY => {
                    tokio::time::sleep(RELEASE_RETRY).await;
                }
                _ => {
                    tracing::debug!(
                        session = %id.redacted(),
                        node = %holder.node,
                        "a node did not hand the session over in time; reviving from the store"
                    );
                    return;
                }
            }
        }
    }
}

/// How long a node remembers where it handed a session over: longer than the process
/// groups of the nodes take to agree on a node that joined.
const HANDED_MEMORY: Duration = Duration::from_secs(5);

/// How long a node that lost a tie waits before asking again.
const RELEASE_RETRY: Duration = Duration::from_millis(10);

/// `value`, the answer of `owner`, as a `T`.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    owner: &Member,
    value: serde_json::Value,
) -> Result<T, SessionError> {
    serde_json::from_value(value).map_err(|error| SessionError::OwnerFailed {
        node: owner.node.clone(),
        reason: format!("answer not decodable: {error}"),
    })
}
