//! [`UserIndex`]: the live sessions of each user, for "log out everywhere".
//!
//! A session is bound to at most one user, and only while it is registered: binding
//! checks `registered` under the entry's user lock, and the registry's deregistration
//! clears `registered` before it takes that lock to unbind. One of the two sees the
//! other, so no ended session stays in the index, whatever ends it (terminate, expiry,
//! eviction, a crash, shutdown). Rotation moves the entry, not the binding: the index
//! holds entries, not IDs, so a rotated session stays bound under its new ID.
//!
//! Lock order: an entry's user lock, then a shard of the map. Readers take a shard only,
//! and copy what they need out of it before touching any entry.

use std::sync::Arc;

use dashmap::DashMap;
use dashmap::mapref::entry::Entry as MapEntry;

use crate::entry::Entry;
use crate::user::UserKey;

/// Live sessions by user.
#[derive(Debug, Default)]
pub(crate) struct UserIndex {
    map: DashMap<UserKey, Vec<Arc<Entry>>>,
}

/// Why a session was not bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unbound {
    /// It has ended (or is ending).
    NotLive,
    /// It is bound to another user already.
    OtherUser,
}

impl UserIndex {
    /// Binds `entry` to `user`: `Ok(true)` when it was unbound, `Ok(false)` when it was
    /// bound to `user` already.
    pub(crate) fn bind(&self, entry: &Arc<Entry>, user: &UserKey) -> Result<bool, Unbound> {
        let mut slot = entry.lock_user();
        match &*slot {
            Some(bound) if bound == user => return Ok(false),
            Some(_) => return Err(Unbound::OtherUser),
            None => {}
        }
        // Checked under the user lock: see the module's docs.
        if !entry.is_registered() {
            return Err(Unbound::NotLive);
        }
        self.map
            .entry(user.clone())
            .or_default()
            .push(Arc::clone(entry));
        *slot = Some(user.clone());
        Ok(true)
    }

    /// Takes `entry` out of the index: for the registry, once it has deregistered it.
    /// The entry keeps its user (its end is still told with it).
    pub(crate) fn unbind(&self, entry: &Arc<Entry>) {
        let slot = entry.lock_user();
        let Some(user) = &*slot else {
            return;
        };
        if let MapEntry::Occupied(mut sessions) = self.map.entry(user.clone()) {
            sessions.get_mut().retain(|e| !Arc::ptr_eq(e, entry));
            if sessions.get().is_empty() {
                // No user with no session is kept: the index holds nothing after churn.
                sessions.remove();
            }
        }
    }

    /// The live sessions of `user`.
    pub(crate) fn sessions(&self, user: &str) -> Vec<Arc<Entry>> {
        self.map
            .get(user)
            .map(|sessions| sessions.clone())
            .unwrap_or_default()
    }

    /// How many live sessions `user` has.
    pub(crate) fn count(&self, user: &str) -> usize {
        self.map.get(user).map_or(0, |sessions| sessions.len())
    }

    /// How many users have a live session.
    pub(crate) fn users(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SessionConfig;
    use crate::registry::Registry;
    use crate::registry::test_support::start;

    fn user(name: &str) -> UserKey {
        UserKey::parse(name).unwrap()
    }

    #[test]
    fn a_user_has_many_sessions_and_a_session_one_user() {
        let registry = Registry::new(&SessionConfig::default());
        let index = UserIndex::default();
        let (a, b, c) = (
            start(&registry, "a"),
            start(&registry, "b"),
            start(&registry, "c"),
        );
        assert_eq!(index.bind(&a, &user("alice")), Ok(true));
        assert_eq!(index.bind(&b, &user("alice")), Ok(true));
        assert_eq!(index.bind(&c, &user("bob")), Ok(true));
        assert_eq!(index.bind(&a, &user("alice")), Ok(false), "already hers");
        assert_eq!(index.bind(&a, &user("bob")), Err(Unbound::OtherUser));
        assert_eq!(index.count("alice"), 2);
        assert_eq!(index.count("bob"), 1);
        assert_eq!(index.users(), 2);
        let hers = index.sessions("alice");
        assert!(hers.iter().any(|e| Arc::ptr_eq(e, &a)));
        assert!(hers.iter().any(|e| Arc::ptr_eq(e, &b)));
    }

    #[test]
    fn unbinding_the_last_session_forgets_the_user() {
        let registry = Registry::new(&SessionConfig::default());
        let index = UserIndex::default();
        let a = start(&registry, "a");
        index.bind(&a, &user("alice")).unwrap();
        index.unbind(&a);
        index.unbind(&a);
        assert_eq!(index.users(), 0);
        assert!(index.sessions("alice").is_empty());
    }

    #[test]
    fn a_session_that_is_not_registered_is_not_bound() {
        let registry = Registry::new(&SessionConfig::default());
        let index = UserIndex::default();
        let a = start(&registry, "a");
        assert!(registry.deregister(&a));
        assert_eq!(index.bind(&a, &user("alice")), Err(Unbound::NotLive));
        assert_eq!(index.users(), 0);
    }
}
