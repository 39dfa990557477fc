//! [`StoreSession`] as a [`DurableSession`]: its store's state and action number are
//! written, and put back into the store [`StoreSession::restoring`] builds.
//!
//! The history is not written: it holds a state per action (up to a hundred by default),
//! which would multiply the bytes of every write; a restored store's history starts
//! empty, and time travel reaches back to the restore. Subscriptions and jobs belong to
//! the running session and end with it.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Store;
use super::persist::StoreSnapshot;
use super::session::{StoreMsg, StoreSession};
use crate::durable::DurableSession;
use crate::error::BoxError;

/// What is written of a store: a [`StoreSnapshot`] without history.
#[derive(Serialize)]
struct Written<'a, S> {
    seq: u64,
    state: &'a S,
    history: [(); 0],
}

impl<S, A> DurableSession for StoreSession<S, A>
where
    S: Serialize + DeserializeOwned + Send + Sync + 'static,
    A: DeserializeOwned + Send + 'static,
{
    /// `store`: register two store session types under tags of their own with
    /// [`with_durable_as`](crate::SessionManagerBuilder::with_durable_as).
    const TYPE_TAG: &'static str = "store";
    type Snapshot = StoreSnapshot<S, A>;

    fn snapshot(store: &Store<S, A>) -> impl Serialize {
        Written {
            seq: store.seq(),
            state: store.state(),
            history: [],
        }
    }

    fn restore(&self, snapshot: StoreSnapshot<S, A>) -> Result<Store<S, A>, BoxError> {
        let make = self.make_store.as_ref().ok_or(
            "this store session cannot be restored: register it with `StoreSession::restoring`",
        )?;
        let mut store = make();
        store.restore(snapshot)?;
        Ok(store)
    }

    fn mutates(message: &StoreMsg<S, A>) -> bool {
        // A job's actions come back as `Run` messages.
        matches!(
            message,
            StoreMsg::Dispatch(..) | StoreMsg::Cast(_) | StoreMsg::Run(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::{Codec, decode};

    type Counter = StoreSession<i64, i64>;

    fn counter() -> Store<i64, i64> {
        Store::new(0, |n: &i64, add: &i64| n + add)
    }

    #[test]
    fn state_and_action_number_come_back_without_the_history() {
        let mut store = counter();
        store.dispatch(2).unwrap();
        store.dispatch(3).unwrap();
        let bytes = (Codec::<Counter>::of().encode)(&store).unwrap();
        assert_eq!(bytes, br#"{"seq":2,"state":5,"history":[]}"#);

        let snapshot = decode::<Counter>(1, &bytes).unwrap();
        let restored = StoreSession::restoring(counter).restore(snapshot).unwrap();
        assert_eq!((*restored.state(), restored.seq()), (5, 2));
        assert!(restored.history().is_empty());
    }

    #[test]
    fn a_store_session_without_a_store_to_restore_into_says_so() {
        let snapshot = decode::<Counter>(1, br#"{"seq":0,"state":1,"history":[]}"#).unwrap();
        let error = StoreSession::new().restore(snapshot).unwrap_err();
        assert!(
            error.to_string().contains("StoreSession::restoring"),
            "{error}"
        );
    }
}
