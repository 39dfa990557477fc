//! Recovery of a killed node's sessions: sessions born on node c, each with an item written
//! through to the store; `kill -9` c; then every session is asked for at once (a fixed
//! number at a time) through the survivors, each retried until it answers, and the time
//! from the kill until each answered is kept.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ractor_session_benches::RunError;

use crate::forwarding::{delta, live};
use crate::nodes::Node;
use crate::visitors::{self, Failure, Jobs, Visitors, has_item};

/// How long after the kill a session may take to answer before the run gives up on it.
const GIVE_UP: Duration = Duration::from_secs(120);

/// Pause between two tries of one session.
const RETRY_AFTER: Duration = Duration::from_millis(20);

/// The outcome.
#[derive(Debug)]
pub(crate) struct Recovery {
    pub(crate) sessions: usize,
    pub(crate) concurrency: usize,
    /// From the kill until each session answered with its item, sorted.
    pub(crate) answered: Vec<Duration>,
    /// Sessions that answered without their item (a new, empty session: lost).
    pub(crate) lost: usize,
    /// Sessions that had not answered after [`GIVE_UP`].
    pub(crate) gave_up: usize,
    /// Tries that failed before their session answered (no answer or an error status).
    pub(crate) failed_tries: usize,
    /// The first failed try, for the table.
    pub(crate) first_failure: Option<String>,
}

impl Recovery {
    /// Until every session answered; `None` when some never did.
    pub(crate) fn all(&self) -> Option<Duration> {
        if self.answered.len() == self.sessions {
            self.answered.last().copied()
        } else {
            None
        }
    }

    /// Until the first session answered.
    pub(crate) fn first(&self) -> Option<Duration> {
        self.answered.first().copied()
    }
}

/// What the tries share.
#[derive(Debug, Default)]
struct Tally {
    answered: Vec<Duration>,
    lost: usize,
    gave_up: usize,
    failed_tries: usize,
    first_failure: Option<String>,
}

impl Tally {
    /// Counts one try made `at` after the kill; whether to try again.
    fn count(&mut self, outcome: Result<serde_json::Value, Failure>, at: Duration) -> bool {
        match outcome {
            Ok(cart) if has_item(&cart) => self.answered.push(at),
            Ok(_) => self.lost += 1,
            Err(failure) => {
                self.failed_tries += 1;
                self.first_failure.get_or_insert_with(|| {
                    let why = match failure {
                        Failure::NoAnswer => "no answer".to_owned(),
                        Failure::Status(code) => format!("status {code}"),
                        Failure::Body => "not a cart".to_owned(),
                    };
                    format!("{why} after {} ms", at.as_millis())
                });
                if at <= GIVE_UP {
                    return true;
                }
                self.gave_up += 1;
            }
        }
        false
    }
}

/// Measures with `nodes` = [a, b, c]: c is killed (and stays in `nodes`, dead).
pub(crate) async fn measure(
    nodes: &mut [Node],
    http: &reqwest::Client,
    sessions: usize,
    concurrency: usize,
) -> Result<Recovery, RunError> {
    let live_before = live(nodes, http).await?;
    let visitors = Arc::new(Visitors::new(sessions).map_err(RunError::Failed)?);
    let owner = nodes[2].url.clone();
    visitors::start_all(&visitors, concurrency, move |_| owner.clone())
        .await
        .map_err(RunError::Failed)?;
    let born = delta(&live(nodes, http).await?, &live_before);
    if born != [0, 0, sessions as u64] {
        return Err(RunError::Invalid(format!(
            "sessions started through c went live on a, b, c as {born:?}, not all on c"
        )));
    }

    eprintln!("[cluster] recovery: kill -9 node c, then {sessions} sessions through a and b");
    let survivors: Arc<Vec<String>> = Arc::new(vec![nodes[0].url.clone(), nodes[1].url.clone()]);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let killed = Instant::now();
    nodes[2].kill();
    let (v, t) = (Arc::clone(&visitors), Arc::clone(&tally));
    visitors::run(concurrency, Jobs::Count(sessions), move |s| {
        let (v, t, survivors) = (Arc::clone(&v), Arc::clone(&t), Arc::clone(&survivors));
        async move {
            recover(&v, s, &survivors, killed, &t).await;
            true
        }
    })
    .await;
    let mut tally = std::mem::take(&mut *tally.lock().expect("tally lock"));
    tally.answered.sort_unstable();
    Ok(Recovery {
        sessions,
        concurrency,
        answered: tally.answered,
        lost: tally.lost,
        gave_up: tally.gave_up,
        failed_tries: tally.failed_tries,
        first_failure: tally.first_failure,
    })
}

/// Asks for session `s` through the survivors in turn until it answers or the run gives up.
async fn recover(
    visitors: &Visitors,
    s: usize,
    survivors: &[String],
    killed: Instant,
    tally: &Mutex<Tally>,
) {
    for attempt in 0.. {
        let via = &survivors[(s + attempt) % survivors.len()];
        let outcome = visitors.view(s, via).await;
        let at = killed.elapsed();
        if !tally.lock().expect("tally lock").count(outcome, at) {
            return;
        }
        tokio::time::sleep(RETRY_AFTER).await;
    }
}
