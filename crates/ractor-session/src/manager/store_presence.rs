//! Whether a manager keeps its sessions in a store: what an adapter asks before it looks
//! for an unknown ID anywhere but in memory.

use super::SessionManager;

impl SessionManager {
    /// Whether this manager has a [session store](crate::durable::SessionStore): then an
    /// ID not in memory may still name a stored session, which [`resume`](Self::resume)
    /// revives. Without one, an ID not in memory names no session at all.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use ractor_session::durable::MemoryStore;
    /// use ractor_session::{SessionConfig, SessionManager};
    ///
    /// let plain = SessionManager::spawn(SessionConfig::default()).await?;
    /// assert!(!plain.has_store());
    ///
    /// let durable = SessionManager::builder(SessionConfig::default())
    ///     .with_store(Arc::new(MemoryStore::new()))
    ///     .spawn()
    ///     .await?;
    /// assert!(durable.has_store());
    /// # plain.shutdown().await;
    /// # durable.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn has_store(&self) -> bool {
        self.shared.persistence.is_some()
    }
}
