//! The cart session: one actor per visitor, holding the cart and telling its live sockets.

use std::collections::BTreeMap;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::current_session_id;
use ractor_session_axum::LiveSockets;
use serde::Serialize;

/// Longest item name, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 40;

/// Most distinct items in one cart.
pub(crate) const MAX_ITEMS: usize = 50;

/// Most units of one item.
pub(crate) const MAX_QUANTITY: u32 = 99;

/// The cart as the browser sees it; also the `cart` event pushed to live sockets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct CartView {
    /// Always `"cart"`.
    pub(crate) event: &'static str,
    /// Item names and quantities, by name.
    pub(crate) items: Vec<CartLine>,
    /// Bumped on every change, so a page can drop a stale update.
    pub(crate) version: u64,
}

/// One line of the cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct CartLine {
    pub(crate) name: String,
    pub(crate) quantity: u32,
}

/// Why a change was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
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
    Add(String, RpcReplyPort<Result<CartView, CartError>>),
    Remove(String, RpcReplyPort<Result<CartView, CartError>>),
    View(RpcReplyPort<CartView>),
}

/// The session actor of the demo.
#[derive(Debug)]
pub(crate) struct CartSession;

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
            event: "cart",
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
    type Arguments = LiveSockets;

    async fn pre_start(
        &self,
        _: ActorRef<CartMsg>,
        live: LiveSockets,
    ) -> Result<Cart, ActorProcessingErr> {
        Ok(Cart {
            live,
            items: BTreeMap::new(),
            version: 0,
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
            CartMsg::Add(name, reply) => {
                let result = cart.add(name).map(|()| cart.changed());
                let _ = reply.send(result);
            }
            CartMsg::Remove(name, reply) => {
                let result = cart.remove(&name).map(|()| cart.changed());
                let _ = reply.send(result);
            }
            CartMsg::View(reply) => {
                let _ = reply.send(cart.view());
            }
        }
        Ok(())
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
}
