//! Sessions by user: binding a session to the user who logged in, and finding, listing,
//! counting, pushing to and ending all sessions of a user ("log out everywhere", as
//! OWASP asks for after a password change).
//!
//! The index itself is `user_index`; here is what the manager and a [`SessionHandle`] do
//! with it. With a store, the binding is written with the session's record, so a revived
//! session is bound again and [`terminate_user`](SessionManager::terminate_user) deletes
//! the stored sessions of the user too.

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::future::join_all;
use ractor::Message;

use crate::entry::Entry;
use crate::error::SessionError;
use crate::handle::{SessionHandle, typed};
use crate::id::SessionId;
use crate::shared::Shared;
use crate::telemetry;
use crate::user::UserKey;
use crate::user_index::Unbound;
use crate::watch::EndReason;

use super::info::{self, SessionInfo};
use super::{SessionManager, revive, stop};

impl SessionManager {
    /// Binds the session `id` to `user`, after the user has logged in; a session only
    /// stored is revived first. Binding a session to the user it is bound to already does
    /// nothing. With a store, the binding is written with the session's record.
    ///
    /// Rotate the session's ID at the same time ([`rotate`](Self::rotate); the axum
    /// adapter's `Session::login` does both): a login is a change of privilege.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] (or `InvalidSessionId`) when no session has this
    /// ID; [`SessionError::BoundToAnotherUser`] when the session belongs to someone else
    /// (a session belongs to one user for its whole life); the errors of
    /// [`resume`](Self::resume) when it must be revived.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{SessionError, UserKey};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let (alice, bob) = (UserKey::parse("alice")?, UserKey::parse("bob")?);
    /// manager.start("s1").await?;
    /// manager.bind_user("s1", &alice).await?;
    /// assert_eq!(manager.count_user(&alice), 1);
    /// assert!(matches!(
    ///     manager.bind_user("s1", &bob).await,
    ///     Err(SessionError::BoundToAnotherUser { .. })
    /// ));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn bind_user(&self, id: impl AsRef<str>, user: &UserKey) -> Result<(), SessionError> {
        #[cfg(feature = "cluster")]
        if let Some((route, owner, id)) = self.remote(id.as_ref())? {
            let op = crate::routing::Op::BindUser {
                user: user.as_str().to_owned(),
            };
            route
                .send_op(&owner, &id, op, self.config().call_timeout)
                .await?;
            return Ok(());
        }
        self.bind_user_here(id, user).await
    }

    /// The user the session `id` is bound to, if any: wherever it lives (in a cluster,
    /// asked of its owner), revived from the store first if only stored.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] or `InvalidSessionId`; the errors of
    /// [`resume`](Self::resume); in a cluster, those of reaching the owner.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::UserKey;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// assert_eq!(manager.user_of("s1").await?, None);
    /// manager.bind_user("s1", &UserKey::parse("alice")?).await?;
    /// assert_eq!(manager.user_of("s1").await?.unwrap().as_str(), "alice");
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn user_of(&self, id: impl AsRef<str>) -> Result<Option<UserKey>, SessionError> {
        #[cfg(feature = "cluster")]
        if let Some((route, owner, id)) = self.remote(id.as_ref())? {
            let op = crate::routing::Op::User;
            let user = route
                .send_op(&owner, &id, op, self.config().call_timeout)
                .await?;
            let user: Option<String> = crate::routing::decode(&owner, user)?;
            return user
                .map(|user| UserKey::parse(&user))
                .transpose()
                .map_err(Into::into);
        }
        self.user_of_here(id).await
    }

    /// `user_of`, on this node.
    pub(crate) async fn user_of_here(
        &self,
        id: impl AsRef<str>,
    ) -> Result<Option<UserKey>, SessionError> {
        Ok(self.resume(id).await?.user())
    }

    /// `bind_user`, on this node.
    pub(crate) async fn bind_user_here(
        &self,
        id: impl AsRef<str>,
        user: &UserKey,
    ) -> Result<(), SessionError> {
        let entry = revive::find(&self.shared, id.as_ref()).await?;
        bind(&self.shared, &entry, user)
    }

    /// Handles on every live session of `user`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{KvMsg, Pong, UserKey};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let alice = UserKey::parse("alice")?;
    /// manager.start("phone").await?;
    /// manager.bind_user("phone", &alice).await?;
    /// for session in manager.user_sessions(&alice) {
    ///     assert_eq!(session.call(KvMsg::Ping).await?, Pong);
    /// }
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn user_sessions(&self, user: &UserKey) -> Vec<SessionHandle> {
        self.shared
            .registry
            .users
            .sessions(user.as_str())
            .into_iter()
            .map(|entry| SessionHandle::new(Arc::clone(&self.shared), entry))
            .collect()
    }

    /// A row for every live session of `user`, as [`list`](Self::list) gives them.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::UserKey;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let alice = UserKey::parse("alice")?;
    /// manager.start("laptop").await?;
    /// manager.bind_user("laptop", &alice).await?;
    /// let rows = manager.list_user(&alice);
    /// assert_eq!(rows[0].id.as_str(), "laptop");
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn list_user(&self, user: &UserKey) -> Vec<SessionInfo> {
        let entries = self.shared.registry.users.sessions(user.as_str());
        entries
            .iter()
            .filter_map(|entry| info::row(&entry.id(), entry))
            .collect()
    }

    /// How many live sessions `user` has.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::UserKey;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let alice = UserKey::parse("alice")?;
    /// assert_eq!(manager.count_user(&alice), 0);
    /// manager.start("s1").await?;
    /// manager.bind_user("s1", &alice).await?;
    /// assert_eq!(manager.count_user(&alice), 1);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn count_user(&self, user: &UserKey) -> usize {
        self.shared.registry.users.count(user.as_str())
    }

    /// How many users have at least one live session bound to them.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::UserKey;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// manager.bind_user("s1", &UserKey::parse("alice")?).await?;
    /// assert_eq!(manager.user_count(), 1);
    /// manager.terminate("s1").await?;
    /// assert_eq!(manager.user_count(), 0);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn user_count(&self) -> usize {
        self.shared.registry.users.users()
    }

    /// Casts a message made by `make` to every live session of `user` that takes messages
    /// of type `M` (sessions of other types are skipped); returns how many it reached. A
    /// push from the server is not the user's activity: it does not postpone expiry.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{KvMsg, UserKey};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let alice = UserKey::parse("alice")?;
    /// for id in ["phone", "laptop"] {
    ///     manager.start(id).await?;
    ///     manager.bind_user(id, &alice).await?;
    /// }
    /// assert_eq!(manager.cast_user(&alice, || KvMsg::put("notice", "password changed")), 2);
    /// let notice = manager.call("phone", |reply| KvMsg::Get { key: "notice".into(), reply }).await?;
    /// assert_eq!(notice, Some("password changed".into()));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn cast_user<M: Message>(&self, user: &UserKey, make: impl Fn() -> M) -> usize {
        let entries = self.shared.registry.users.sessions(user.as_str());
        entries
            .iter()
            .filter(|entry| entry.is_registered())
            .filter_map(|entry| typed::<M>(entry).ok())
            .filter(|actor| actor.cast(make()).is_ok())
            .count()
    }

    /// Ends every session of `user` — "log out everywhere", e.g. after a password
    /// change — and returns how many it ended.
    ///
    /// Each live session stops gracefully as with [`terminate`](Self::terminate), but its
    /// watchers (and so its live sockets) are told
    /// [`EndReason::LoggedOut`](crate::EndReason::LoggedOut). With a store, the stored
    /// sessions of the user are deleted first (so none of them can be revived meanwhile),
    /// live ones' records with them. A session bound after this call began (a new login)
    /// is not ended.
    ///
    /// # Errors
    ///
    /// [`SessionError::StoreFailed`] when the store failed to delete the user's records;
    /// the live sessions are ended all the same, and a retry deletes what is left.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::{EndReason, UserKey};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let (alice, bob) = (UserKey::parse("alice")?, UserKey::parse("bob")?);
    /// for (id, user) in [("phone", &alice), ("laptop", &alice), ("desk", &bob)] {
    ///     manager.start(id).await?;
    ///     manager.bind_user(id, user).await?;
    /// }
    /// let phone = manager.watch("phone").await?;
    /// assert_eq!(manager.terminate_user(&alice).await?, 2);
    /// assert_eq!(phone.await, EndReason::LoggedOut);
    /// assert!(manager.is_started("desk"));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn terminate_user(&self, user: &UserKey) -> Result<usize, SessionError> {
        let here = self.terminate_user_here(user).await?;
        #[cfg(feature = "cluster")]
        if let Some(route) = self.route() {
            let timeout = self.config().call_timeout;
            return Ok(here
                + route
                    .terminate_user_elsewhere(user.as_str(), timeout)
                    .await?);
        }
        Ok(here)
    }

    /// `terminate_user`, for the sessions on this node (and the user's records).
    pub(crate) async fn terminate_user_here(&self, user: &UserKey) -> Result<usize, SessionError> {
        terminate_user(&self.shared, user).await
    }
}

impl SessionHandle {
    /// Binds this session to `user`, as
    /// [`SessionManager::bind_user`](crate::SessionManager::bind_user) does.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] once the session has ended;
    /// [`SessionError::BoundToAnotherUser`] when it belongs to someone else.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::UserKey;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let session = manager.session("s1")?;
    /// session.bind_user(&UserKey::parse("alice")?)?;
    /// assert_eq!(session.user().unwrap().as_str(), "alice");
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn bind_user(&self, user: &UserKey) -> Result<(), SessionError> {
        let (shared, entry) = self.parts();
        bind(shared, entry, user)
    }

    /// The user this session is bound to, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// assert!(manager.session("s1")?.user().is_none());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn user(&self) -> Option<UserKey> {
        self.parts().1.user()
    }
}

/// Binds the session of `entry` to `user`; with a store, queues the write that records it.
fn bind(shared: &Shared, entry: &Arc<Entry>, user: &UserKey) -> Result<(), SessionError> {
    match shared.registry.users.bind(entry, user) {
        Ok(true) => {
            if let Some(persistence) = &shared.persistence {
                persistence.bound(entry);
            }
            Ok(())
        }
        Ok(false) => Ok(()),
        Err(Unbound::NotLive) => Err(SessionError::SessionNotFound { id: entry.id() }),
        Err(Unbound::OtherUser) => Err(SessionError::BoundToAnotherUser { id: entry.id() }),
    }
}

/// A session revived from a record bound to `user` is bound again (its record says so
/// already: nothing to write).
pub(super) fn rebind_revived(shared: &Shared, entry: &Arc<Entry>, user: &UserKey) {
    // It may have ended already, which is no error here.
    let _ = shared.registry.users.bind(entry, user);
}

async fn terminate_user(shared: &Arc<Shared>, user: &UserKey) -> Result<usize, SessionError> {
    // Stored first: a record deleted can no longer be revived behind our back. The live
    // sessions' records go too; ending them below deletes nothing more.
    let stored = match &shared.persistence {
        Some(persistence) => persistence.delete_user(user).await.map(Some),
        None => Ok(None),
    };
    // Parked (passivated) sessions, once they exist, are neither live here nor always
    // in the store: they would be dropped at this point, from the parked set by user.
    let live = shared.registry.users.sessions(user.as_str());
    let live_ids: HashSet<SessionId> = live.iter().map(|entry| entry.id()).collect();
    let ends = live
        .iter()
        .map(|entry| stop::end_session(shared, entry, EndReason::LoggedOut));
    let mut ended = 0;
    let mut failure = None;
    for outcome in join_all(ends).await {
        match outcome {
            Ok(true) => ended += 1,
            Ok(false) => {}
            // Ended, but its record's deletion failed (it is retried).
            Err(error) => {
                ended += 1;
                failure.get_or_insert(error);
            }
        }
    }
    let stored = stored.map_err(SessionError::store("delete"))?;
    let stored_only = stored
        .iter()
        .flatten()
        .filter(|id| !live_ids.contains(*id))
        .count();
    telemetry::logged_out(user.redacted(), ended, stored_only);
    match failure {
        Some(error) => Err(error),
        None => Ok(ended + stored_only),
    }
}
