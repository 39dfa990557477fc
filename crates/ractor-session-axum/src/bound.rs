//! [`BoundSession`]: a session handle held under the ID a request knows it by.

use std::fmt;

use ractor_session::{SessionError, SessionHandle, SessionId, SessionWatch};

/// A session found once, bound to the ID this request holds it under.
///
/// A [`SessionHandle`] follows its session through a rotation. A request must not: one
/// that came with the old ID and is still running when another request (a login) rotates
/// the session would otherwise act on the rotated session, and learn its new ID from the
/// `Set-Cookie` of its response. So everything here checks that the session is still under
/// this ID — a lock and a comparison, no registry lookup — and answers as a lookup of the
/// ID would once it is not: `SessionNotFound`. The request's own rotation rebinds it.
#[derive(Clone)]
pub(crate) struct BoundSession {
    id: SessionId,
    handle: SessionHandle,
}

impl fmt::Debug for BoundSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The ID is a bearer secret: show its hash only.
        f.debug_struct("BoundSession")
            .field("id", &self.id.redacted())
            .field("handle", &self.handle)
            .finish()
    }
}

impl BoundSession {
    pub(crate) fn new(id: SessionId, handle: SessionHandle) -> Self {
        Self { id, handle }
    }

    pub(crate) fn id(&self) -> &SessionId {
        &self.id
    }

    /// Whether the session is live under this ID: an atomic load and an ID comparison.
    pub(crate) fn is_live(&self) -> bool {
        self.handle.is_live() && self.handle.has_id(&self.id)
    }

    /// Whether the session lives on under another ID: this ID was rotated away.
    /// Stopped here, living on in another activation (another node of the cluster).
    pub(crate) fn moved_on(&self) -> bool {
        !self.handle.is_live() && self.handle.moved_on()
    }

    pub(crate) fn is_rotated_away(&self) -> bool {
        self.handle.is_live() && !self.handle.has_id(&self.id)
    }

    /// The handle, while the session is still under this ID.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] once it has been rotated to another ID (a handle
    /// whose session has ended fails its own operations the same way).
    pub(crate) fn handle(&self) -> Result<&SessionHandle, SessionError> {
        if self.handle.has_id(&self.id) {
            Ok(&self.handle)
        } else {
            Err(self.not_found())
        }
    }

    /// A watch on the session under this ID: it resolves when the session ends or this ID
    /// is rotated away.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] if the session has ended or left this ID.
    pub(crate) fn watch(&self) -> Result<SessionWatch, SessionError> {
        if !self.handle.is_live() {
            return Err(self.not_found());
        }
        let watch = self.handle.watch();
        // Checked after the watcher is in place: an ID never comes back, so if it is still
        // this one, the watcher was registered under it and a later rotation tells it.
        if self.handle.has_id(&self.id) {
            Ok(watch)
        } else {
            Err(self.not_found())
        }
    }

    fn not_found(&self) -> SessionError {
        SessionError::SessionNotFound {
            id: self.id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use ractor_session::{EndReason, KvMsg, SessionManager};

    use super::*;

    async fn bound(manager: &SessionManager) -> BoundSession {
        manager.start("s1").await.unwrap();
        let handle = manager.session("s1").unwrap();
        BoundSession::new(handle.id(), handle)
    }

    #[tokio::test]
    async fn a_rotation_elsewhere_unbinds_the_session() {
        let manager = SessionManager::spawn(Default::default()).await.unwrap();
        let session = bound(&manager).await;
        assert!(session.is_live());
        session.handle().unwrap().cast(KvMsg::put("a", 1)).unwrap();

        let new = manager.rotate("s1").await.unwrap();
        assert!(!session.is_live());
        assert!(session.is_rotated_away());
        assert!(matches!(
            session.handle(),
            Err(SessionError::SessionNotFound { id }) if id.as_str() == "s1"
        ));
        assert!(session.watch().is_err());

        // Rebound to the new ID, it reaches the same session again.
        let rebound = BoundSession::new(new.clone(), session.handle.clone());
        assert!(rebound.is_live());
        let value = rebound
            .handle()
            .unwrap()
            .call(|reply| KvMsg::Get {
                key: "a".into(),
                reply,
            })
            .await
            .unwrap();
        assert_eq!(value, Some(1.into()));
        manager.shutdown().await;
    }

    #[tokio::test]
    async fn its_watch_hears_the_rotation_and_refuses_an_ended_session() {
        let manager = SessionManager::spawn(Default::default()).await.unwrap();
        let session = bound(&manager).await;
        let watch = session.watch().unwrap();
        let new = manager.rotate("s1").await.unwrap();
        assert_eq!(watch.await, EndReason::Rotated);

        manager.terminate(&new).await.unwrap();
        let rebound = BoundSession::new(new, session.handle.clone());
        assert!(!rebound.is_live());
        assert!(!session.is_rotated_away(), "ended, not rotated");
        assert!(rebound.watch().is_err());
        manager.shutdown().await;
    }
}
