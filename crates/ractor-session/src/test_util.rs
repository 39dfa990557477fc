//! Counters for tests of the library's own costs; compiled only with the `test-util`
//! feature, which no application should turn on.

use std::cell::Cell;

thread_local! {
    static LOOKUPS: Cell<u64> = const { Cell::new(0) };
}

pub(crate) fn count_lookup() {
    LOOKUPS.with(|n| n.set(n.get() + 1));
}

/// How many times this thread has looked a session ID up in any manager's registry.
///
/// Every read by ID counts: finding a session (`session`, `call`, `cast`, `touch`,
/// `is_started`, `lookup`, `watch`, …) and claiming an ID to start a session. Writes made
/// once a session was found or claimed (registering, deregistering, rotating) do not.
///
/// Per thread, so that a test on a current-thread runtime counts exactly the lookups its
/// own requests made, whatever other tests run in parallel.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::{KvMsg, test_util::registry_lookups};
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// manager.start("s1").await?;
/// let before = registry_lookups();
/// let session = manager.session("s1")?;
/// session.cast(KvMsg::put("a", 1))?;
/// session.call(KvMsg::Ping).await?;
/// assert_eq!(registry_lookups() - before, 1);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[must_use]
pub fn registry_lookups() -> u64 {
    LOOKUPS.with(Cell::get)
}
