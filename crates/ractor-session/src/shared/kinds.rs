//! [`Kinds`]: the durable session types a manager knows, by type tag (to restore a
//! record) and by actor type (to write a started session's state).
//!
//! A [`Kind`] is a registered type with its type erased: the manager (which implements
//! it for every `A: DurableSession`) reaches the generic code through it when all it has
//! is a record's tag. It is defined next to [`Shared`], which holds the kinds and which
//! reviving a session needs.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use ractor::Actor;

use super::Shared;
use crate::durable::Codec;
use crate::entry::Entry;
use crate::error::{BoxError, SessionError};

/// A registered durable session type, with its type erased.
pub(crate) trait Kind: fmt::Debug + Send + Sync + 'static {
    /// The tag its records carry.
    fn tag(&self) -> &'static str;
    /// The layout of its state's bytes.
    fn format(&self) -> u32;
    /// Its actor's type: `A`, not the session wrapper.
    fn actor_type(&self) -> TypeId;
    /// The type of its actor's messages, for typed lookups.
    fn message_type(&self) -> TypeId;
    /// Its actor type's short name, for listings and telemetry.
    fn session_type(&self) -> &'static str;
    /// Its [`Codec`], as `Codec<A>`.
    fn codec(&self) -> &(dyn Any + Send + Sync);
    /// Reads `state` (written in `format`) and spawns the actor of `entry` from it.
    fn spawn<'a>(
        &'a self,
        shared: &'a Arc<Shared>,
        entry: &'a Arc<Entry>,
        state: &'a [u8],
        format: u32,
    ) -> BoxFuture<'a, Result<(), Revival>>;
}

/// Why a stored state did not become an actor.
#[derive(Debug)]
pub(crate) enum Revival {
    /// The bytes do not read back (or the type's `restore` refused them).
    Unreadable(BoxError),
    /// The actor's `pre_start` failed on the restored arguments.
    Start(ractor::SpawnErr),
}

/// The durable session types of a manager.
#[derive(Default)]
pub(crate) struct Kinds {
    by_tag: HashMap<&'static str, Arc<dyn Kind>>,
    by_actor: HashMap<TypeId, Arc<dyn Kind>>,
}

impl fmt::Debug for Kinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.by_tag.keys()).finish()
    }
}

impl Kinds {
    /// Adds `kind`.
    ///
    /// # Errors
    ///
    /// [`SessionError::InvalidConfig`] for a malformed tag, or a tag or actor type
    /// registered twice.
    pub(crate) fn insert(&mut self, kind: Arc<dyn Kind>) -> Result<(), SessionError> {
        let tag = kind.tag();
        let tag_ok = (1..=MAX_TAG_LEN).contains(&tag.len())
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
        let refused = |reason: String| SessionError::InvalidConfig {
            field: "durable session types",
            reason,
        };
        if !tag_ok {
            return Err(refused(format!(
                "the tag {tag:?} of `{}` must be 1 to 64 bytes of A-Z a-z 0-9 _ - . :",
                kind.session_type()
            )));
        }
        if self.by_tag.contains_key(tag) {
            return Err(refused(format!(
                "the tag `{tag}` is registered twice; give one type another tag with `with_durable_as`"
            )));
        }
        if self.by_actor.contains_key(&kind.actor_type()) {
            return Err(refused(format!(
                "`{}` is registered twice",
                kind.session_type()
            )));
        }
        self.by_actor.insert(kind.actor_type(), Arc::clone(&kind));
        self.by_tag.insert(tag, kind);
        Ok(())
    }

    /// The type whose records carry `tag`.
    pub(crate) fn by_tag(&self, tag: &str) -> Option<&dyn Kind> {
        self.by_tag.get(tag).map(|kind| &**kind)
    }

    /// Whether a type is registered under `tag`.
    pub(crate) fn has_tag(&self, tag: &str) -> bool {
        self.by_tag.contains_key(tag)
    }

    /// The registration and codec of the actor type `A`, if it is registered.
    pub(crate) fn of<A: Actor>(&self) -> Option<(&dyn Kind, Codec<A>)> {
        let kind = self.by_actor.get(&TypeId::of::<A>())?;
        let codec = kind.codec().downcast_ref::<Codec<A>>()?;
        Some((&**kind, *codec))
    }
}

/// The longest tag: it is stored with every record.
const MAX_TAG_LEN: usize = 64;
