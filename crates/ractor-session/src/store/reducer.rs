//! How a store computes its next state: the `Reduce` trait behind both one reducer
//! ([`Store::new`](super::Store::new)) and [`Combined`](super::Combined) reducers.

use super::error::StoreError;

/// A store's reducer, whichever way it was built.
pub(super) trait Reduce<S, A>: Send + Sync {
    /// The state after `action`, or `None` when no reducer takes it (the store then
    /// applies nothing). Errors when the action is invalid for these reducers.
    fn reduce(&self, state: &S, action: &A) -> Result<Option<S>, StoreError>;

    /// Told of an action no reducer took, once per dispatch (never during time travel).
    fn unhandled(&self, action: &A) {
        let _ = action;
    }
}

/// One reducer function: it takes every action.
pub(super) struct Single<F>(pub(super) F);

impl<S, A, F> Reduce<S, A> for Single<F>
where
    F: Fn(&S, &A) -> S + Send + Sync,
{
    fn reduce(&self, state: &S, action: &A) -> Result<Option<S>, StoreError> {
        Ok(Some((self.0)(state, action)))
    }
}
