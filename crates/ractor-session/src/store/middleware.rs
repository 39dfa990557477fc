//! [`Middleware`]: what sees every action before the reducer, and the built-ins [`Logging`]
//! and [`Validate`].
//!
//! Order: middleware runs in the order it was added. On the way in, each one's
//! [`before`](Middleware::before) sees the action (as transformed by those before it) and
//! the current state, and decides: pass it on, transform it, short-circuit to a state, or
//! reject it. The first short-circuit or rejection ends the way in: later middleware and the
//! reducer never see the action. On the way out, once a new state is in place, the
//! [`after`](Middleware::after) hooks of the middleware that passed the action on run in
//! reverse order (the first added runs last), as in an onion.

use std::fmt;

use crate::session::current_session_id;

/// What a middleware decides about an action, returned by [`Middleware::before`].
///
/// # Examples
///
/// ```
/// use ractor_session::store::{Step, Store};
///
/// // Doubles every amount on its way to the reducer.
/// let double = |add: &i32, _: &i32| Step::Transform(add * 2);
/// let mut store = Store::new(0, |n: &i32, add: &i32| n + add).with_middleware(double);
/// assert_eq!(*store.dispatch(3)?, 6);
/// # Ok::<(), ractor_session::store::StoreError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step<S, A> {
    /// Pass the action on unchanged.
    Next,
    /// Pass this action on instead; the history records the action the reducer received.
    Transform(A),
    /// Skip later middleware and the reducer: this is the new state. It is recorded in the
    /// history with [`Origin::ShortCircuited`](crate::store::Origin::ShortCircuited).
    ShortCircuit(S),
    /// Refuse the action: [`dispatch`](super::Store::dispatch) returns
    /// [`StoreError::Rejected`](super::StoreError::Rejected) with this reason, and the
    /// state and history stay as they were.
    Reject(String),
}

impl<S, A> Step<S, A> {
    /// [`Step::Reject`] with any displayable reason.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::Step;
    /// let step: Step<i32, i32> = Step::reject(format_args!("limit is {}", 10));
    /// assert_eq!(step, Step::Reject("limit is 10".to_owned()));
    /// ```
    pub fn reject(reason: impl fmt::Display) -> Self {
        Self::Reject(reason.to_string())
    }
}

/// Sees every action before the reducer, and may pass it on, transform it, short-circuit to
/// a state or reject it; [`Store::with_middleware`] says in which order middleware runs.
///
/// Any `Fn(&A, &S) -> Step<S, A>` closure is a middleware (with only a `before`).
///
/// [`Store::with_middleware`]: crate::store::Store::with_middleware
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use ractor_session::store::{Middleware, Step, Store};
///
/// /// Counts the actions that changed the state.
/// struct Changes(Arc<AtomicUsize>);
///
/// impl Middleware<i32, i32> for Changes {
///     fn before(&self, _: &i32, _: &i32) -> Step<i32, i32> {
///         Step::Next
///     }
///     fn after(&self, _: &i32, previous: &i32, next: &i32) {
///         if previous != next {
///             self.0.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
///
/// let changes = Arc::new(AtomicUsize::new(0));
/// let mut store = Store::new(0, |n: &i32, add: &i32| n + add)
///     .with_middleware(Changes(Arc::clone(&changes)));
/// store.dispatch(0)?;
/// store.dispatch(1)?;
/// assert_eq!(changes.load(Ordering::Relaxed), 1);
/// # Ok::<(), ractor_session::store::StoreError>(())
/// ```
pub trait Middleware<S, A>: Send + Sync {
    /// Decides about `action` before it reaches the reducer; `state` is the current state.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{Middleware, Step};
    /// let no_zero = |add: &i32, _: &i32| if *add == 0 { Step::reject("zero") } else { Step::Next };
    /// assert_eq!(no_zero.before(&0, &5), Step::Reject("zero".into()));
    /// ```
    fn before(&self, action: &A, state: &S) -> Step<S, A>;

    /// Told the outcome once a new state is in place: the action as the reducer received it
    /// (or as it was short-circuited), and the states before and after. Does nothing unless
    /// overridden.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{Middleware, Step};
    /// let pass = |_: &i32, _: &i32| Step::<i32, i32>::Next;
    /// pass.after(&1, &0, &1); // closures have no `after`
    /// ```
    fn after(&self, action: &A, previous: &S, next: &S) {
        let _ = (action, previous, next);
    }
}

impl<S, A, F> Middleware<S, A> for F
where
    F: Fn(&A, &S) -> Step<S, A> + Send + Sync,
{
    fn before(&self, action: &A, state: &S) -> Step<S, A> {
        self(action, state)
    }
}

/// Built-in middleware that logs every action through `tracing` at `DEBUG`, target
/// `ractor_session::store`: `dispatching action` on the way in, `action applied` on the
/// way out. The states are left out unless [`with_states`](Self::with_states) asks for
/// them (they may hold personal data). Inside a session, events carry the session's
/// [redacted](crate::SessionId::redacted) ID, never the raw one. Add it first to see every
/// action, including those later middleware rejects.
///
/// # Examples
///
/// ```
/// use ractor_session::store::{Logging, Store};
///
/// #[derive(Debug)]
/// enum Action { Add(i32) }
///
/// let mut store = Store::new(0, |n: &i32, Action::Add(k): &Action| n + k)
///     .with_middleware(Logging::new().with_states(true));
/// store.dispatch(Action::Add(1))?;
/// # Ok::<(), ractor_session::store::StoreError>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Logging {
    states: bool,
}

impl Logging {
    /// Logging of actions only.
    ///
    /// # Examples
    ///
    /// ```
    /// let logging = ractor_session::store::Logging::new();
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to log the states too (the current one on the way in, both on the way out).
    ///
    /// # Examples
    ///
    /// ```
    /// let logging = ractor_session::store::Logging::new().with_states(true);
    /// ```
    #[must_use]
    pub fn with_states(mut self, states: bool) -> Self {
        self.states = states;
        self
    }
}

const TARGET: &str = "ractor_session::store";

impl<S: fmt::Debug, A: fmt::Debug> Middleware<S, A> for Logging {
    fn before(&self, action: &A, state: &S) -> Step<S, A> {
        let session = current_session_id().map(|id| tracing::field::display(id.redacted()));
        if self.states {
            tracing::debug!(target: TARGET, session, ?action, ?state, "dispatching action");
        } else {
            tracing::debug!(target: TARGET, session, ?action, "dispatching action");
        }
        Step::Next
    }

    fn after(&self, action: &A, previous: &S, next: &S) {
        let session = current_session_id().map(|id| tracing::field::display(id.redacted()));
        if self.states {
            tracing::debug!(target: TARGET, session, ?action, ?previous, ?next, "action applied");
        } else {
            tracing::debug!(target: TARGET, session, ?action, "action applied");
        }
    }
}

/// Built-in middleware that rejects actions failing a check: `check(action, state)` returns
/// `Ok(())` to pass the action on, or `Err(reason)` to reject it with
/// [`StoreError::Rejected`](crate::store::StoreError::Rejected) (the state and history stay as
/// they were).
///
/// # Examples
///
/// ```
/// use ractor_session::store::{Store, StoreError, Validate};
///
/// let mut store = Store::new(0, |n: &i32, add: &i32| n + add)
///     .with_middleware(Validate::new(|add: &i32, n: &i32| {
///         if n + add > 10 { Err(format!("{add} would exceed the limit of 10")) } else { Ok(()) }
///     }));
/// store.dispatch(8)?;
/// let err = store.dispatch(3).unwrap_err();
/// assert!(matches!(err, StoreError::Rejected { .. }));
/// assert_eq!(err.to_string(), "Action rejected: 3 would exceed the limit of 10");
/// assert_eq!(*store.state(), 8);
/// # Ok::<(), ractor_session::store::StoreError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Validate<F> {
    check: F,
}

impl<F> fmt::Debug for Validate<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validate").finish_non_exhaustive()
    }
}

impl<F> Validate<F> {
    /// A validation middleware running `check`.
    ///
    /// # Examples
    ///
    /// ```
    /// let positive = ractor_session::store::Validate::new(|add: &i32, _: &i32| {
    ///     if *add > 0 { Ok(()) } else { Err("amounts must be positive") }
    /// });
    /// ```
    #[must_use]
    pub fn new(check: F) -> Self {
        Self { check }
    }
}

impl<S, A, E, F> Middleware<S, A> for Validate<F>
where
    F: Fn(&A, &S) -> Result<(), E> + Send + Sync,
    E: fmt::Display,
{
    fn before(&self, action: &A, state: &S) -> Step<S, A> {
        match (self.check)(action, state) {
            Ok(()) => Step::Next,
            Err(reason) => Step::reject(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::store::Store;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(logging: Logging) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .without_time()
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let _ = Middleware::<&str, &str>::before(&logging, &"add-apple", &"cart-before");
            Middleware::<&str, &str>::after(&logging, &"add-apple", &"cart-before", &"cart-after");
        });
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn logging_records_actions_in_and_out_without_states_by_default() {
        let out = logged(Logging::new());
        assert!(out.contains("dispatching action"), "{out}");
        assert!(out.contains("action applied"), "{out}");
        assert!(out.contains("add-apple"), "{out}");
        assert!(
            !out.contains("cart-"),
            "states must stay out of the log: {out}"
        );
    }

    #[test]
    fn logging_with_states_records_them() {
        let out = logged(Logging::new().with_states(true));
        assert!(out.contains("state=\"cart-before\""), "{out}");
        assert!(out.contains("previous=\"cart-before\""), "{out}");
        assert!(out.contains("next=\"cart-after\""), "{out}");
    }

    #[test]
    fn validate_turns_an_error_into_a_rejection_with_its_text() {
        let check = Validate::new(|n: &i32, _: &()| if *n < 0 { Err("negative") } else { Ok(()) });
        assert_eq!(check.before(&1, &()), Step::Next);
        assert_eq!(check.before(&-1, &()), Step::Reject("negative".to_owned()));
    }

    #[test]
    fn after_hooks_run_in_reverse_for_the_middleware_that_passed_the_action_on() {
        struct Recorder(&'static str, Arc<Mutex<Vec<String>>>, Step<i32, i32>);
        impl Middleware<i32, i32> for Recorder {
            fn before(&self, action: &i32, _: &i32) -> Step<i32, i32> {
                self.1
                    .lock()
                    .unwrap()
                    .push(format!("{} in {action}", self.0));
                self.2.clone()
            }
            fn after(&self, action: &i32, _: &i32, next: &i32) {
                self.1
                    .lock()
                    .unwrap()
                    .push(format!("{} out {action}->{next}", self.0));
            }
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut store = Store::new(0, |n: &i32, add: &i32| n + add)
            .with_middleware(Recorder("a", Arc::clone(&log), Step::Next))
            .with_middleware(Recorder("b", Arc::clone(&log), Step::Transform(5)))
            .with_middleware(Recorder("c", Arc::clone(&log), Step::ShortCircuit(100)))
            .with_middleware(Recorder("d", Arc::clone(&log), Step::Next));
        store.dispatch(1).unwrap();
        assert_eq!(
            *log.lock().unwrap(),
            ["a in 1", "b in 1", "c in 5", "b out 5->100", "a out 5->100"]
        );
    }
}
