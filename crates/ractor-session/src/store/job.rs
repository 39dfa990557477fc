//! Asynchronous actions: a [`StoreJob`] runs in a store session's runtime and its result is
//! dispatched to the store; the caller holds a [`JobHandle`] to cancel it or wait for it.
//!
//! Why a job returns its actions rather than dispatching them as it goes: the store then
//! sees all of a job or none of it. A job cancelled, panicking, or outlived by its session
//! dispatches nothing, so it cannot leave the state half-way; the session applies its
//! actions together, in one turn, and only if no `cancel` came first (the two race for one
//! compare-and-set on the job's status, so exactly one wins).

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt as _;
use tokio::sync::watch;

use super::error::panic_message;
use crate::session::current_session_id;

/// Where a job stands, from [`JobHandle::status`] and [`JobHandle::finished`].
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::store::{JobStatus, Store, StoreSessions};
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// let sum = StoreSessions::new(manager.clone()).start("s1", Store::new(0_u32, |n: &u32, k: &u32| n + k)).await?;
/// let job = sum.spawn(|_| async {
///     panic!("the price service is down");
///     #[allow(unreachable_code)]
///     None
/// })?;
/// assert_eq!(job.finished().await, JobStatus::Panicked("the price service is down".into()));
/// assert_eq!(*sum.state().await?, 0);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobStatus {
    /// Not finished yet.
    Running,
    /// Finished; its actions were dispatched to the store, in order, each through the
    /// middleware and the reducer (a refused one is logged at `DEBUG`, as for `cast`).
    Dispatched,
    /// Cancelled before its actions were dispatched: it dispatched nothing.
    Cancelled,
    /// The job panicked (with this message): it dispatched nothing, and the session
    /// carries on.
    Panicked(String),
    /// Its session ended (or could not be reached) first: it dispatched nothing.
    Stopped,
}

/// The caller's handle on a job started by
/// [`StoreHandle::spawn`](super::StoreHandle::spawn): cancel it, read its status, or wait
/// for it to finish. Dropping it leaves the job running. A cheap [`Clone`].
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::store::{JobStatus, Store, StoreSessions};
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// let sum = StoreSessions::new(manager.clone()).start("s1", Store::new(0_u32, |n: &u32, k: &u32| n + k)).await?;
/// let slow = sum.spawn(|_| async { std::future::pending::<Option<u32>>().await })?;
/// assert!(slow.cancel());
/// assert!(!slow.cancel(), "only once");
/// assert_eq!(slow.finished().await, JobStatus::Cancelled);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct JobHandle {
    status: Arc<watch::Sender<JobStatus>>,
}

impl fmt::Debug for JobHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobHandle")
            .field("status", &*self.status.borrow())
            .finish()
    }
}

/// Moves a running job to `to`; `false` when it had finished already.
fn finish(status: &watch::Sender<JobStatus>, to: JobStatus) -> bool {
    status.send_if_modified(|held| {
        let running = *held == JobStatus::Running;
        if running {
            *held = to;
        }
        running
    })
}

impl JobHandle {
    /// Cancels the job: it stops at its next `.await` and its actions are never dispatched.
    /// Returns `true` if this call cancelled it, `false` if it had finished already (its
    /// actions dispatched, or it panicked, was cancelled or stopped).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::store::{Store, StoreSessions};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let sum = StoreSessions::new(manager.clone()).start("s1", Store::new(0_u32, |n: &u32, k: &u32| n + k)).await?;
    /// let quick = sum.spawn(|_| async { Some(2) })?;
    /// quick.finished().await;
    /// assert!(!quick.cancel(), "too late: its action was dispatched");
    /// assert_eq!(*sum.state().await?, 2);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn cancel(&self) -> bool {
        finish(&self.status, JobStatus::Cancelled)
    }

    /// Where the job stands now.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::store::{JobStatus, Store, StoreSessions};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let sum = StoreSessions::new(manager.clone()).start("s1", Store::new(0_u32, |n: &u32, k: &u32| n + k)).await?;
    /// let job = sum.spawn(|_| std::future::pending::<Vec<u32>>())?;
    /// assert_eq!(job.status(), JobStatus::Running);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn status(&self) -> JobStatus {
        self.status.borrow().clone()
    }

    /// Waits until the job has finished, and says how.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::store::{JobStatus, Store, StoreSessions};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let sum = StoreSessions::new(manager.clone()).start("s1", Store::new(0_u32, |n: &u32, k: &u32| n + k)).await?;
    /// let job = sum.spawn(|state| async move { [*state + 1, 10] })?;
    /// assert_eq!(job.finished().await, JobStatus::Dispatched);
    /// assert_eq!(*sum.state().await?, 11);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn finished(&self) -> JobStatus {
        let mut status = self.status.subscribe();
        // The sender lives in `self`, so the wait cannot fail.
        let finished = status
            .wait_for(|status| *status != JobStatus::Running)
            .await;
        finished.map_or(JobStatus::Stopped, |status| status.clone())
    }
}

/// Marks its job [`JobStatus::Stopped`] when dropped before the job finished: whichever of
/// the message, the task or the result delivery holds it when the session goes away.
struct Guard(Arc<watch::Sender<JobStatus>>);

impl Drop for Guard {
    fn drop(&mut self) {
        finish(&self.0, JobStatus::Stopped);
    }
}

type Work<A> = Pin<Box<dyn Future<Output = Vec<A>> + Send>>;
type Start<S, A> = Box<dyn FnOnce(Arc<S>) -> Work<A> + Send>;

/// An asynchronous job for a store session: the message
/// [`StoreMsg::Spawn`](super::StoreMsg::Spawn) carries, which
/// [`StoreHandle::spawn`](super::StoreHandle::spawn) builds for you.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::SessionManager;
/// use ractor_session::store::{JobStatus, Store, StoreJob, StoreMsg, StoreSession};
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// manager.start_with("s1", StoreSession::new(), Store::new(0_u32, |n: &u32, k: &u32| n + k)).await?;
/// let (job, handle) = StoreJob::<u32, u32>::new(|_| async { Some(5) });
/// manager.cast("s1", StoreMsg::Spawn(job)).await?;
/// assert_eq!(handle.finished().await, JobStatus::Dispatched);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct StoreJob<S, A> {
    start: Start<S, A>,
    guard: Guard,
}

impl<S, A> fmt::Debug for StoreJob<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreJob")
    }
}

impl<S, A> StoreJob<S, A> {
    /// The job `job`, and the handle on it: given the store's state when the session
    /// starts it, `job` returns a future whose output (any iterable of actions: `Option`,
    /// `Vec`, an array) is dispatched to the store.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::StoreJob;
    /// let (job, handle) = StoreJob::<u32, u32>::new(|state| async move { [*state + 1] });
    /// ```
    pub fn new<F, Fut, I>(job: F) -> (Self, JobHandle)
    where
        F: FnOnce(Arc<S>) -> Fut + Send + 'static,
        Fut: Future<Output = I> + Send + 'static,
        I: IntoIterator<Item = A>,
        S: Send + Sync + 'static,
        A: Send + 'static,
    {
        let (status, _) = watch::channel(JobStatus::Running);
        let status = Arc::new(status);
        let start: Start<S, A> =
            Box::new(move |state| Box::pin(async move { job(state).await.into_iter().collect() }));
        let job = Self {
            start,
            guard: Guard(Arc::clone(&status)),
        };
        (job, JobHandle { status })
    }
}

/// A finished job's actions on their way to the store.
pub(super) struct Delivery<A> {
    actions: Vec<A>,
    guard: Guard,
}

impl<A> Delivery<A> {
    /// Dispatches the actions with `dispatch`, unless the job was cancelled meanwhile.
    pub(super) fn apply(self, dispatch: impl FnMut(A)) {
        if finish(&self.guard.0, JobStatus::Dispatched) {
            self.actions.into_iter().for_each(dispatch);
        }
    }
}

/// The running jobs of one store: stopped when the store is dropped (its session ended).
#[derive(Default)]
pub(super) struct Jobs {
    running: Vec<Arc<watch::Sender<JobStatus>>>,
}

impl Jobs {
    pub(super) fn len(&self) -> usize {
        self.running.len()
    }

    /// Runs `job` on its own task, given `state`; once it finishes, hands its actions to
    /// `deliver` (which sends them back to the session). A job cancelled before it starts
    /// is not run.
    pub(super) fn start<S, A>(
        &mut self,
        job: StoreJob<S, A>,
        state: Arc<S>,
        deliver: impl FnOnce(Delivery<A>) + Send + 'static,
    ) where
        S: Send + Sync + 'static,
        A: Send + 'static,
    {
        self.running
            .retain(|status| *status.borrow() == JobStatus::Running);
        let StoreJob { start, guard } = job;
        if *guard.0.borrow() != JobStatus::Running {
            return;
        }
        self.running.push(Arc::clone(&guard.0));
        let mut status = guard.0.subscribe();
        // Jobs run outside the session's task, where its ID is no longer in scope.
        let session = current_session_id().map(|id| id.redacted());
        // Everything the caller wrote runs inside `catch_unwind`, including `start`.
        let work = AssertUnwindSafe(async move { start(state).await }).catch_unwind();
        tokio::spawn(async move {
            tokio::select! {
                biased;
                _ = status.wait_for(|status| *status != JobStatus::Running) => {}
                outcome = work => match outcome {
                    Ok(actions) => deliver(Delivery { actions, guard }),
                    Err(panic) => {
                        let message = panic_message(&*panic);
                        let session = session.map(tracing::field::display);
                        tracing::warn!(target: "ractor_session::store", session, panic = %message, "store job panicked; it dispatched nothing");
                        finish(&guard.0, JobStatus::Panicked(message));
                    }
                },
            }
        });
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        for status in &self.running {
            finish(status, JobStatus::Stopped);
        }
    }
}
