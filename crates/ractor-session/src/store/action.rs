//! Actions with a name: [`Routable`], what [`Combined`](super::Combined) reducers route by
//! and [`Pace`](super::Pace) rules match, and [`NamedAction`], the ready `(name, payload)`
//! form of it.
//!
//! Names are dotted paths (`"cart.add"`): a reducer with the prefix `cart` gets the action
//! as `add`, and a pace pattern `cart.*` matches it. A name is what crosses the wire (a
//! websocket message, a config file), so routing by name lets a page name the reducer
//! without the server mapping strings to types by hand.

use serde::{Deserialize, Serialize};

/// An action with a dotted name, and optionally the reducers it is meant for.
///
/// [`Combined`](super::Combined) reducers route an action by its name, or to the reducers
/// it names; [`Pace`](super::Pace) rules match its name. [`NamedAction`] implements it; so
/// can an enum of your own, to keep typed actions and still be routed:
///
/// # Examples
///
/// ```
/// use ractor_session::store::Routable;
///
/// enum Action { AddItem(String), Login(String) }
///
/// impl Routable for Action {
///     fn action_name(&self) -> &str {
///         match self {
///             Action::AddItem(_) => "cart.add",
///             Action::Login(_) => "user.login",
///         }
///     }
/// }
///
/// assert_eq!(Action::Login("ada".into()).action_name(), "user.login");
/// assert!(Action::AddItem("pear".into()).target_reducers().is_none());
/// ```
pub trait Routable {
    /// The action's dotted name, e.g. `"cart.add"`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{NamedAction, Routable};
    /// assert_eq!(NamedAction::new("cart.add", 3).action_name(), "cart.add");
    /// ```
    fn action_name(&self) -> &str;

    /// The names of the reducers this action is for, bypassing routing by prefix; `None`
    /// (the default) routes by prefix.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::{NamedAction, Routable};
    /// let action = NamedAction::new("reset", ()).with_targets(["cart", "user"]);
    /// assert_eq!(action.target_reducers(), Some(&["cart".to_owned(), "user".to_owned()][..]));
    /// ```
    fn target_reducers(&self) -> Option<&[String]> {
        None
    }
}

/// An action as a dotted name and a payload, optionally for named reducers: the form
/// actions take when they come off the wire.
///
/// It serializes as `{"name": "cart.add", "payload": …}`, with `"targets": [...]` when it
/// names its reducers, so a page can send it as JSON and a snapshot can store it.
///
/// # Examples
///
/// ```
/// use ractor_session::store::{NamedAction, Routable};
///
/// let json = r#"{"name": "cart.add", "payload": {"sku": "pear"}, "targets": ["cart"]}"#;
/// let action: NamedAction<serde_json::Value> = serde_json::from_str(json).unwrap();
/// assert_eq!(action.name(), "cart.add");
/// assert_eq!(action.payload()["sku"], "pear");
/// assert_eq!(action.target_reducers().unwrap(), ["cart"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NamedAction<P> {
    name: String,
    payload: P,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    targets: Option<Vec<String>>,
}

impl<P> NamedAction<P> {
    /// The action `name` carrying `payload`, routed by prefix.
    ///
    /// # Examples
    ///
    /// ```
    /// let action = ractor_session::store::NamedAction::new("cart.add", "pear");
    /// assert_eq!(*action.payload(), "pear");
    /// ```
    pub fn new(name: impl Into<String>, payload: P) -> Self {
        Self {
            name: name.into(),
            payload,
            targets: None,
        }
    }

    /// For the reducers named `targets` only, whatever their prefixes.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::store::NamedAction;
    /// let action = NamedAction::new("clear", ()).with_targets(["cart"]);
    /// assert_eq!(action.targets().unwrap(), ["cart"]);
    /// ```
    #[must_use]
    pub fn with_targets(mut self, targets: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.targets = Some(targets.into_iter().map(Into::into).collect());
        self
    }

    /// The dotted name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ractor_session::store::NamedAction::new("user.login", ()).name(), "user.login");
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The payload.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(*ractor_session::store::NamedAction::new("cart.add", 7).payload(), 7);
    /// ```
    #[must_use]
    pub fn payload(&self) -> &P {
        &self.payload
    }

    /// The reducers it names, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ractor_session::store::NamedAction::new("cart.add", 7).targets().is_none());
    /// ```
    #[must_use]
    pub fn targets(&self) -> Option<&[String]> {
        self.targets.as_deref()
    }
}

impl<P> Routable for NamedAction<P> {
    fn action_name(&self) -> &str {
        &self.name
    }

    fn target_reducers(&self) -> Option<&[String]> {
        self.targets()
    }
}

/// The rest of `name` after the dotted `prefix` (`cart` takes `cart.add` as `add`); the
/// empty prefix takes every name whole.
pub(super) fn strip_prefix<'a>(prefix: &str, name: &'a str) -> Option<&'a str> {
    if prefix.is_empty() {
        return Some(name);
    }
    name.strip_prefix(prefix)?.strip_prefix('.')
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters (dots
/// included) and everything else for itself: `cart.*`, `*.refresh`, `*`.
pub(super) fn pattern_matches(pattern: &str, name: &str) -> bool {
    let mut pieces = pattern.split('*');
    // `split` yields at least one piece: the text before the first `*` (or all of it).
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let Some(last) = pieces.next_back() else {
        return rest.is_empty();
    };
    for middle in pieces {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_takes_whole_dotted_segments_and_the_empty_prefix_takes_all() {
        assert_eq!(strip_prefix("cart", "cart.add"), Some("add"));
        assert_eq!(strip_prefix("shop.cart", "shop.cart.add"), Some("add"));
        assert_eq!(strip_prefix("cart", "cartography.add"), None);
        assert_eq!(strip_prefix("cart", "cart"), None);
        assert_eq!(strip_prefix("", "cart.add"), Some("cart.add"));
    }

    #[test]
    fn patterns_match_exactly_or_with_stars() {
        assert!(pattern_matches("cart.add", "cart.add"));
        assert!(!pattern_matches("cart.add", "cart.add.more"));
        assert!(!pattern_matches("cart.add", "cart"));
        assert!(pattern_matches("cart.*", "cart.add"));
        assert!(pattern_matches("cart.*", "cart.item.add"));
        assert!(!pattern_matches("cart.*", "user.add"));
        assert!(pattern_matches("*.refresh", "cart.refresh"));
        assert!(!pattern_matches("*.refresh", "cart.refresh.now"));
        assert!(pattern_matches("*", "anything"));
        assert!(pattern_matches("a*b*c", "a-x-b-y-c"));
        assert!(!pattern_matches("a*b*c", "a-x-c-y-b"));
        assert!(!pattern_matches("ab*ba", "aba"), "pieces must not overlap");
    }
}
