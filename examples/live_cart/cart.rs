//! The cart session: one actor per visitor, holding the cart and telling its live sockets.

use std::borrow::Cow;
use std::collections::BTreeMap;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::durable::DurableSession;
use ractor_session::{BoxError, RemoteSession, current_session_id};
use ractor_session_axum::LiveSockets;
use serde::{Deserialize, Serialize};

/// Longest item name, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 40;

/// Most distinct items in one cart.
pub(crate) const MAX_ITEMS: usize = 50;

/// Most units of one item.
pub(crate) const MAX_QUANTITY: u32 = 99;

/// The cart as the browser sees it; also the `cart` event pushed to live sockets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CartView {
    /// Always `"cart"`.
    pub(crate) event: Cow<'static, str>,
    /// Item names and quantities, by name.
    pub(crate) items: Vec<CartLine>,
    /// Bumped on every change, so a page can drop a stale update.
    pub(crate) version: u64,
}

/// One line of the cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CartLine {
    pub(crate) name: String,
    pub(crate) quantity: u32,
}

/// Why a change was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub(crate) enum CartError {
    #[error("an item name must be 1 to {MAX_NAME_CHARS} characters, without control characters")]
    BadName,
    #[error("the cart holds at most {MAX_ITEMS} different items")]
    Full,
    #[error("at most {MAX_QUANTITY} of one item")]
    TooMany,
    #[error("that item is not in the cart")]
    NotInCart,
}

/// Messages of [`CartSession`].
#[derive(Debug)]
pub(crate) enum CartMsg {
    /// A [`CartRequest`], from whichever node of a cluster took the HTTP request.
    Request(CartRequest, RpcReplyPort<Result<CartView, CartError>>),
}

// Under ractor's `cluster` feature each message type has its own `Message` impl.
#[cfg(feature = "cluster")]
impl ractor::Message for CartMsg {}

/// What a handler asks a cart, from whichever node took the request.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum CartRequest {
    View,
    Add { item: String },
    Remove { item: String },
}

/// The session actor of the demo; it tells `live` about changes.
#[derive(Clone, Debug)]
pub(crate) struct CartSession {
    live: LiveSockets,
}

impl CartSession {
    pub(crate) fn new(live: LiveSockets) -> Self {
        Self { live }
    }
}

/// What a cart is kept as in the session store, and started from.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct SavedCart {
    items: BTreeMap<String, u32>,
    version: u64,
}

/// [`SavedCart`]'s form when written, borrowed from the live cart.
#[derive(Serialize)]
struct SavedCartRef<'a> {
    items: &'a BTreeMap<String, u32>,
    version: u64,
}

/// Its state: the cart, and where to tell about changes.
#[derive(Debug)]
pub(crate) struct Cart {
    live: LiveSockets,
    items: BTreeMap<String, u32>,
    version: u64,
}

impl Cart {
    fn view(&self) -> CartView {
        CartView {
            event: Cow::Borrowed("cart"),
            items: self
                .items
                .iter()
                .map(|(name, &quantity)| CartLine {
                    name: name.clone(),
                    quantity,
                })
                .collect(),
            version: self.version,
        }
    }

    fn add(&mut self, name: String) -> Result<(), CartError> {
        let name = clean_name(&name)?;
        let at_capacity = self.items.len() >= MAX_ITEMS;
        match self.items.get_mut(&name) {
            Some(quantity) if *quantity >= MAX_QUANTITY => return Err(CartError::TooMany),
            Some(quantity) => *quantity += 1,
            None if at_capacity => return Err(CartError::Full),
            None => {
                self.items.insert(name, 1);
            }
        }
        Ok(())
    }

    fn remove(&mut self, name: &str) -> Result<(), CartError> {
        let name = clean_name(name)?;
        self.items
            .remove(&name)
            .map(|_| ())
            .ok_or(CartError::NotInCart)
    }

    /// Bumps the version and tells every open tab of this session. Runs inside the actor,
    /// so updates reach the tabs in the order they were made.
    fn changed(&mut self) -> CartView {
        self.version += 1;
        let view = self.view();
        if let Some(id) = current_session_id()
            && let Err(error) = self.live.push(&id, &view)
        {
            tracing::warn!(%error, "cart update not pushed");
        }
        view
    }
}

fn clean_name(name: &str) -> Result<String, CartError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(CartError::BadName);
    }
    Ok(name.to_owned())
}

impl Actor for CartSession {
    type Msg = CartMsg;
    type State = Cart;
    type Arguments = SavedCart;

    async fn pre_start(
        &self,
        _: ActorRef<CartMsg>,
        saved: SavedCart,
    ) -> Result<Cart, ActorProcessingErr> {
        Ok(Cart {
            live: self.live.clone(),
            items: saved.items,
            version: saved.version,
        })
    }

    async fn handle(
        &self,
        _: ActorRef<CartMsg>,
        message: CartMsg,
        cart: &mut Cart,
    ) -> Result<(), ActorProcessingErr> {
        // A caller that gave up waiting is no error of the cart: ignore failed replies.
        match message {
            CartMsg::Request(request, reply) => {
                let result = match request {
                    CartRequest::View => Ok(cart.view()),
                    CartRequest::Add { item } => cart.add(item).map(|()| cart.changed()),
                    CartRequest::Remove { item } => cart.remove(&item).map(|()| cart.changed()),
                };
                let _ = reply.send(result);
            }
        }
        Ok(())
    }
}

/// The cart survives a restart: kept in the session store after every change.
impl DurableSession for CartSession {
    const TYPE_TAG: &'static str = "live_cart";
    type Snapshot = SavedCart;

    fn snapshot(cart: &Cart) -> impl Serialize {
        SavedCartRef {
            items: &cart.items,
            version: cart.version,
        }
    }

    /// A stored cart is held to the same limits as one built by the page.
    fn restore(&self, saved: SavedCart) -> Result<SavedCart, BoxError> {
        let fits = saved.items.len() <= MAX_ITEMS
            && saved.items.iter().all(|(name, &quantity)| {
                clean_name(name).as_deref() == Ok(name.as_str())
                    && (1..=MAX_QUANTITY).contains(&quantity)
            });
        if fits {
            Ok(saved)
        } else {
            Err("the stored cart breaks the limits of a cart".into())
        }
    }

    fn mutates(message: &CartMsg) -> bool {
        !matches!(message, CartMsg::Request(CartRequest::View, _))
    }
}

/// The cart is reachable from every node of a cluster (and by request on one node).
impl RemoteSession for CartSession {
    type Request = CartRequest;
    type Reply = Result<CartView, CartError>;

    fn request(request: CartRequest, reply: RpcReplyPort<Result<CartView, CartError>>) -> CartMsg {
        CartMsg::Request(request, reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cart() -> Cart {
        Cart {
            live: LiveSockets::new(),
            items: BTreeMap::new(),
            version: 0,
        }
    }

    #[test]
    fn adding_counts_units_and_removing_drops_the_line() {
        let mut c = cart();
        c.add(" apple ".into()).unwrap();
        c.add("apple".into()).unwrap();
        c.add("pear".into()).unwrap();
        let view = c.view();
        assert_eq!(view.items.len(), 2);
        assert_eq!(
            view.items[0],
            CartLine {
                name: "apple".into(),
                quantity: 2
            }
        );
        c.remove("apple").unwrap();
        assert_eq!(c.view().items.len(), 1);
        assert_eq!(c.remove("apple"), Err(CartError::NotInCart));
    }

    #[test]
    fn bad_names_and_overfull_carts_are_refused() {
        let mut c = cart();
        for bad in ["", "   ", "a\nb", &"x".repeat(MAX_NAME_CHARS + 1)] {
            assert_eq!(c.add(bad.to_owned()), Err(CartError::BadName), "{bad:?}");
        }
        for i in 0..MAX_ITEMS {
            c.add(format!("item {i}")).unwrap();
        }
        assert_eq!(c.add("one more".into()), Err(CartError::Full));
        for _ in 1..MAX_QUANTITY {
            c.add("item 0".into()).unwrap();
        }
        assert_eq!(c.add("item 0".into()), Err(CartError::TooMany));
    }

    #[test]
    fn a_saved_cart_reads_back_and_a_tampered_one_is_refused() {
        let mut c = cart();
        c.add("apple".into()).unwrap();
        c.changed();
        let bytes = serde_json::to_vec(&CartSession::snapshot(&c)).unwrap();
        let saved: SavedCart = serde_json::from_slice(&bytes).unwrap();
        let session = CartSession::new(LiveSockets::new());
        let saved = session.restore(saved).unwrap();
        assert_eq!(saved.items.get("apple"), Some(&1));
        assert_eq!(saved.version, 1);

        for tampered in [
            r#"{"items":{"apple":0},"version":1}"#,
            r#"{"items":{"apple":100},"version":1}"#,
            r#"{"items":{" apple":1},"version":1}"#,
            r#"{"items":{"":1},"version":1}"#,
        ] {
            let saved: SavedCart = serde_json::from_str(tampered).unwrap();
            assert!(session.restore(saved).is_err(), "{tampered}");
        }
    }
}
