//! [`SessionHandle::limit_lifetime`]: an absolute lifetime for one session, set after it
//! started.
//!
//! A manager's [`max_lifetime`](crate::SessionConfig::max_lifetime) applies to every session
//! it starts. A web layer that wants an absolute lifetime for the sessions *it* starts,
//! whatever the manager's configuration, caps each one as it starts it. The cap only ever
//! shortens the lifetime, counts from the session's start (a rotation does not renew it),
//! and is enforced like the manager's: by the expiry wheel, and by every lookup.
//!
//! With a session store, the shortened deadline is written to the session's record (at
//! the next write: within a `flush_interval`, at once with write-through), and a session
//! revived from its record keeps the record's deadline. A revived session's start, for a
//! later cap, is its revival: the record's deadline stays, and the earlier of the two
//! ends it.

use tokio::time::Duration;

use crate::error::SessionError;
use crate::expiry;
use crate::handle::SessionHandle;

impl SessionHandle {
    /// Ends the session at most `max` after it started, however active it is (reason
    /// [`Expired`](crate::EndReason::Expired)). A shorter lifetime already in force (the
    /// manager's [`max_lifetime`](crate::SessionConfig::max_lifetime), or an earlier call)
    /// stays; a lifetime already over ends the session at the expiry task's next sweep,
    /// and no call or lookup reaches it meanwhile. A durable session's record gets the
    /// new deadline with its next write, so a restart does not lengthen it again.
    ///
    /// # Errors
    ///
    /// [`SessionError::SessionNotFound`] if the session has ended.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let session = manager.session("s1")?;
    /// // Signed in for at most 12 hours, however busy.
    /// session.limit_lifetime(Duration::from_secs(12 * 3600))?;
    /// assert!(session.is_live());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn limit_lifetime(&self, max: Duration) -> Result<(), SessionError> {
        let (shared, entry) = self.parts();
        if !entry.is_registered() {
            return Err(SessionError::SessionNotFound { id: entry.id() });
        }
        let max_ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
        if !entry.limit_hard_deadline(entry.started_ms.saturating_add(max_ms)) {
            return Ok(());
        }
        // The wheel holds the entry in the bucket of its old, later deadline (or of its
        // passivation): move it to its next wake-up.
        expiry::rearm(shared, entry);
        if let Some(persistence) = &shared.persistence {
            // A durable session's record gets the earlier deadline with its next write,
            // queued now: a restart must not give the session its longer lifetime back.
            persistence.touched(entry);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::{Instant, advance};

    use crate::{EndReason, SessionConfig, SessionManager};

    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[tokio::test(start_paused = true)]
    async fn a_limited_session_ends_at_its_lifetime_however_active() {
        let manager = SessionManager::spawn(SessionConfig::default().with_idle_timeout(HOUR))
            .await
            .unwrap();
        let began = Instant::now();
        manager.start("s1").await.unwrap();
        let session = manager.session("s1").unwrap();
        session.limit_lifetime(3 * HOUR).unwrap();
        let ended = session.watch();
        // Active every half hour: the idle timeout alone would never end it.
        for _ in 0..5 {
            advance(HOUR / 2).await;
            session.touch().unwrap();
        }
        assert!(manager.is_started("s1"), "alive after 2.5 hours");
        assert_eq!(ended.await, EndReason::Expired);
        let lived = began.elapsed();
        assert!(lived >= 3 * HOUR, "ended early, after {lived:?}");
        assert!(
            lived <= 3 * HOUR + Duration::from_secs(60),
            "ended late, after {lived:?}"
        );
        manager.shutdown().await;
    }

    #[tokio::test(start_paused = true)]
    async fn only_a_shorter_lifetime_is_taken() {
        let config = SessionConfig::default()
            .with_idle_timeout(10 * HOUR)
            .with_max_lifetime(Some(HOUR));
        let manager = SessionManager::spawn(config).await.unwrap();
        manager.start("s1").await.unwrap();
        let session = manager.session("s1").unwrap();
        session.limit_lifetime(5 * HOUR).unwrap();
        let began = Instant::now();
        assert_eq!(session.watch().await, EndReason::Expired);
        assert!(began.elapsed() <= HOUR + Duration::from_secs(60));

        manager.start("s2").await.unwrap();
        let ended = manager.session("s2").unwrap();
        manager.terminate("s2").await.unwrap();
        assert!(matches!(
            ended.limit_lifetime(HOUR),
            Err(SessionError::SessionNotFound { .. })
        ));
        manager.shutdown().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_lifetime_already_over_ends_the_session_at_once() {
        let manager = SessionManager::spawn(SessionConfig::default().with_idle_timeout(HOUR))
            .await
            .unwrap();
        manager.start("s1").await.unwrap();
        advance(Duration::from_secs(90)).await;
        let session = manager.session("s1").unwrap();
        session.limit_lifetime(Duration::from_secs(60)).unwrap();
        assert!(manager.session("s1").is_err(), "no lookup reaches it");
        assert_eq!(session.watch().await, EndReason::Expired);
        manager.shutdown().await;
    }
}
