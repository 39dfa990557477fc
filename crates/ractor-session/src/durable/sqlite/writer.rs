//! The writer thread: every write of the store runs there, and the writes queued while one
//! transaction commits are committed together in the next (group commit).

use std::sync::{Arc, mpsc};
use std::thread;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::database::{BACKEND, shared_sqlite_error};
use crate::durable::error::BackendError;

/// How many queued writes one transaction takes at most, so that a long queue still
/// commits (and answers) in steps.
const MAX_WRITES_PER_TRANSACTION: usize = 256;

/// The handle to the writer thread; the thread ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    ///
    /// # Errors
    ///
    /// [`BackendError::Backend`] when the operating system refuses a new thread.
    pub(super) fn spawn(conn: Connection) -> Result<Self, BackendError> {
        let (jobs, queue) = mpsc::channel();
        thread::Builder::new()
            .name("ractor-session-sqlite-writer".to_owned())
            .spawn(move || run(conn, &queue))
            .map_err(|error| BackendError::Backend {
                backend: BACKEND,
                source: Box::new(error),
            })?;
        Ok(Self { jobs })
    }

    /// Runs `work` in the writer's next transaction and returns its result once that
    /// transaction has committed. A `work` that fails is rolled back alone (it runs in a
    /// savepoint); a commit that fails fails every write of the transaction.
    pub(super) async fn write<T, F>(&self, work: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, BackendError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(Pending { work, reply }))
            .map_err(|_| BackendError::Closed { backend: BACKEND })?;
        answer
            .await
            .map_err(|_| BackendError::Closed { backend: BACKEND })?
    }
}

/// A queued write, before it runs.
trait Job: Send {
    /// Runs the write; what it returns answers the caller once the transaction ends.
    fn run(self: Box<Self>, conn: &Connection) -> Box<dyn Done>;
    /// Answers the caller with `error` without running the write.
    fn fail(self: Box<Self>, error: BackendError);
}

/// A write that has run, waiting for its transaction to commit.
trait Done: Send {
    /// Whether the write succeeded (and its savepoint is to be kept).
    fn succeeded(&self) -> bool;
    /// Answers the caller: the write's result, or the commit's failure.
    fn answer(self: Box<Self>, commit: Option<&Arc<rusqlite::Error>>);
}

type Reply<T> = oneshot::Sender<Result<T, BackendError>>;

struct Pending<T, F> {
    work: F,
    reply: Reply<T>,
}

struct Ran<T> {
    result: Result<T, BackendError>,
    reply: Reply<T>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, BackendError> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> Box<dyn Done> {
        let result = (self.work)(conn);
        Box::new(Ran {
            result,
            reply: self.reply,
        })
    }

    fn fail(self: Box<Self>, error: BackendError) {
        // The caller may have stopped waiting; then nobody needs the answer.
        let _ = self.reply.send(Err(error));
    }
}

impl<T: Send> Done for Ran<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn answer(self: Box<Self>, commit: Option<&Arc<rusqlite::Error>>) {
        let answer = match commit {
            None => self.result,
            Some(error) => Err(shared_sqlite_error(error)),
        };
        let _ = self.reply.send(answer);
    }
}

fn run(mut conn: Connection, queue: &mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        jobs.extend(queue.try_iter().take(MAX_WRITES_PER_TRANSACTION - 1));
        commit(&mut conn, jobs);
    }
}

/// Runs `jobs` in one transaction, each in its own savepoint, then answers them all.
fn commit(conn: &mut Connection, jobs: Vec<Box<dyn Job>>) {
    let mut jobs = jobs.into_iter();
    let mut done = Vec::with_capacity(jobs.len());
    let committed = (|| {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for job in jobs.by_ref() {
            let savepoint = tx.savepoint()?;
            let ran = job.run(&savepoint);
            let keep = ran.succeeded();
            done.push(ran);
            if keep {
                savepoint.commit()?;
            }
            // else the savepoint rolls back as it drops
        }
        tx.commit()
    })();
    let failure = committed.err().map(Arc::new);
    for ran in done {
        ran.answer(failure.as_ref());
    }
    if let Some(error) = &failure {
        for job in jobs {
            job.fail(shared_sqlite_error(error));
        }
    }
}
