//! Watching a session across nodes, and its live events: the owner keeps, per session, the
//! nodes that watch it from elsewhere (they get its end and whatever is published for it);
//! a watching node keeps its waiters per session and owner (told `NodeLost` when that node
//! goes away).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use tokio::sync::oneshot;

use crate::id::SessionId;
use crate::watch::EndReason;

/// Called with each event another node published for a session watched from here.
pub(crate) type Listener = Arc<dyn Fn(&SessionId, &str) + Send + Sync>;

/// One waiter for a session's end: the owner it watches it on, and where to tell it.
type Waiter = (String, oneshot::Sender<EndReason>);

/// Both sides' bookkeeping, one per manager and node.
#[derive(Default)]
pub(crate) struct Watchers {
    /// Owner side: the other nodes watching each session of this node.
    remote: Mutex<HashMap<SessionId, HashSet<String>>>,
    /// Watcher side: who waits here for the end of each session owned elsewhere, with the
    /// owner they watch it on.
    waiting: Mutex<HashMap<SessionId, Vec<Waiter>>>,
    /// What hears published events here.
    listener: OnceLock<Listener>,
}

impl std::fmt::Debug for Watchers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watchers")
            .field("watched_from_elsewhere", &lock(&self.remote).len())
            .field("waiting_here", &lock(&self.waiting).len())
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Watchers {
    /// Owner side: `node` watches `id`; `false` when it already did.
    pub(crate) fn add_remote(&self, id: &SessionId, node: &str) -> bool {
        lock(&self.remote)
            .entry(id.clone())
            .or_default()
            .insert(node.to_owned())
    }

    /// Owner side: `id` ended; the nodes that watched it.
    pub(crate) fn take_remote(&self, id: &SessionId) -> Vec<String> {
        lock(&self.remote)
            .remove(id)
            .map(|nodes| nodes.into_iter().collect())
            .unwrap_or_default()
    }

    /// Owner side: the nodes watching `id` now.
    pub(crate) fn remote_of(&self, id: &SessionId) -> Vec<String> {
        lock(&self.remote)
            .get(id)
            .map(|nodes| nodes.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Owner side: `node` went away; it watches nothing any more.
    pub(crate) fn forget_node(&self, node: &str) {
        lock(&self.remote).retain(|_, nodes| {
            nodes.remove(node);
            !nodes.is_empty()
        });
    }

    /// Watcher side: waits for the end of `id`, watched on `owner`.
    pub(crate) fn wait(&self, id: &SessionId, owner: &str) -> oneshot::Receiver<EndReason> {
        let (tx, rx) = oneshot::channel();
        lock(&self.waiting)
            .entry(id.clone())
            .or_default()
            .push((owner.to_owned(), tx));
        rx
    }

    /// Watcher side: `id` ended for `reason`.
    pub(crate) fn ended(&self, id: &SessionId, reason: &EndReason) {
        let waiters = lock(&self.waiting).remove(id).unwrap_or_default();
        for (_, tx) in waiters {
            let _ = tx.send(reason.clone());
        }
    }

    /// Watcher side: `owner` went away: every session watched on it is lost with it.
    pub(crate) fn owner_lost(&self, owner: &str) -> usize {
        let mut lost = Vec::new();
        lock(&self.waiting).retain(|_, waiters| {
            let (gone, kept): (Vec<_>, Vec<_>) =
                waiters.drain(..).partition(|(node, _)| node == owner);
            lost.extend(gone);
            *waiters = kept;
            !waiters.is_empty()
        });
        let count = lost.len();
        for (_, tx) in lost {
            let _ = tx.send(EndReason::NodeLost);
        }
        count
    }

    /// Sets what hears published events here; `false` when something already does.
    pub(crate) fn set_listener(&self, listener: Listener) -> bool {
        self.listener.set(listener).is_ok()
    }

    /// An event published elsewhere for `id` arrived.
    pub(crate) fn heard(&self, id: &SessionId, text: &str) {
        if let Some(listener) = self.listener.get() {
            listener(id, text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> SessionId {
        SessionId::parse(s).unwrap()
    }

    #[tokio::test]
    async fn waiters_hear_the_end_or_the_loss_of_their_owner() {
        let watchers = Watchers::default();
        let a = watchers.wait(&id("a"), "n1");
        let b = watchers.wait(&id("b"), "n2");
        let c = watchers.wait(&id("c"), "n1");
        watchers.ended(&id("a"), &EndReason::Expired);
        assert_eq!(a.await.unwrap(), EndReason::Expired);
        assert_eq!(watchers.owner_lost("n1"), 1);
        assert_eq!(c.await.unwrap(), EndReason::NodeLost);
        // The other owner's session is still watched.
        watchers.ended(&id("b"), &EndReason::Terminated);
        assert_eq!(b.await.unwrap(), EndReason::Terminated);
    }

    #[test]
    fn the_owner_tells_each_watching_node_once() {
        let watchers = Watchers::default();
        assert!(watchers.add_remote(&id("a"), "n2"));
        assert!(!watchers.add_remote(&id("a"), "n2"));
        watchers.add_remote(&id("a"), "n3");
        watchers.forget_node("n3");
        assert_eq!(watchers.remote_of(&id("a")), ["n2"]);
        assert_eq!(watchers.take_remote(&id("a")), ["n2"]);
        assert!(watchers.remote_of(&id("a")).is_empty());
    }
}
