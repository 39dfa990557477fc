//! Logging in and logging out everywhere from a handler: [`Session::login`] binds this
//! request's session to a user and moves it to a fresh ID in the same step (no session
//! fixation), and [`Session::log_out_everywhere`] ends every session of that user.

use ractor::Message;
use ractor_session::{SessionError, SessionId, UserKey};

use crate::extract::Session;

impl<M: Message> Session<M> {
    /// Logs this session in as `user`: moves it to a fresh ID, as
    /// [`rotate`](Self::rotate) does (the response carries the new cookie; the old ID,
    /// which someone may have planted, stops working), then binds it to `user`
    /// ([`SessionManager::bind_user`](ractor_session::SessionManager::bind_user)), so that
    /// [`log_out_everywhere`](Self::log_out_everywhere) and
    /// [`terminate_user`](ractor_session::SessionManager::terminate_user) find it. Check
    /// the credentials first: this trusts `user`.
    ///
    /// Logging in again as the same user rotates the ID again and changes nothing else.
    ///
    /// # Errors
    ///
    /// [`SessionError::BoundToAnotherUser`] when the session belongs to someone else
    /// (nothing changes: log out first); [`SessionError::SessionNotFound`] if it has
    /// ended meanwhile; the errors of [`rotate`](Self::rotate).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::UserKey;
    /// use ractor_session_axum::{Session, SessionRejection};
    ///
    /// async fn log_in(mut session: Session, name: String) -> Result<&'static str, SessionRejection> {
    ///     // ... check the password, then:
    ///     let user = UserKey::parse(&name).map_err(ractor_session::SessionError::from)?;
    ///     session.login(&user).await?;
    ///     Ok("welcome")
    /// }
    /// ```
    pub async fn login(&mut self, user: &UserKey) -> Result<SessionId, SessionError> {
        let handle = self.handle()?.clone();
        if handle.user().is_some_and(|bound| &bound != user) {
            return Err(SessionError::BoundToAnotherUser {
                id: self.id().clone(),
            });
        }
        // Rotated first: were the binding made first and the rotation then failed, a
        // planted ID would stay valid and logged in.
        let new = self.rotate().await?;
        // The handle follows its session to the new ID.
        handle.bind_user(user)?;
        Ok(new)
    }

    /// The user this session is logged in as, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::Session;
    ///
    /// async fn greet(session: Session) -> String {
    ///     match session.user() {
    ///         Some(user) => format!("hello, {user}"),
    ///         None => "please log in".to_owned(),
    ///     }
    /// }
    /// ```
    #[must_use]
    pub fn user(&self) -> Option<UserKey> {
        self.handle().ok().and_then(|handle| handle.user())
    }

    /// Ends every session of this session's user, this one included ("log out
    /// everywhere", e.g. after a password change): each stops gracefully, its live sockets
    /// get `logged_out` ([`LiveEnd::LoggedOut`](crate::LiveEnd::LoggedOut)), stored ones
    /// are deleted, and this response clears the cookie. A session not logged in ends
    /// alone, as with [`terminate`](Self::terminate). Returns how many sessions ended.
    ///
    /// # Errors
    ///
    /// As [`SessionManager::terminate_user`](ractor_session::SessionManager::terminate_user);
    /// for a session not logged in, as [`terminate`](Self::terminate).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{Session, SessionRejection};
    ///
    /// async fn log_out_everywhere(session: Session) -> Result<String, SessionRejection> {
    ///     let ended = session.log_out_everywhere().await?;
    ///     Ok(format!("{ended} sessions ended"))
    /// }
    /// ```
    pub async fn log_out_everywhere(self) -> Result<usize, SessionError> {
        match self.user() {
            Some(user) => self.manager().terminate_user(&user).await,
            None => self.terminate().await.map(|()| 1),
        }
    }
}
