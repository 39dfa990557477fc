//! The one byte format of stored states (JSON, through serde), and [`Codec`], what the
//! session wrapper needs of a [`DurableSession`] without knowing that it is one.
//!
//! JSON because serde_json is already a dependency, records stay readable (and fixable)
//! by hand, and a schema change shows up as a clear serde error. Its cost is paid once per
//! message that may change a durable session (see `docs/durability.md`).

use std::fmt;

use ractor::Actor;

use super::BoxError;
use super::session::DurableSession;

/// A session type's state to bytes, and which of its messages change it: plain function
/// pointers, so that the session wrapper holds them for any actor type and calls them
/// without a lookup.
pub(crate) struct Codec<A: Actor> {
    /// Whether a message may change the state.
    pub(crate) mutates: fn(&A::Msg) -> bool,
    /// The state's bytes.
    pub(crate) encode: fn(&A::State) -> Result<Vec<u8>, BoxError>,
}

impl<A: Actor> Clone for Codec<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A: Actor> Copy for Codec<A> {}

impl<A: Actor> fmt::Debug for Codec<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Codec")
    }
}

impl<A: DurableSession> Codec<A> {
    /// The codec of the durable type `A`.
    pub(crate) fn of() -> Self {
        Self {
            mutates: A::mutates,
            encode: encode::<A>,
        }
    }
}

fn encode<A: DurableSession>(state: &A::State) -> Result<Vec<u8>, BoxError> {
    Ok(serde_json::to_vec(&A::snapshot(state))?)
}

/// Reads `bytes`, written by `A` in its layout `format`: directly in the current
/// layout, through [`DurableSession::migrate`] in any other.
pub(crate) fn decode<A: DurableSession>(
    format: u32,
    bytes: &[u8],
) -> Result<A::Snapshot, BoxError> {
    if format == A::FORMAT {
        Ok(serde_json::from_slice(bytes)?)
    } else {
        A::migrate(format, bytes)
    }
}

#[cfg(test)]
mod tests {
    use ractor::{ActorProcessingErr, ActorRef};
    use serde::{Deserialize, Serialize};

    use super::*;

    /// A state whose second layout renamed a field.
    struct Versioned;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct V2 {
        total: u64,
    }

    impl Actor for Versioned {
        type Msg = ();
        type State = V2;
        type Arguments = V2;

        async fn pre_start(&self, _: ActorRef<()>, args: V2) -> Result<V2, ActorProcessingErr> {
            Ok(args)
        }
    }

    impl DurableSession for Versioned {
        const TYPE_TAG: &'static str = "versioned";
        const FORMAT: u32 = 2;
        type Snapshot = V2;

        fn snapshot(state: &V2) -> impl Serialize {
            state
        }

        fn restore(&self, snapshot: V2) -> Result<V2, BoxError> {
            Ok(snapshot)
        }

        fn migrate(format: u32, bytes: &[u8]) -> Result<V2, BoxError> {
            #[derive(Deserialize)]
            struct V1 {
                sum: u64,
            }
            match format {
                1 => Ok(V2 {
                    total: serde_json::from_slice::<V1>(bytes)?.sum,
                }),
                _ => Err("no such format".into()),
            }
        }
    }

    #[test]
    fn the_current_layout_reads_back_what_was_written() {
        let bytes = (Codec::<Versioned>::of().encode)(&V2 { total: 7 }).unwrap();
        assert_eq!(bytes, br#"{"total":7}"#);
        assert_eq!(decode::<Versioned>(2, &bytes).unwrap(), V2 { total: 7 });
    }

    #[test]
    fn an_older_layout_goes_through_migrate() {
        assert_eq!(
            decode::<Versioned>(1, br#"{"sum":3}"#).unwrap(),
            V2 { total: 3 }
        );
        assert!(decode::<Versioned>(3, b"{}").is_err());
        assert!(decode::<Versioned>(2, br#"{"sum":3}"#).is_err());
    }
}
