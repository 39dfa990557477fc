//! [`Combined`] reducers: several reducers, each owning a slice of the state, routed by the
//! action's name ([`SliceReducer`]), and what happens to actions none of them takes
//! ([`Unhandled`]).
//!
//! Slices are typed fields of the state struct, reached through an accessor, rather than
//! entries of a map of JSON values: each reducer keeps its own Rust type, the compiler
//! checks it, subscriptions select fields directly, and no action pays for converting JSON.
//! The price is that the state must be `Clone`: a dispatch clones it once (only when some
//! reducer is routed the action) and each routed reducer replaces its field in the copy.
//! Keep large slices behind an `Arc` to make that clone cheap.

use std::fmt;
use std::sync::Arc;

use super::Store;
use super::action::{Routable, strip_prefix};
use super::error::StoreError;
use super::reducer::Reduce;
use crate::session::current_session_id;

type SliceFn<S, A> = dyn Fn(&mut S, &str, &A) -> bool + Send + Sync;

/// One reducer of a [`Combined`] set: its name, the prefix it is routed by, and a reducer
/// over its own slice of the state.
///
/// The reducer, `Fn(&T, &str, &A) -> Option<T>`, gets its slice, the action's name with
/// the prefix and its dot stripped (`cart.add` reaches the `cart` reducer as `add`), and
/// the action; it returns the new slice, or `None` for an action it does not take. The
/// prefix defaults to the name; the empty prefix takes every action, with its whole name.
///
/// # Examples
///
/// ```
/// use ractor_session::store::{NamedAction, SliceReducer};
///
/// #[derive(Clone, Default)]
/// struct App { cart: Vec<String>, visits: u32 }
///
/// let cart = SliceReducer::new(
///     "cart",
///     |app: &mut App| &mut app.cart,
///     |cart: &Vec<String>, name: &str, action: &NamedAction<String>| match name {
///         "add" => Some([cart.as_slice(), &[action.payload().clone()]].concat()),
///         _ => None,
///     },
/// );
/// // Sees every action, e.g. to count them.
/// let visits = SliceReducer::new("visits", |app: &mut App| &mut app.visits, |n: &u32, _: &str, _: &NamedAction<String>| Some(n + 1))
///     .with_prefix("");
/// assert_eq!((cart.name(), cart.prefix()), ("cart", "cart"));
/// assert_eq!(visits.prefix(), "");
/// ```
pub struct SliceReducer<S, A> {
    name: String,
    prefix: String,
    reduce: Box<SliceFn<S, A>>,
}

impl<S, A> fmt::Debug for SliceReducer<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SliceReducer")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl<S, A> SliceReducer<S, A> {
    /// The reducer `name`, owning the slice `slice` returns, changed by `reduce`; routed by
    /// the prefix `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{NamedAction, SliceReducer};
    /// let count = SliceReducer::new("count", |n: &mut (u32, bool)| &mut n.0, |n: &u32, name: &str, _: &NamedAction<()>| {
    ///     (name == "increment").then(|| n + 1)
    /// });
    /// ```
    pub fn new<T, G, R>(name: impl Into<String>, slice: G, reduce: R) -> Self
    where
        G: Fn(&mut S) -> &mut T + Send + Sync + 'static,
        R: Fn(&T, &str, &A) -> Option<T> + Send + Sync + 'static,
        T: 'static,
    {
        let name = name.into();
        Self {
            prefix: name.clone(),
            name,
            reduce: Box::new(move |state, local, action| {
                let slot = slice(state);
                match reduce(slot, local, action) {
                    Some(next) => {
                        *slot = next;
                        true
                    }
                    None => false,
                }
            }),
        }
    }

    /// Routes by `prefix` instead of the name: it gets the actions named `prefix.…`, with
    /// `prefix.` stripped; the empty prefix gets every action whole (a catch-all). A trailing
    /// dot is ignored (`cart.` is `cart`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{NamedAction, SliceReducer};
    /// let cart = SliceReducer::new("cart", |n: &mut u32| n, |n: &u32, _: &str, _: &NamedAction<()>| Some(n + 1))
    ///     .with_prefix("shop.cart.");
    /// assert_eq!(cart.prefix(), "shop.cart");
    /// ```
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.prefix = prefix.strip_suffix('.').unwrap_or(&prefix).to_owned();
        self
    }

    /// The reducer's name, which actions target it by.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{NamedAction, SliceReducer};
    /// let r = SliceReducer::new("cart", |n: &mut u32| n, |n: &u32, _: &str, _: &NamedAction<()>| Some(*n));
    /// assert_eq!(r.name(), "cart");
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The prefix it is routed by (empty for a catch-all).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{NamedAction, SliceReducer};
    /// let r = SliceReducer::new("cart", |n: &mut u32| n, |n: &u32, _: &str, _: &NamedAction<()>| Some(*n));
    /// assert_eq!(r.prefix(), "cart");
    /// ```
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The name this reducer sees `name` as, if it is routed the action.
    fn route<'a>(&self, name: &'a str, targets: Option<&[String]>) -> Option<&'a str> {
        match targets {
            None => strip_prefix(&self.prefix, name),
            Some(targets) if targets.contains(&self.name) => {
                Some(strip_prefix(&self.prefix, name).unwrap_or(name))
            }
            Some(_) => None,
        }
    }
}

/// What a [`Combined`] store does with an action no reducer takes (none is routed it, or
/// every one routed it returns `None`). The state is unchanged either way and nothing is
/// recorded; the handler runs once per dispatch, never during time travel.
///
/// Logs name the action (never its payload, which may hold personal data) and, in a
/// session, its [redacted](crate::SessionId::redacted) ID, target `ractor_session::store`.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use ractor_session::store::{Combined, NamedAction, Routable, Store, Unhandled};
///
/// let missed = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&missed);
/// let mut store = Store::combined(0_u32, Combined::new().with_unhandled(Unhandled::call(
///     move |action: &NamedAction<()>| log.lock().unwrap().push(action.action_name().to_owned()),
/// )));
/// store.dispatch(NamedAction::new("nobody.home", ()))?;
/// assert_eq!(*missed.lock().unwrap(), ["nobody.home"]);
/// # Ok::<(), ractor_session::store::StoreError>(())
/// ```
#[derive(Default)]
#[non_exhaustive]
pub enum Unhandled<A> {
    /// Log at `DEBUG` (the default).
    #[default]
    Log,
    /// Log at `WARN`: for stores where every action should be taken.
    Warn,
    /// Say nothing.
    Silent,
    /// Call a function with the action.
    Call(Arc<dyn Fn(&A) + Send + Sync>),
}

impl<A> Unhandled<A> {
    /// [`Unhandled::Call`] with `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{NamedAction, Unhandled};
    /// let ignore = Unhandled::call(|_: &NamedAction<()>| {});
    /// ```
    pub fn call(f: impl Fn(&A) + Send + Sync + 'static) -> Self {
        Self::Call(Arc::new(f))
    }
}

impl<A> fmt::Debug for Unhandled<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Log => "Unhandled::Log",
            Self::Warn => "Unhandled::Warn",
            Self::Silent => "Unhandled::Silent",
            Self::Call(_) => "Unhandled::Call",
        })
    }
}

const TARGET: &str = "ractor_session::store";

/// Several reducers, each owning a named slice of the state, for
/// [`Store::combined`]: an action is routed by its dotted name to the reducers whose prefix
/// it starts with (the prefix stripped), or to the reducers it
/// [names](Routable::target_reducers).
///
/// - **Routing**: every reducer whose prefix the name starts with (`cart` for `cart.add`)
///   gets the action, in the order the reducers were added, and so does every catch-all
///   (empty prefix).
/// - **Targeting**: an action naming reducers goes to those only, prefix or not; a reducer
///   still sees the name without its own prefix when the name has it. Naming a reducer the
///   store lacks is [`StoreError::UnknownReducer`], and nothing is applied.
/// - **Unhandled**: an action no reducer takes leaves the state as it was, is not recorded,
///   and goes to the [`Unhandled`] handler ([`with_unhandled`](Self::with_unhandled)).
///
/// Slices are typed fields of `S` rather than a map of JSON values: each reducer keeps its
/// own type, checked by the compiler, and no action pays for converting JSON. So `S` must
/// be `Clone`: a dispatch routed to some reducer clones the state once, and each reducer
/// replaces its field in the copy (keep large slices behind an `Arc`).
///
/// # Examples
///
/// ```
/// use ractor_session::store::{Combined, NamedAction, SliceReducer, Store};
///
/// #[derive(Clone, Debug, Default, PartialEq)]
/// struct App { cart: Vec<String>, user: Option<String> }
///
/// type Action = NamedAction<String>;
///
/// let reducers = Combined::new()
///     .with_reducer(SliceReducer::new("cart", |app: &mut App| &mut app.cart, |cart: &Vec<String>, name: &str, action: &Action| {
///         match name {
///             "add" => Some([cart.as_slice(), &[action.payload().clone()]].concat()),
///             "clear" => Some(Vec::new()),
///             _ => None,
///         }
///     }))
///     .with_reducer(SliceReducer::new("user", |app: &mut App| &mut app.user, |user: &Option<String>, name: &str, action: &Action| {
///         match name {
///             "login" => Some(Some(action.payload().clone())),
///             "clear" => Some(None),
///             _ => None,
///         }
///     }));
/// let mut app = Store::combined(App::default(), reducers);
///
/// app.dispatch(NamedAction::new("cart.add", "pear".to_owned()))?;
/// app.dispatch(NamedAction::new("user.login", "ada".to_owned()))?;
/// assert_eq!(app.state(), &App { cart: vec!["pear".into()], user: Some("ada".into()) });
///
/// // "clear", for the cart reducer only.
/// app.dispatch(NamedAction::new("clear", String::new()).with_targets(["cart"]))?;
/// assert_eq!(app.state(), &App { cart: vec![], user: Some("ada".into()) });
/// # Ok::<(), ractor_session::store::StoreError>(())
/// ```
pub struct Combined<S, A> {
    reducers: Vec<SliceReducer<S, A>>,
    unhandled: Unhandled<A>,
}

impl<S, A> fmt::Debug for Combined<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Combined")
            .field("reducers", &self.reducers)
            .field("unhandled", &self.unhandled)
            .finish()
    }
}

impl<S, A> Default for Combined<S, A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S, A> Combined<S, A> {
    /// No reducers yet; unhandled actions are logged at `DEBUG`.
    ///
    /// # Examples
    ///
    /// ```
    /// let reducers = ractor_session::store::Combined::<u32, ractor_session::store::NamedAction<()>>::new();
    /// assert!(reducers.names().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            reducers: Vec::new(),
            unhandled: Unhandled::default(),
        }
    }

    /// Adds `reducer` after those already added.
    ///
    /// # Panics
    ///
    /// If a reducer of the same name was already added: names are how actions target
    /// reducers, so two of one name would be a bug in the code building the store.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{Combined, NamedAction, SliceReducer};
    /// let reducers = Combined::new()
    ///     .with_reducer(SliceReducer::new("count", |n: &mut u32| n, |n: &u32, _: &str, _: &NamedAction<()>| Some(n + 1)));
    /// assert_eq!(reducers.names(), ["count"]);
    /// ```
    #[must_use]
    pub fn with_reducer(mut self, reducer: SliceReducer<S, A>) -> Self {
        assert!(
            self.reducers.iter().all(|held| held.name != reducer.name),
            "two reducers are named {:?}: give each a name of its own",
            reducer.name
        );
        self.reducers.push(reducer);
        self
    }

    /// What to do with actions no reducer takes (default [`Unhandled::Log`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{Combined, NamedAction, Unhandled};
    /// let strict = Combined::<u32, NamedAction<()>>::new().with_unhandled(Unhandled::Warn);
    /// ```
    #[must_use]
    pub fn with_unhandled(mut self, unhandled: Unhandled<A>) -> Self {
        self.unhandled = unhandled;
        self
    }

    /// The reducers' names, in the order they were added.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{Combined, NamedAction, SliceReducer};
    /// let reducers = Combined::new()
    ///     .with_reducer(SliceReducer::new("a", |n: &mut (u8, u8)| &mut n.0, |n: &u8, _: &str, _: &NamedAction<()>| Some(*n)))
    ///     .with_reducer(SliceReducer::new("b", |n: &mut (u8, u8)| &mut n.1, |n: &u8, _: &str, _: &NamedAction<()>| Some(*n)));
    /// assert_eq!(reducers.names(), ["a", "b"]);
    /// ```
    #[must_use]
    pub fn names(&self) -> Vec<&str> {
        self.reducers.iter().map(|r| r.name.as_str()).collect()
    }
}

impl<S, A> Reduce<S, A> for Combined<S, A>
where
    S: Clone,
    A: Routable,
{
    fn reduce(&self, state: &S, action: &A) -> Result<Option<S>, StoreError> {
        let name = action.action_name();
        let targets = action.target_reducers();
        if let Some(unknown) = targets
            .into_iter()
            .flatten()
            .find(|target| self.reducers.iter().all(|r| r.name != **target))
        {
            return Err(StoreError::UnknownReducer {
                name: unknown.clone(),
                known: self.reducers.iter().map(|r| r.name.clone()).collect(),
            });
        }
        // Cloned once, when the first reducer is routed the action, and kept only if one
        // of them took it.
        let mut next = None;
        let mut taken = false;
        for reducer in &self.reducers {
            if let Some(local) = reducer.route(name, targets) {
                let next = next.get_or_insert_with(|| state.clone());
                taken |= (reducer.reduce)(next, local, action);
            }
        }
        Ok(next.filter(|_| taken))
    }

    fn unhandled(&self, action: &A) {
        let session = current_session_id().map(|id| tracing::field::display(id.redacted()));
        let action_name = action.action_name();
        match &self.unhandled {
            Unhandled::Log => {
                tracing::debug!(target: TARGET, session, action = action_name, "no reducer took the action");
            }
            Unhandled::Warn => {
                tracing::warn!(target: TARGET, session, action = action_name, "no reducer took the action");
            }
            Unhandled::Silent => {}
            Unhandled::Call(f) => f(action),
        }
    }
}

impl<S, A> Store<S, A>
where
    S: Clone + 'static,
    A: Routable + 'static,
{
    /// A store starting at `initial`, changed by the [`Combined`] `reducers`, each owning
    /// its slice of the state; no middleware, a history of 100 actions.
    ///
    /// Everything else is as for [`Store::new`]: middleware sees every action first, the
    /// history records the action each applied dispatch was, and time travel replays the
    /// combined reducers.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{Combined, NamedAction, SliceReducer, Store};
    ///
    /// let counter = SliceReducer::new("counter", |n: &mut i64| n, |n: &i64, name: &str, by: &NamedAction<i64>| match name {
    ///     "add" => Some(n + by.payload()),
    ///     _ => None,
    /// });
    /// let mut store = Store::combined(0, Combined::new().with_reducer(counter));
    /// store.dispatch(NamedAction::new("counter.add", 5))?;
    /// store.dispatch(NamedAction::new("counter.oops", 1))?; // taken by nobody: no change
    /// assert_eq!((*store.state(), store.seq()), (5, 1));
    /// # Ok::<(), ractor_session::store::StoreError>(())
    /// ```
    #[must_use]
    pub fn combined(initial: S, reducers: Combined<S, A>) -> Self {
        Self::from_reducer(initial, Box::new(reducers))
    }
}
