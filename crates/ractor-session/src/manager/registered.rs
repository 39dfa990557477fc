//! [`Registered`]: a durable session type as the manager knows it, behind the
//! type-erased [`Kind`] a record's tag finds.

use std::any::{Any, TypeId, type_name};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use ractor::Actor;

use crate::durable::{Codec, DurableSession, decode};
use crate::entry::Entry;
use crate::shared::{Kind, Revival, Shared};
use crate::telemetry::short_type_name;

use super::start::spawn_actor;

/// The durable type `A`, whose actors `make` builds, under the tag `tag`.
pub(super) struct Registered<A: Actor, F> {
    tag: &'static str,
    make: F,
    codec: Codec<A>,
    _actor: PhantomData<fn() -> A>,
}

impl<A, F> Registered<A, F>
where
    A: DurableSession,
    F: Fn() -> A + Send + Sync + 'static,
{
    pub(super) fn new(tag: &'static str, make: F) -> Self {
        Self {
            tag,
            make,
            codec: Codec::of(),
            _actor: PhantomData,
        }
    }
}

impl<A: Actor, F> fmt::Debug for Registered<A, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registered")
            .field("tag", &self.tag)
            .field("session_type", &short_type_name(type_name::<A>()))
            .finish_non_exhaustive()
    }
}

impl<A, F> Kind for Registered<A, F>
where
    A: DurableSession,
    F: Fn() -> A + Send + Sync + 'static,
{
    fn tag(&self) -> &'static str {
        self.tag
    }

    fn format(&self) -> u32 {
        A::FORMAT
    }

    fn actor_type(&self) -> TypeId {
        TypeId::of::<A>()
    }

    fn message_type(&self) -> TypeId {
        TypeId::of::<A::Msg>()
    }

    fn session_type(&self) -> &'static str {
        short_type_name(type_name::<A>())
    }

    fn codec(&self) -> &(dyn Any + Send + Sync) {
        &self.codec
    }

    fn spawn<'a>(
        &'a self,
        shared: &'a Arc<Shared>,
        entry: &'a Arc<Entry>,
        state: &'a [u8],
        format: u32,
    ) -> BoxFuture<'a, Result<(), Revival>> {
        let actor = (self.make)();
        let args = decode::<A>(format, state).and_then(|snapshot| actor.restore(snapshot));
        async move {
            let args = args.map_err(Revival::Unreadable)?;
            spawn_actor(shared, entry, actor, args, Some(self.codec))
                .await
                .map_err(Revival::Start)
        }
        .boxed()
    }
}
