//! An asynchronous job runs in its store session's runtime and its resulting actions are
//! dispatched to the store; its handle cancels it. A cancelled, panicking or outlived job
//! dispatches nothing, so the state is never left half-way, and the session serves on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ractor_session::store::{
    JobStatus, Store, StoreError, StoreHandle, StoreMsg, StoreSessions, StoreTask,
};
use ractor_session::{SessionError, SessionManager};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;
use tokio::sync::oneshot;

type Log = Vec<&'static str>;

/// A store that records the actions it applied, in order.
fn log_store() -> Store<Log, &'static str> {
    Store::new(Vec::new(), |log: &Log, entry: &&'static str| {
        [log.as_slice(), &[*entry]].concat()
    })
}

async fn setup() -> (SessionManager, StoreHandle<Log, &'static str>) {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let log = StoreSessions::new(manager.clone())
        .start("s1", log_store())
        .await
        .unwrap();
    (manager, log)
}

/// Sets its flag when dropped: shows that a job's future was dropped.
struct DropFlag(Arc<AtomicBool>);

/// A flag for a job to hold, and whether it has been dropped.
fn drop_flag() -> (DropFlag, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    (DropFlag(Arc::clone(&dropped)), dropped)
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_jobs_actions_are_dispatched_in_order_after_it_finishes() {
    let (manager, log) = setup().await;
    log.dispatch("before").await.unwrap();
    let (release, gate) = oneshot::channel::<()>();
    let job = log
        .spawn(|state: Arc<Log>| async move {
            gate.await.unwrap();
            // The job saw the state as of its start.
            assert_eq!(*state, ["before"]);
            ["loaded", "ready"]
        })
        .unwrap();
    log.dispatch("meanwhile").await.unwrap();
    assert_eq!(job.status(), JobStatus::Running);
    release.send(()).unwrap();
    assert_eq!(job.finished().await, JobStatus::Dispatched);
    assert_eq!(
        *log.state().await.unwrap(),
        ["before", "meanwhile", "loaded", "ready"]
    );
    assert!(!job.cancel(), "too late to cancel");
    manager.shutdown().await;
}

#[tokio::test]
async fn a_cancelled_job_stops_and_dispatches_nothing() {
    let (manager, log) = setup().await;
    let (flag, dropped) = drop_flag();
    let (started, job_started) = oneshot::channel();
    let job = log
        .spawn(move |_| async move {
            let _flag = flag;
            let _ = started.send(());
            std::future::pending::<()>().await;
            Some("never")
        })
        .unwrap();
    job_started.await.unwrap();
    assert!(job.cancel());
    assert_eq!(job.finished().await, JobStatus::Cancelled);
    eventually("the job's future is dropped", || async {
        dropped.load(Ordering::SeqCst)
    })
    .await;
    log.dispatch("after").await.unwrap();
    assert_eq!(*log.state().await.unwrap(), ["after"]);
    manager.shutdown().await;
}

// Two workers: the session blocks one while the job finishes on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_after_the_job_finished_but_before_its_actions_applied_wins() {
    let (manager, log) = setup().await;
    let (release, gate) = oneshot::channel::<()>();
    let (started, job_started) = oneshot::channel();
    let (done, job_done) = oneshot::channel();
    let job = log
        .spawn(move |_| async move {
            let _ = started.send(());
            gate.await.unwrap();
            let _ = done.send(());
            ["half", "way"]
        })
        .unwrap();
    // Wait until the job has run up to its gate: tokio puts a task spawned on a worker in
    // that worker's next-task (LIFO) slot, which other workers never steal, so had the
    // session blocked its worker before the job's first run, the job would never run.
    job_started.await.unwrap();

    // Hold the session busy, so that the job's actions wait in its mailbox.
    let (unblock, blocked) = std::sync::mpsc::channel::<()>();
    let (busy, session_busy) = oneshot::channel();
    log.session()
        .cast(StoreMsg::Run(StoreTask::new(
            move |_: &mut Store<Log, &str>| {
                let _ = busy.send(());
                blocked.recv().unwrap();
            },
        )))
        .unwrap();
    session_busy.await.unwrap();
    release.send(()).unwrap();
    job_done.await.unwrap();

    assert!(job.cancel(), "its actions were not applied yet");
    unblock.send(()).unwrap();
    assert_eq!(job.finished().await, JobStatus::Cancelled);
    log.dispatch("after").await.unwrap();
    assert_eq!(*log.state().await.unwrap(), ["after"]);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_panicking_job_dispatches_nothing_and_the_session_serves_on() {
    let (manager, log) = setup().await;
    let watch = log.session().watch();
    let job = log
        .spawn(|_| async {
            tokio::task::yield_now().await;
            panic!("the price service is down");
            #[allow(unreachable_code)]
            Some("never")
        })
        .unwrap();
    assert_eq!(
        job.finished().await,
        JobStatus::Panicked("the price service is down".into())
    );
    // A job panicking as it is built, before its first `.await`, is contained too.
    let early = log
        .spawn(|_| -> std::future::Ready<Option<&'static str>> { panic!("no future") })
        .unwrap();
    assert_eq!(
        early.finished().await,
        JobStatus::Panicked("no future".into())
    );

    assert_eq!(*log.dispatch("still here").await.unwrap(), ["still here"]);
    assert!(manager.is_started("s1"));
    assert!(futures_util::FutureExt::now_or_never(watch).is_none());
    manager.shutdown().await;
}

#[tokio::test]
async fn a_session_ending_stops_its_jobs() {
    let (manager, log) = setup().await;
    let (flag, dropped) = drop_flag();
    let job = log
        .spawn(move |_| async move {
            let _flag = flag;
            std::future::pending::<Option<&'static str>>().await
        })
        .unwrap();
    // Started: the session holds it.
    log.state().await.unwrap();
    manager.terminate("s1").await.unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(10), job.finished()).await;
    assert_eq!(
        stopped.expect("the job stops with its session"),
        JobStatus::Stopped
    );
    eventually("the job's future is dropped", || async {
        dropped.load(Ordering::SeqCst)
    })
    .await;
    assert!(!job.cancel());

    assert!(matches!(
        log.spawn(|_| async { None }),
        Err(StoreError::Session(SessionError::SessionNotFound { .. }))
    ));
    manager.shutdown().await;
}
