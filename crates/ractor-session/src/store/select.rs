//! Server-side select: [`StoreSelect`], a selector a store session runs on its state,
//! sending back only what it selects; a panic in it is caught and answered as
//! [`StoreError::SelectorPanicked`].

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use ractor::RpcReplyPort;

use super::error::StoreError;
use crate::session::current_session_id;

/// A selector for a store session to run on its state, with the port its result goes back
/// on: the message [`StoreMsg::Select`](super::StoreMsg::Select) carries, which
/// [`StoreHandle::select`](super::StoreHandle::select) builds for you.
///
/// The selector runs inside the session, in turn with its other messages, and only what it
/// returns crosses the mailbox. A panic in it is caught: the caller gets
/// [`StoreError::SelectorPanicked`], the state is untouched (a selector only reads it), and
/// the session serves on.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::SessionManager;
/// use ractor_session::store::{Store, StoreMsg, StoreSelect, StoreSession};
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// let store = Store::new(vec![3_u32, 4], |v: &Vec<u32>, x: &u32| [v.as_slice(), &[*x]].concat());
/// manager.start_with("s1", StoreSession::new(), store).await?;
/// let len = manager
///     .call("s1", |reply| StoreMsg::<Vec<u32>, u32>::Select(StoreSelect::new(|v: &Vec<u32>| v.len(), reply)))
///     .await??;
/// assert_eq!(len, 2);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct StoreSelect<S>(Box<dyn FnOnce(&S) + Send>);

impl<S> fmt::Debug for StoreSelect<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreSelect")
    }
}

impl<S> StoreSelect<S> {
    /// Runs `select` on the state and sends what it returns, or the panic it raised as
    /// [`StoreError::SelectorPanicked`], to `reply`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use ractor_session::store::StoreSelect;
    /// let (reply, answer) = tokio::sync::oneshot::channel();
    /// let select = StoreSelect::<u32>::new(|n: &u32| n * 2, reply.into());
    /// # drop(select);
    /// # }
    /// ```
    pub fn new<T: Send + 'static>(
        select: impl FnOnce(&S) -> T + Send + 'static,
        reply: RpcReplyPort<Result<T, StoreError>>,
    ) -> Self {
        Self(Box::new(move |state| {
            let selected = catch_unwind(AssertUnwindSafe(|| select(state))).map_err(|panic| {
                let error = StoreError::selector_panicked(&*panic);
                let session = current_session_id().map(|id| tracing::field::display(id.redacted()));
                tracing::warn!(target: "ractor_session::store", session, %error, "selector panicked; the session carries on");
                error
            });
            let _ = reply.send(selected);
        }))
    }

    /// Runs the selector on `state` and replies.
    pub(super) fn run(self, state: &S) {
        (self.0)(state);
    }
}
