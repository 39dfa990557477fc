//! [`Agent`]: a small shared state handle (get, put, update with a closure, reset).
//!
//! The mechanism is a lock, not an actor of its own: see `docs/state.md` ("Why the agent is a
//! lock") for the reasoning. In short, the closure runs synchronously under a
//! `std::sync::Mutex` that is never exposed, so no caller can hold it across an `.await`;
//! every operation is one uncontended lock (tens of nanoseconds) instead of a message round
//! trip (1–2 µs) and an extra actor per session (an idle ractor actor takes ~6.7 KB), and
//! there is no "agent stopped" failure to handle.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

/// A cloneable handle to one value, shared by every clone: get, put, update, reset.
///
/// The port of the original's Agent-based `Phoenix.SessionProcess.State`. Create it in a
/// session actor's `pre_start`, keep it in the actor's `State`, and hand clones to whatever
/// else needs the value (spawned tasks, other sessions). Every operation is atomic:
/// [`update`](Self::update) runs its closure while holding the value, so concurrent updates
/// from any number of tasks or threads never lose one another.
///
/// Closures run synchronously and must not block for long: they hold the value while they
/// run. A closure that panics leaves the value as the closure left it (it is not rolled
/// back) and the agent stays usable.
///
/// # Examples
///
/// ```
/// use ractor_session::Agent;
///
/// let cart = Agent::new(Vec::<String>::new());
/// let handle = cart.clone();
/// handle.update(|items| items.push("apple".to_owned()));
/// assert_eq!(cart.get(), ["apple"]);
///
/// cart.put(vec!["pear".to_owned()]);
/// assert_eq!(cart.read(|items| items.len()), 1);
///
/// cart.reset();
/// assert!(cart.get().is_empty());
/// ```
pub struct Agent<T> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    value: Mutex<T>,
    initial: T,
}

impl<T> Clone for Agent<T> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Agent<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("value", &*self.lock())
            .finish()
    }
}

impl<T: Default + Clone> Default for Agent<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: Clone> Agent<T> {
    /// An agent holding `initial`; [`reset`](Self::reset) goes back to it.
    ///
    /// # Examples
    ///
    /// ```
    /// let visits = ractor_session::Agent::new(0_u32);
    /// assert_eq!(visits.get(), 0);
    /// ```
    #[must_use]
    pub fn new(initial: T) -> Self {
        Self {
            inner: Arc::new(Inner {
                value: Mutex::new(initial.clone()),
                initial,
            }),
        }
    }

    /// A copy of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ractor_session::Agent::new(String::from("alice"));
    /// assert_eq!(name.get(), "alice");
    /// ```
    #[must_use]
    pub fn get(&self) -> T {
        self.lock().clone()
    }

    /// Sets the value back to the one the agent was created with, returning the old value.
    ///
    /// # Examples
    ///
    /// ```
    /// let count = ractor_session::Agent::new(1);
    /// count.put(5);
    /// assert_eq!(count.reset(), 5);
    /// assert_eq!(count.get(), 1);
    /// ```
    pub fn reset(&self) -> T {
        let initial = self.inner.initial.clone();
        std::mem::replace(&mut *self.lock(), initial)
    }
}

impl<T> Agent<T> {
    /// Replaces the value, returning the old one.
    ///
    /// # Examples
    ///
    /// ```
    /// let theme = ractor_session::Agent::new("light");
    /// assert_eq!(theme.put("dark"), "light");
    /// assert_eq!(theme.get(), "dark");
    /// ```
    pub fn put(&self, value: T) -> T {
        std::mem::replace(&mut *self.lock(), value)
    }

    /// Runs `f` on the value, atomically, and returns what it returns.
    ///
    /// No other operation on this agent runs while `f` does, so a read-modify-write inside
    /// `f` can never lose a concurrent update.
    ///
    /// # Panics
    ///
    /// If `f` panics; the agent stays usable afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// let count = ractor_session::Agent::new(0_u64);
    /// let after = count.update(|n| {
    ///     *n += 2;
    ///     *n
    /// });
    /// assert_eq!(after, 2);
    /// ```
    pub fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.lock())
    }

    /// Runs `f` on a shared reference to the value and returns what it returns: read a part
    /// of the value without copying all of it.
    ///
    /// # Panics
    ///
    /// If `f` panics; the agent stays usable afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// let cart = ractor_session::Agent::new(vec![3, 4]);
    /// assert_eq!(cart.read(|items| items.iter().sum::<i32>()), 7);
    /// ```
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, T> {
        // A closure that panicked poisons the lock; the value is still a valid `T` (whatever
        // the closure left), and refusing every later access would turn one bad update into
        // a dead session, so carry on.
        self.inner
            .value
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<K: Eq + Hash, V: Clone> Agent<HashMap<K, V>> {
    /// The value under `key`, for an agent holding a map (the original's `State.get/2`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let state = ractor_session::Agent::new(HashMap::from([("user", "alice")]));
    /// assert_eq!(state.get_key(&"user"), Some("alice"));
    /// assert_eq!(state.get_key(&"cart"), None);
    /// ```
    #[must_use]
    pub fn get_key(&self, key: &K) -> Option<V> {
        self.read(|map| map.get(key).cloned())
    }

    /// Sets `key` to `value`, returning the previous value (the original's `State.put/3`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let state = ractor_session::Agent::new(HashMap::new());
    /// assert_eq!(state.put_key("user", "alice"), None);
    /// assert_eq!(state.put_key("user", "bob"), Some("alice"));
    /// ```
    pub fn put_key(&self, key: K, value: V) -> Option<V> {
        self.update(|map| map.insert(key, value))
    }

    /// Removes `key`, returning its value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let state = ractor_session::Agent::new(HashMap::from([("user", "alice")]));
    /// assert_eq!(state.remove_key(&"user"), Some("alice"));
    /// assert_eq!(state.get_key(&"user"), None);
    /// ```
    pub fn remove_key(&self, key: &K) -> Option<V> {
        self.update(|map| map.remove(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_value() {
        let a = Agent::new(1);
        let b = a.clone();
        b.put(2);
        assert_eq!(a.get(), 2);
    }

    #[test]
    fn reset_goes_back_to_the_initial_value_not_the_last_put() {
        let a = Agent::new(vec![1]);
        a.put(vec![2]);
        a.update(|v| v.push(3));
        assert_eq!(a.reset(), vec![2, 3]);
        assert_eq!(a.get(), vec![1]);
    }

    #[test]
    fn a_panicking_update_leaves_the_agent_usable() {
        let a = Agent::new(0);
        let b = a.clone();
        let outcome = std::panic::catch_unwind(move || {
            b.update(|n| {
                *n = 7;
                panic!("bad update");
            })
        });
        assert!(outcome.is_err());
        assert_eq!(a.get(), 7);
        a.update(|n| *n += 1);
        assert_eq!(a.get(), 8);
    }

    #[test]
    fn debug_shows_the_value() {
        assert_eq!(format!("{:?}", Agent::new(5)), "Agent { value: 5 }");
    }

    #[test]
    fn handles_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Agent<HashMap<String, u32>>>();
    }
}
