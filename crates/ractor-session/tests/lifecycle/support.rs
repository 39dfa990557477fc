//! What several of the lifecycle tests use.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::runtime::Handle;
use tokio::sync::Notify;

/// The tasks alive on this test's runtime, to check that a manager leaves none behind.
pub(crate) fn alive_tasks() -> usize {
    Handle::current().metrics().num_alive_tasks()
}

/// Counts its `post_stop` runs in `stopped`; its handler can be made to take a while.
pub(crate) struct Graceful {
    pub(crate) stopped: Arc<AtomicUsize>,
}

/// Messages of [`Graceful`].
pub(crate) enum GracefulMsg {
    /// Tells `started` when it begins, then takes the given time.
    Work(Duration, Arc<Notify>, RpcReplyPort<()>),
}

#[cfg(feature = "cluster")]
impl ractor::Message for GracefulMsg {}

impl Actor for Graceful {
    type Msg = GracefulMsg;
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<GracefulMsg>, (): ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        _: ActorRef<GracefulMsg>,
        GracefulMsg::Work(time, started, reply): GracefulMsg,
        (): &mut (),
    ) -> Result<(), ActorProcessingErr> {
        started.notify_one();
        tokio::time::sleep(time).await;
        let _ = reply.send(());
        Ok(())
    }

    async fn post_stop(
        &self,
        _: ActorRef<GracefulMsg>,
        (): &mut (),
    ) -> Result<(), ActorProcessingErr> {
        self.stopped.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}
