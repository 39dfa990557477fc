//! Subscriptions with selectors: [`Subscription`], [`SubscriptionId`], and the store's list
//! of subscribers.
//!
//! Each subscriber is a `tokio::sync::watch` channel holding its selected value. After every
//! change of state the store runs each selector and sends the result only when it differs
//! from the value the subscriber holds, so a subscriber wakes only when its slice changed.
//! A watch channel keeps the latest value: a slow subscriber skips intermediate values and
//! sees the latest, which is what a view (a web page over a websocket) needs. A subscriber
//! whose receivers are all dropped is removed at the next change, without error.
//!
//! A selector that panics is caught, so that a faulty view cannot end the session it
//! watches: at subscription the caller gets the error; later, that subscription alone
//! ends, and [`Subscription::error`] says why.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};

use tokio::sync::watch;

use super::Store;
use super::error::StoreError;
use crate::session::current_session_id;

/// Identifies a subscription for [`Store::unsubscribe`].
///
/// # Examples
///
/// ```
/// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
/// let a = store.subscribe(|n: &i32| *n)?;
/// let b = store.subscribe(|n: &i32| *n)?;
/// assert_ne!(a.id(), b.id());
/// # Ok::<(), ractor_session::store::StoreError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(u64);

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "subscription-{}", self.0)
    }
}

/// The receiving end of a store subscription: the selected value, and a wait for its
/// next change.
///
/// Made by [`Store::subscribe`] (from outside a store session, by running it there with
/// [`StoreHandle::run`](super::StoreHandle::run)). It holds the selected value from the
/// start; it is told of a change only when the selector's result differs (by `PartialEq`)
/// from the last one.
/// It ends (`changed` returns `None`) when it is unsubscribed or the store is dropped, e.g.
/// when its session ends. Clones share the subscription.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ractor_session::store::StoreError> {
/// use ractor_session::store::Store;
///
/// let mut store = Store::new((0, 0), |&(a, b): &(i32, i32), left: &bool| {
///     if *left { (a + 1, b) } else { (a, b + 1) }
/// });
/// let mut left = store.subscribe(|&(a, _): &(i32, i32)| a)?;
/// assert_eq!(left.current(), 0);
///
/// store.dispatch(false)?; // only the right side changes
/// assert!(!left.has_changed());
///
/// store.dispatch(true)?;
/// assert_eq!(left.changed().await, Some(1));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Subscription<T> {
    id: SubscriptionId,
    rx: watch::Receiver<T>,
    panicked: Arc<OnceLock<String>>,
}

impl<T: fmt::Debug> fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("current", &*self.rx.borrow())
            .finish()
    }
}

impl<T> Subscription<T> {
    /// This subscription's ID, for [`Store::unsubscribe`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// let sub = store.subscribe(|n: &i32| *n)?;
    /// assert!(store.unsubscribe(sub.id()));
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn id(&self) -> SubscriptionId {
        self.id
    }

    /// The latest selected value (it does not mark it seen).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(5, |n: &i32, add: &i32| n + add);
    /// let sub = store.subscribe(|n: &i32| n * 10)?;
    /// assert_eq!(sub.current(), 50);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn current(&self) -> T
    where
        T: Clone,
    {
        self.rx.borrow().clone()
    }

    /// Whether the selected value changed since it was last seen through
    /// [`changed`](Self::changed) (a value given at subscription counts as seen).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// let sub = store.subscribe(|n: &i32| *n > 0)?;
    /// store.dispatch(0)?;
    /// assert!(!sub.has_changed());
    /// store.dispatch(1)?;
    /// assert!(sub.has_changed());
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn has_changed(&self) -> bool {
        self.rx.borrow().has_changed()
    }

    /// Waits until the selected value changes, marks it seen and returns it; `None` once
    /// the subscription has ended (unsubscribed, or the store dropped) with nothing unseen.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), ractor_session::store::StoreError> {
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// let mut sub = store.subscribe(|n: &i32| *n)?;
    /// store.dispatch(2)?;
    /// assert_eq!(sub.changed().await, Some(2));
    /// drop(store);
    /// assert_eq!(sub.changed().await, None);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn changed(&mut self) -> Option<T>
    where
        T: Clone,
    {
        self.rx.changed().await.ok()?;
        Some(self.rx.borrow_and_update().clone())
    }

    /// Why the subscription ended, if its selector panicked:
    /// [`StoreError::SelectorPanicked`]. `None` while it is live, and after an end for any
    /// other reason (unsubscribed, the store dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), ractor_session::store::StoreError> {
    /// use ractor_session::store::{Store, StoreError};
    ///
    /// let mut store = Store::new(1_u32, |n: &u32, k: &u32| n * k);
    /// let mut inverse = store.subscribe(|n: &u32| 100 / n)?;
    /// store.dispatch(0)?; // the selector divides by zero: only this subscription ends
    /// assert_eq!(inverse.changed().await, None);
    /// assert!(matches!(inverse.error(), Some(StoreError::SelectorPanicked { .. })));
    /// assert_eq!(*store.state(), 0);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn error(&self) -> Option<StoreError> {
        let message = self.panicked.get()?.clone();
        Some(StoreError::SelectorPanicked { message })
    }

    /// The underlying `tokio::sync::watch` receiver, e.g. to turn into a stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(1, |n: &i32, add: &i32| n + add);
    /// let rx = store.subscribe(|n: &i32| *n)?.into_receiver();
    /// assert_eq!(*rx.borrow(), 1);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn into_receiver(self) -> watch::Receiver<T> {
        self.rx
    }
}

/// One subscriber, with its selected value's type erased.
trait Subscriber<S>: Send + Sync {
    /// Sends the newly selected value if it changed; `false` when the subscription is to
    /// end: nobody listens any more, or the selector panicked.
    fn notify(&self, state: &S) -> bool;
}

struct Selected<F, T> {
    select: F,
    tx: watch::Sender<T>,
    panicked: Arc<OnceLock<String>>,
}

/// Runs `select` on `state`, turning a panic into [`StoreError::SelectorPanicked`].
fn run_selector<S, T>(select: impl FnOnce(&S) -> T, state: &S) -> Result<T, StoreError> {
    catch_unwind(AssertUnwindSafe(|| select(state))).map_err(|panic| {
        let error = StoreError::selector_panicked(&*panic);
        let session = current_session_id().map(|id| tracing::field::display(id.redacted()));
        tracing::warn!(target: "ractor_session::store", session, %error, "subscription selector panicked; that subscription ends");
        error
    })
}

impl<S, T, F> Subscriber<S> for Selected<F, T>
where
    F: Fn(&S) -> T + Send + Sync,
    T: PartialEq + Send + Sync,
{
    fn notify(&self, state: &S) -> bool {
        if self.tx.is_closed() {
            return false;
        }
        let value = match run_selector(&self.select, state) {
            Ok(value) => value,
            Err(StoreError::SelectorPanicked { message }) => {
                let _ = self.panicked.set(message);
                return false;
            }
            Err(_) => return false,
        };
        self.tx.send_if_modified(|held| {
            if *held == value {
                false
            } else {
                *held = value;
                true
            }
        });
        true
    }
}

/// The subscribers of one store.
pub(super) struct Subscribers<S> {
    next_id: u64,
    list: Vec<(SubscriptionId, Box<dyn Subscriber<S>>)>,
}

impl<S> Subscribers<S> {
    pub(super) fn new() -> Self {
        Self {
            next_id: 0,
            list: Vec::new(),
        }
    }

    pub(super) fn add<T, F>(&mut self, state: &S, select: F) -> Result<Subscription<T>, StoreError>
    where
        F: Fn(&S) -> T + Send + Sync + 'static,
        T: PartialEq + Send + Sync + 'static,
    {
        let (tx, rx) = watch::channel(run_selector(&select, state)?);
        self.next_id += 1;
        let id = SubscriptionId(self.next_id);
        let panicked = Arc::new(OnceLock::new());
        let selected = Selected {
            select,
            tx,
            panicked: Arc::clone(&panicked),
        };
        self.list.push((id, Box::new(selected)));
        Ok(Subscription { id, rx, panicked })
    }

    pub(super) fn remove(&mut self, id: SubscriptionId) -> bool {
        let before = self.list.len();
        self.list.retain(|(held, _)| *held != id);
        self.list.len() != before
    }

    /// Tells every subscriber of the new state; forgets those nobody listens to.
    pub(super) fn notify(&mut self, state: &S) {
        self.list.retain(|(_, subscriber)| subscriber.notify(state));
    }

    pub(super) fn len(&self) -> usize {
        self.list.len()
    }
}

impl<S, A> Store<S, A> {
    /// Subscribes to the part of the state `select` picks out.
    ///
    /// The subscription holds the selected value at once; after each change of state
    /// (dispatch, reset, restore) `select` runs again and the subscriber is told only if the
    /// result differs. Selectors should be cheap. One that panics is caught: later, that
    /// subscription alone ends ([`Subscription::error`] says why) while the dispatch, the
    /// other subscribers and a store session carry on.
    ///
    /// # Errors
    ///
    /// [`StoreError::SelectorPanicked`] when `select` panics on the current state; nothing
    /// is subscribed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(vec![1, 2], |v: &Vec<i32>, x: &i32| {
    ///     let mut v = v.clone();
    ///     v.push(*x);
    ///     v
    /// });
    /// let len = store.subscribe(|v: &Vec<i32>| v.len())?;
    /// assert_eq!(len.current(), 2);
    /// store.dispatch(3)?;
    /// assert_eq!(len.current(), 3);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    pub fn subscribe<T, F>(&mut self, select: F) -> Result<Subscription<T>, StoreError>
    where
        F: Fn(&S) -> T + Send + Sync + 'static,
        T: PartialEq + Send + Sync + 'static,
    {
        self.subscribers.add(&self.state, select)
    }

    /// Ends a subscription: its receivers get no further values and their
    /// [`changed`](Subscription::changed) returns `None`. Returns whether it was live.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// let sub = store.subscribe(|n: &i32| *n)?;
    /// assert!(store.unsubscribe(sub.id()));
    /// assert!(!store.unsubscribe(sub.id()));
    /// store.dispatch(1)?;
    /// assert!(!sub.has_changed());
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    pub fn unsubscribe(&mut self, id: SubscriptionId) -> bool {
        self.subscribers.remove(id)
    }

    /// How many subscriptions are held. Subscriptions whose receivers were all dropped are
    /// removed at the next change of state.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut store = ractor_session::store::Store::new(0, |n: &i32, add: &i32| n + add);
    /// let sub = store.subscribe(|n: &i32| *n)?;
    /// assert_eq!(store.subscriber_count(), 1);
    /// drop(sub);
    /// store.dispatch(1)?;
    /// assert_eq!(store.subscriber_count(), 0);
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn subscriber_count(&self) -> usize {
        self.subscribers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_tells_subscribers() {
        let mut store = Store::new(0, |n: &i32, add: &i32| n + add);
        store.dispatch(3).unwrap();
        let sub = store.subscribe(|n: &i32| *n).unwrap();
        store.reset();
        assert!(sub.has_changed());
        assert_eq!(sub.current(), 0);
    }

    #[test]
    fn a_selector_panicking_later_ends_its_subscription_alone() {
        let mut store = Store::new(1_u32, |n: &u32, k: &u32| n * k);
        let fragile = store.subscribe(|n: &u32| 100 / n).unwrap();
        let sturdy = store.subscribe(|n: &u32| *n).unwrap();
        assert_eq!(store.subscriber_count(), 2);
        assert!(fragile.error().is_none());
        store.dispatch(0).unwrap();
        assert_eq!(store.subscriber_count(), 1);
        assert!(
            matches!(fragile.error(), Some(StoreError::SelectorPanicked { message }) if message.contains("divide by zero"))
        );
        assert_eq!(sturdy.current(), 0);
        assert!(sturdy.error().is_none());
    }
}
