//! Throttle and debounce: [`Pace`] rules per action-name pattern, and the state a store keeps
//! to apply them ([`Pacing`]).
//!
//! Pacing decides *when* an action reaches the store, so it is applied where time passes:
//! by a [`StoreSession`](super::StoreSession), to the actions sent to it
//! ([`StoreHandle::dispatch`](super::StoreHandle::dispatch) and
//! [`cast`](super::StoreHandle::cast)). [`Store::dispatch`] applies the action it is given
//! at once. The decisions are made here; the session runs the debounce timers, which come
//! back to the store as messages, so that a debounced action is applied in turn with every
//! other one.

use std::sync::Arc;
use std::time::Duration;

use ractor::RpcReplyPort;
use serde::{Deserialize, Serialize};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::Store;
use super::action::{Routable, pattern_matches};
use super::error::StoreError;
use crate::session::current_session_id;

/// A throttle or a debounce for the actions whose [name](Routable::action_name) matches
/// `pattern` (`*` stands for any run of characters: `cart.*`, `*.refresh`, `*`), added to a
/// store with [`Store::with_pace`].
///
/// - **Throttle**: the first matching action passes; the others within `window` after it
///   are dropped ([`StoreError::Throttled`] for a `dispatch`, a `DEBUG` log for a `cast`).
/// - **Debounce**: a matching action waits; each new one within `window` replaces it (the
///   replaced `dispatch` gets [`StoreError::Superseded`]), and the last runs once `window`
///   has passed without another. A waiting `dispatch` is answered then, so keep `window`
///   under the manager's call timeout.
///
/// A rule covers all the actions it matches together: one window per rule, not per name.
/// An action matching several rules follows the first one added. Rules deserialize from
/// configuration with human durations:
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ractor_session::store::Pace;
///
/// let rules: Vec<Pace> = serde_json::from_str(r#"[
///     {"mode": "throttle", "pattern": "cart.refresh", "window": "1s"},
///     {"mode": "debounce", "pattern": "search.*", "window": "300ms"}
/// ]"#).unwrap();
/// assert_eq!(rules, [
///     Pace::throttle("cart.refresh", Duration::from_secs(1)),
///     Pace::debounce("search.*", Duration::from_millis(300)),
/// ]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Pace {
    /// The first matching action within `window` passes, the rest are dropped.
    Throttle {
        /// Which action names the rule covers.
        pattern: String,
        /// How long after a passed action the next ones are dropped.
        #[serde(with = "humantime_serde")]
        window: Duration,
    },
    /// Only the last matching action runs, once `window` passed without another.
    Debounce {
        /// Which action names the rule covers.
        pattern: String,
        /// How long to wait for a later action before running the last.
        #[serde(with = "humantime_serde")]
        window: Duration,
    },
}

impl Pace {
    /// [`Pace::Throttle`]: one action matching `pattern` per `window`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rule = ractor_session::store::Pace::throttle("cart.refresh", std::time::Duration::from_secs(1));
    /// assert_eq!(rule.pattern(), "cart.refresh");
    /// ```
    pub fn throttle(pattern: impl Into<String>, window: Duration) -> Self {
        Self::Throttle {
            pattern: pattern.into(),
            window,
        }
    }

    /// [`Pace::Debounce`]: only the last action matching `pattern` within `window` runs.
    ///
    /// # Examples
    ///
    /// ```
    /// let rule = ractor_session::store::Pace::debounce("search.*", std::time::Duration::from_millis(300));
    /// assert_eq!(rule.window().as_millis(), 300);
    /// ```
    pub fn debounce(pattern: impl Into<String>, window: Duration) -> Self {
        Self::Debounce {
            pattern: pattern.into(),
            window,
        }
    }

    /// The pattern of action names the rule covers.
    ///
    /// # Examples
    ///
    /// ```
    /// let rule = ractor_session::store::Pace::debounce("search.*", std::time::Duration::from_millis(300));
    /// assert_eq!(rule.pattern(), "search.*");
    /// ```
    #[must_use]
    pub fn pattern(&self) -> &str {
        match self {
            Self::Throttle { pattern, .. } | Self::Debounce { pattern, .. } => pattern,
        }
    }

    /// The rule's window.
    ///
    /// # Examples
    ///
    /// ```
    /// let rule = ractor_session::store::Pace::throttle("*", std::time::Duration::from_secs(2));
    /// assert_eq!(rule.window().as_secs(), 2);
    /// ```
    #[must_use]
    pub fn window(&self) -> Duration {
        match self {
            Self::Throttle { window, .. } | Self::Debounce { window, .. } => *window,
        }
    }
}

/// Where the outcome of a dispatch goes: its caller, or nowhere for a cast.
pub(super) type Reply<S> = Option<RpcReplyPort<Result<Arc<S>, StoreError>>>;

/// An action cleared to reach the store now, with whoever waits for its outcome.
pub(super) type Admitted<S, A> = (A, Reply<S>);

/// One rule and what it remembers.
struct Rule<S, A> {
    pace: Pace,
    /// Throttle: when the last action passed.
    last_passed: Option<Instant>,
    /// Debounce: counts the actions it delayed, so that a timer knows whether it is stale.
    generation: u64,
    /// Debounce: the action waiting, and the timer that will bring it back.
    pending: Option<(A, Reply<S>, AbortHandle)>,
}

/// A store's pace rules and their state.
pub(super) struct Pacing<S, A> {
    name_of: Option<fn(&A) -> &str>,
    rules: Vec<Rule<S, A>>,
}

impl<S, A> Pacing<S, A> {
    pub(super) fn new() -> Self {
        Self {
            name_of: None,
            rules: Vec::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.rules.len()
    }

    fn add(&mut self, pace: Pace)
    where
        A: Routable,
    {
        self.name_of = Some(A::action_name);
        self.rules.push(Rule {
            pace,
            last_passed: None,
            generation: 0,
            pending: None,
        });
    }

    /// Decides about `action` arriving at `now`: returns it if it is to be applied now;
    /// otherwise drops it (telling `reply`) or keeps it for later, calling
    /// `schedule(rule, generation, after)` to start the timer that will hand it to
    /// [`take_due`](Self::take_due).
    pub(super) fn admit(
        &mut self,
        action: A,
        reply: Reply<S>,
        now: Instant,
        schedule: impl FnOnce(usize, u64, Duration) -> AbortHandle,
    ) -> Option<Admitted<S, A>> {
        let Some(name_of) = self.name_of else {
            return Some((action, reply));
        };
        let name = name_of(&action);
        let Some(index) = self
            .rules
            .iter()
            .position(|rule| pattern_matches(rule.pace.pattern(), name))
        else {
            return Some((action, reply));
        };
        let rule = &mut self.rules[index];
        match &rule.pace {
            Pace::Throttle { pattern, window } => {
                if rule.last_passed.is_some_and(|at| now < at + *window) {
                    let (pattern, window) = (pattern.clone(), *window);
                    refuse(reply, StoreError::Throttled { pattern, window });
                    return None;
                }
                rule.last_passed = Some(now);
                Some((action, reply))
            }
            Pace::Debounce { pattern, window } => {
                rule.generation += 1;
                let timer = schedule(index, rule.generation, *window);
                if let Some((_, replaced, old_timer)) = rule.pending.replace((action, reply, timer))
                {
                    old_timer.abort();
                    let pattern = pattern.clone();
                    refuse(replaced, StoreError::Superseded { pattern });
                }
                None
            }
        }
    }

    /// The debounced action of rule `index`, if the timer of `generation` is still the
    /// latest (a later action restarts the wait).
    pub(super) fn take_due(&mut self, index: usize, generation: u64) -> Option<Admitted<S, A>> {
        let rule = self.rules.get_mut(index)?;
        if rule.generation != generation {
            return None;
        }
        rule.pending
            .take()
            .map(|(action, reply, _)| (action, reply))
    }
}

impl<S, A> Drop for Pacing<S, A> {
    fn drop(&mut self) {
        // The store is gone (its session ended): no timer should outlive it.
        for rule in &self.rules {
            if let Some((_, _, timer)) = &rule.pending {
                timer.abort();
            }
        }
    }
}

/// Tells the waiting caller why its action was dropped, or logs it for a cast.
fn refuse<S>(reply: Reply<S>, error: StoreError) {
    match reply {
        Some(reply) => {
            let _ = reply.send(Err(error));
        }
        None => {
            let session = current_session_id().map(|id| tracing::field::display(id.redacted()));
            tracing::debug!(target: "ractor_session::store", session, %error, "cast action dropped");
        }
    }
}

impl<S, A: Routable> Store<S, A> {
    /// Adds a throttle or debounce rule for the actions sent to this store's session; rules
    /// are tried in the order added, and the first whose pattern matches applies.
    ///
    /// Pacing is about when an action reaches the store, so a [`StoreSession`] applies it
    /// to the actions sent to it; [`Store::dispatch`] applies every action at once.
    ///
    /// [`StoreSession`]: super::StoreSession
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use ractor_session::SessionManager;
    /// use ractor_session::store::{Combined, NamedAction, Pace, SliceReducer, Store, StoreError, StoreSessions};
    ///
    /// let hits = SliceReducer::new("hits", |n: &mut u32| n, |n: &u32, _: &str, _: &NamedAction<()>| Some(n + 1));
    /// let store = Store::combined(0, Combined::new().with_reducer(hits))
    ///     .with_pace(Pace::throttle("hits.*", Duration::from_secs(1)));
    ///
    /// let manager = SessionManager::spawn(Default::default()).await?;
    /// let counter = StoreSessions::new(manager.clone()).start("s1", store).await?;
    /// counter.dispatch(NamedAction::new("hits.add", ())).await?;
    /// let again = counter.dispatch(NamedAction::new("hits.add", ())).await;
    /// assert!(matches!(again, Err(StoreError::Throttled { .. })));
    /// tokio::time::sleep(Duration::from_secs(1)).await;
    /// assert_eq!(*counter.dispatch(NamedAction::new("hits.add", ())).await?, 2);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn with_pace(mut self, pace: Pace) -> Self {
        self.pacing.add(pace);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NamedAction;

    type Paced = Pacing<u32, NamedAction<u32>>;

    fn action(name: &str, n: u32) -> NamedAction<u32> {
        NamedAction::new(name, n)
    }

    fn idle_timer() -> AbortHandle {
        tokio::spawn(std::future::pending::<()>()).abort_handle()
    }

    #[tokio::test(start_paused = true)]
    async fn unmatched_actions_and_stores_without_rules_pass_at_once() {
        let mut none = Paced::new();
        let now = Instant::now();
        assert!(
            none.admit(action("a", 1), None, now, |_, _, _| unreachable!())
                .is_some()
        );
        let mut some = Paced::new();
        some.add(Pace::throttle("cart.*", Duration::from_secs(1)));
        assert!(
            some.admit(action("user.x", 1), None, now, |_, _, _| unreachable!())
                .is_some()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_window_starts_at_the_action_that_passed() {
        let mut pacing = Paced::new();
        pacing.add(Pace::throttle("cart.*", Duration::from_secs(1)));
        let start = Instant::now();
        let mut admit = |at: Duration| {
            pacing
                .admit(
                    action("cart.add", 1),
                    None,
                    start + at,
                    |_, _, _| unreachable!(),
                )
                .is_some()
        };
        assert!(admit(Duration::ZERO));
        assert!(!admit(Duration::from_millis(999)));
        assert!(admit(Duration::from_millis(1000)));
        assert!(!admit(Duration::from_millis(1500)));
        assert!(admit(Duration::from_millis(2000)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stale_debounce_timer_finds_nothing_and_the_latest_finds_the_last_action() {
        let mut pacing = Paced::new();
        pacing.add(Pace::debounce("*", Duration::from_secs(1)));
        let mut timers = Vec::new();
        for n in 1..=3 {
            let mut schedule = |rule, generation, _| {
                timers.push((rule, generation));
                idle_timer()
            };
            assert!(
                pacing
                    .admit(action("q", n), None, Instant::now(), &mut schedule)
                    .is_none()
            );
        }
        assert_eq!(timers, [(0, 1), (0, 2), (0, 3)]);
        assert!(pacing.take_due(0, 2).is_none());
        let (last, _) = pacing.take_due(0, 3).unwrap();
        assert_eq!(*last.payload(), 3);
        assert!(pacing.take_due(0, 3).is_none(), "taken once");
        assert!(pacing.take_due(7, 1).is_none());
    }
}
