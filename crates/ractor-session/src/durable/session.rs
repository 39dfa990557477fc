//! [`DurableSession`]: how a session type's state becomes bytes in a store and back.

use std::error::Error;

use ractor::Actor;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A session type whose state survives a restart: it says how its state is written
/// (serde, as JSON) and how a stored state becomes the arguments of a new actor.
///
/// Register the type with the manager
/// ([`SessionManagerBuilder::with_durable`](crate::SessionManagerBuilder::with_durable)) and
/// give the manager a [store](crate::durable::SessionStore): after every message that
/// [`mutates`](Self::mutates) the state, the session's newest state is kept as bytes and
/// written to the store (in batches, or before the caller's reply: see
/// [`WritePolicy`](crate::WritePolicy)). The next operation on the session's ID after a
/// restart finds the record, picks the type by its [`TYPE_TAG`](Self::TYPE_TAG), turns
/// the bytes back into a [`Snapshot`](Self::Snapshot), and starts the actor with the
/// arguments [`restore`](Self::restore) makes of it.
///
/// [`KvSession`](crate::KvSession) and [`StoreSession`](crate::store::StoreSession) (when
/// its state and actions are serde) implement it. Types that do not are never written to
/// a store and behave as without one.
///
/// # Examples
///
/// A cart whose state is its arguments, in a few lines:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
/// use ractor_session::durable::{DurableSession, SqliteStore};
/// use ractor_session::{BoxError, SessionConfig, SessionManager};
///
/// struct Cart;
///
/// enum CartMsg {
///     Add(String),
///     Items(RpcReplyPort<Vec<String>>),
/// }
///
/// impl Actor for Cart {
///     type Msg = CartMsg;
///     type State = Vec<String>;
///     type Arguments = Vec<String>;
///
///     async fn pre_start(&self, _: ActorRef<CartMsg>, items: Vec<String>) -> Result<Vec<String>, ActorProcessingErr> {
///         Ok(items)
///     }
///
///     async fn handle(&self, _: ActorRef<CartMsg>, msg: CartMsg, items: &mut Vec<String>) -> Result<(), ActorProcessingErr> {
///         match msg {
///             CartMsg::Add(item) => items.push(item),
///             CartMsg::Items(reply) => { let _ = reply.send(items.clone()); }
///         }
///         Ok(())
///     }
/// }
///
/// impl DurableSession for Cart {
///     const TYPE_TAG: &'static str = "cart";
///     type Snapshot = Vec<String>;
///
///     fn snapshot(items: &Vec<String>) -> impl serde::Serialize {
///         items
///     }
///
///     fn restore(&self, items: Vec<String>) -> Result<Vec<String>, BoxError> {
///         Ok(items)
///     }
///
///     fn mutates(msg: &CartMsg) -> bool {
///         matches!(msg, CartMsg::Add(_))
///     }
/// }
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("sessions.db");
/// let store = Arc::new(SqliteStore::open(&path).await?);
/// let manager = SessionManager::builder(SessionConfig::default())
///     .with_store(store)
///     .with_durable(|| Cart)
///     .spawn()
///     .await?;
/// manager.start_with("alice", Cart, vec![]).await?;
/// manager.cast("alice", CartMsg::Add("apple".into())).await?;
/// assert_eq!(manager.call("alice", CartMsg::Items).await?, ["apple"]);
/// manager.shutdown().await; // writes every change
///
/// // Later, in a new process: the first use of the ID brings the cart back.
/// let manager = SessionManager::builder(SessionConfig::default())
///     .with_store(Arc::new(SqliteStore::open(&path).await?))
///     .with_durable(|| Cart)
///     .spawn()
///     .await?;
/// assert_eq!(manager.call("alice", CartMsg::Items).await?, ["apple"]);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub trait DurableSession: Actor {
    /// The name stored with each record, which picks this type when the record is
    /// restored: short, stable across releases, unique among the types a manager
    /// registers (e.g. `"cart"`).
    const TYPE_TAG: &'static str;

    /// The version of the state's layout in the bytes (default 1). Raise it when
    /// [`Snapshot`](Self::Snapshot) changes shape, and read the older layouts in
    /// [`migrate`](Self::migrate).
    const FORMAT: u32 = 1;

    /// What a stored state is read back as.
    type Snapshot: DeserializeOwned + Send;

    /// The state as it is written: usually the state itself, or a part of it. It must
    /// serialize to what [`Snapshot`](Self::Snapshot) reads.
    fn snapshot(state: &Self::State) -> impl Serialize;

    /// The arguments with which `pre_start` rebuilds the state `snapshot` describes.
    ///
    /// # Errors
    ///
    /// When the snapshot cannot make a state (it fails a check of its own): the restore is
    /// then treated as an unreadable record.
    fn restore(
        &self,
        snapshot: Self::Snapshot,
    ) -> Result<Self::Arguments, Box<dyn Error + Send + Sync>>;

    /// Whether `message` may change the state (default: every message). Messages that
    /// only read should answer `false`: they are then not followed by a snapshot and a
    /// write.
    fn mutates(message: &Self::Msg) -> bool {
        let _ = message;
        true
    }

    /// Reads bytes written in an older layout `format` (or a newer one, by a later
    /// release). The default refuses with [`UnknownFormat`].
    ///
    /// # Errors
    ///
    /// When the bytes cannot be read: the record is then unreadable (see
    /// [`OnCorrupt`](crate::OnCorrupt)).
    fn migrate(format: u32, bytes: &[u8]) -> Result<Self::Snapshot, Box<dyn Error + Send + Sync>> {
        let _ = bytes;
        Err(Box::new(UnknownFormat {
            found: format,
            current: Self::FORMAT,
        }))
    }
}

/// The default [`DurableSession::migrate`]'s refusal: the record's state is in a layout
/// the session type does not read.
///
/// # Examples
///
/// ```
/// use ractor_session::durable::UnknownFormat;
///
/// let error = UnknownFormat { found: 1, current: 2 };
/// assert_eq!(
///     error.to_string(),
///     "the stored state is in format 1, this session type reads format 2 and migrates none"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the stored state is in format {found}, this session type reads format {current} and migrates none"
)]
pub struct UnknownFormat {
    /// The format the record was written in.
    pub found: u32,
    /// The session type's [`FORMAT`](DurableSession::FORMAT).
    pub current: u32,
}
