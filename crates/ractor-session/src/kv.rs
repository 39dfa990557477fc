//! The default session: a key-value store of JSON values.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::durable::DurableSession;
use crate::error::BoxError;

/// The default session type: a map of string keys to JSON values, one per session.
///
/// Started by [`SessionManager::start`](crate::SessionManager::start). Talk to it with
/// [`KvMsg`], typed, or with [`KvMsg::Request`], a JSON command (see [`KvRequest`] for the
/// commands) that is checked at run time: a malformed command — including one with an
/// unknown or misspelled field — gets an error reply, changes nothing, and the session
/// carries on.
///
/// It is [durable](DurableSession) (tag `kv`, its map as a JSON object): a manager with a
/// store keeps it there; reads (`Ping`, `Get`, `GetAll`, and those JSON commands) are not
/// followed by a write.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::{KvMsg, SessionManager};
/// use serde_json::json;
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// manager.start("s1").await?;
/// manager.cast("s1", KvMsg::put("cart", json!(["apple"]))).await?;
/// let all = manager.call("s1", KvMsg::GetAll).await?;
/// assert_eq!(all.get("cart"), Some(&json!(["apple"])));
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct KvSession;

/// The reply to [`KvMsg::Ping`].
///
/// # Examples
///
/// ```
/// assert_eq!(format!("{:?}", ractor_session::Pong), "Pong");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pong;

/// Messages of [`KvSession`].
///
/// Each message is applied on its own, in the order the session receives them. A `Get`
/// followed by a `Put` is **two** messages: other requests of the same session can run
/// between them, and a counter read with one and written with the other loses updates
/// under concurrent requests. To change a value based on its current one, send one
/// message that does both inside the session: [`Increment`](Self::Increment),
/// [`Update`](Self::Update) (any function of the current value) or
/// [`CompareAndSet`](Self::CompareAndSet) — built by [`KvMsg::increment`],
/// [`KvMsg::update`] and [`KvMsg::compare_and_set`] for `call`.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session::{KvMsg, SessionManager};
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// manager.start("s1").await?;
/// manager.cast("s1", KvMsg::put("theme", "dark")).await?;
/// // Read-modify-write in one message: concurrent requests can't lose an update.
/// let visits = manager.call("s1", KvMsg::increment("visits", 1)).await??;
/// assert_eq!(visits, 1);
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum KvMsg {
    /// Replies [`Pong`].
    Ping(RpcReplyPort<Pong>),
    /// Sets `key` to `value`.
    Put {
        /// The key.
        key: String,
        /// The value.
        value: Value,
    },
    /// Replies with the value of `key`, if any.
    Get {
        /// The key.
        key: String,
        /// Where the value goes.
        reply: RpcReplyPort<Option<Value>>,
    },
    /// Removes `key`.
    Delete {
        /// The key.
        key: String,
    },
    /// Removes `key` and replies with its value, if any.
    Take {
        /// The key.
        key: String,
        /// Where the value goes.
        reply: RpcReplyPort<Option<Value>>,
    },
    /// Replies with every key and value.
    GetAll(RpcReplyPort<Map<String, Value>>),
    /// Adds `by` to the integer at `key` (an absent key counts as 0), inside the session,
    /// and replies with the result. A value that is not an integer, or a sum that
    /// overflows an `i64`, is refused with a [`KvError`] and left as it was.
    Increment {
        /// The key.
        key: String,
        /// What to add (negative to subtract).
        by: i64,
        /// The new value, or why it was refused.
        reply: RpcReplyPort<Result<i64, KvError>>,
    },
    /// Replaces the value of `key` with what `update` returns from the current one
    /// (`None`: absent, or remove it), inside the session, and replies with the new value.
    /// If the function panics, the value is left as it was, the session carries on and
    /// the caller's `call` fails.
    Update {
        /// The key.
        key: String,
        /// The function of the current value.
        update: KvUpdate,
        /// The new value.
        reply: RpcReplyPort<Option<Value>>,
    },
    /// Sets `key` to `new` (`None`: removes it) only if its value is `expected` (`None`:
    /// absent); replies `Ok(())` when it did, or `Err` with the value it found.
    CompareAndSet {
        /// The key.
        key: String,
        /// The value the caller last saw.
        expected: Option<Value>,
        /// The value to set.
        new: Option<Value>,
        /// `Ok(())`, or the current value.
        reply: RpcReplyPort<Result<(), Option<Value>>>,
    },
    /// Removes every key.
    Clear,
    /// A JSON command, checked at run time; see [`KvRequest`] for its shape.
    Request {
        /// The command, e.g. `{"op": "put", "key": "a", "value": 1}`.
        request: Value,
        /// The result, or why the command was refused.
        reply: RpcReplyPort<Result<Value, KvError>>,
    },
}

impl KvMsg {
    /// A [`KvMsg::Put`] from anything convertible to a JSON value.
    ///
    /// # Examples
    ///
    /// ```
    /// let msg = ractor_session::KvMsg::put("count", 3);
    /// ```
    pub fn put(key: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::Put {
            key: key.into(),
            value: value.into(),
        }
    }

    /// A [`KvMsg::Increment`] of `key` by `by`, for `call`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::KvMsg;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// assert_eq!(manager.call("s1", KvMsg::increment("n", 5)).await??, 5);
    /// assert_eq!(manager.call("s1", KvMsg::increment("n", -2)).await??, 3);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn increment(
        key: impl Into<String>,
        by: i64,
    ) -> impl FnOnce(RpcReplyPort<Result<i64, KvError>>) -> Self {
        let key = key.into();
        move |reply| Self::Increment { key, by, reply }
    }

    /// A [`KvMsg::Update`] of `key` with `update`, for `call`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::KvMsg;
    /// use serde_json::{Value, json};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let add_apple = |cart: Option<Value>| {
    ///     let mut items = cart.and_then(|c| c.as_array().cloned()).unwrap_or_default();
    ///     items.push(json!("apple"));
    ///     Some(Value::from(items))
    /// };
    /// let cart = manager.call("s1", KvMsg::update("cart", add_apple)).await?;
    /// assert_eq!(cart, Some(json!(["apple"])));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn update(
        key: impl Into<String>,
        update: impl FnOnce(Option<Value>) -> Option<Value> + Send + 'static,
    ) -> impl FnOnce(RpcReplyPort<Option<Value>>) -> Self {
        let key = key.into();
        let update = KvUpdate::new(update);
        move |reply| Self::Update { key, update, reply }
    }

    /// A [`KvMsg::CompareAndSet`] of `key` from `expected` to `new`, for `call`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session::KvMsg;
    /// use serde_json::json;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// manager.start("s1").await?;
    /// let first = KvMsg::compare_and_set("owner", None, Some(json!("alice")));
    /// assert_eq!(manager.call("s1", first).await?, Ok(()));
    /// let late = KvMsg::compare_and_set("owner", None, Some(json!("bob")));
    /// assert_eq!(manager.call("s1", late).await?, Err(Some(json!("alice"))));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn compare_and_set(
        key: impl Into<String>,
        expected: Option<Value>,
        new: Option<Value>,
    ) -> impl FnOnce(RpcReplyPort<Result<(), Option<Value>>>) -> Self {
        let key = key.into();
        move |reply| Self::CompareAndSet {
            key,
            expected,
            new,
            reply,
        }
    }
}

/// The function a [`KvMsg::Update`] runs on the current value, inside the session.
///
/// # Examples
///
/// ```
/// use ractor_session::KvUpdate;
/// let double = KvUpdate::new(|v| v.and_then(|v| v.as_i64()).map(|n| (n * 2).into()));
/// ```
pub struct KvUpdate(Box<dyn FnOnce(Option<Value>) -> Option<Value> + Send>);

impl KvUpdate {
    /// Wraps `update`: it gets the current value (`None` when absent) and returns the new
    /// one (`None` removes the key).
    ///
    /// # Examples
    ///
    /// ```
    /// let clear = ractor_session::KvUpdate::new(|_| None);
    /// ```
    pub fn new(update: impl FnOnce(Option<Value>) -> Option<Value> + Send + 'static) -> Self {
        Self(Box::new(update))
    }
}

impl fmt::Debug for KvUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KvUpdate(..)")
    }
}

/// The JSON commands [`KvMsg::Request`] accepts, tagged by `op`.
///
/// | `op` | other fields | reply |
/// |---|---|---|
/// | `"ping"` | none | `"pong"` |
/// | `"put"` | `key` (a string), `value` (any JSON) | `null` |
/// | `"get"` | `key` | the value, or `null` |
/// | `"delete"` | `key` | `null` |
/// | `"take"` | `key` | the value it removed, or `null` |
/// | `"get_all"` | none | the whole map, as an object |
/// | `"clear"` | none | `null` |
/// | `"increment"` | `key`, `by` (an integer) | the new integer (see [`KvMsg::Increment`]) |
/// | `"compare_and_set"` | `key`, `expected`, `new` (`null` stands for absent) | `true` if it set the value, else `false` |
///
/// A command must have exactly these fields: a missing, ill-typed, unknown or misspelled
/// field (`{"op": "clear", "key": "cart"}`, a likely typo for `delete`), or an unknown `op`,
/// gets [`KvError::BadRequest`] and changes nothing.
///
/// # Examples
///
/// ```
/// use ractor_session::KvRequest;
/// use serde_json::{from_value, json};
///
/// let request: KvRequest = from_value(json!({"op": "get", "key": "a"}))?;
/// assert_eq!(request, KvRequest::Get { key: "a".into() });
/// assert_eq!(from_value::<KvRequest>(json!({"op": "clear"}))?, KvRequest::Clear {});
/// assert!(from_value::<KvRequest>(json!({"op": "clear", "key": "a"})).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
// The field-less commands are empty struct variants, not unit variants: serde applies
// `deny_unknown_fields` to the struct variants of an internally tagged enum, but lets a
// unit variant ignore any other field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum KvRequest {
    /// Replies `"pong"`.
    Ping {},
    /// Sets a key; replies `null`.
    Put {
        /// The key.
        key: String,
        /// The value.
        value: Value,
    },
    /// Replies with a key's value or `null`.
    Get {
        /// The key.
        key: String,
    },
    /// Removes a key; replies `null`.
    Delete {
        /// The key.
        key: String,
    },
    /// Removes a key; replies with its value or `null`.
    Take {
        /// The key.
        key: String,
    },
    /// Replies with the whole map.
    GetAll {},
    /// Removes every key; replies `null`.
    Clear {},
    /// Adds `by` to an integer; replies with the result.
    Increment {
        /// The key.
        key: String,
        /// What to add.
        by: i64,
    },
    /// Sets a key to `new` if it holds `expected`; replies whether it did.
    CompareAndSet {
        /// The key.
        key: String,
        /// The value expected (`null`: absent).
        expected: Value,
        /// The value to set (`null`: remove the key).
        new: Value,
    },
}

/// Why a [`KvMsg::Request`] was refused.
///
/// # Examples
///
/// ```
/// let err = ractor_session::KvError::BadRequest("missing field `key`".into());
/// assert_eq!(err.to_string(), "bad key-value request: missing field `key`");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum KvError {
    /// The command did not match [`KvRequest`].
    #[error("bad key-value request: {0}")]
    BadRequest(String),
    /// An increment of a value that is not an integer.
    #[error("the value of {key:?} is not an integer")]
    NotAnInteger {
        /// The key.
        key: String,
    },
    /// An increment whose result does not fit an `i64`.
    #[error("incrementing {key:?} overflows")]
    Overflow {
        /// The key.
        key: String,
    },
}

impl KvSession {
    fn apply(map: &mut Map<String, Value>, request: KvRequest) -> Result<Value, KvError> {
        Ok(match request {
            KvRequest::Ping {} => Value::from("pong"),
            KvRequest::Put { key, value } => {
                map.insert(key, value);
                Value::Null
            }
            KvRequest::Get { key } => map.get(&key).cloned().unwrap_or(Value::Null),
            KvRequest::Delete { key } => {
                map.remove(&key);
                Value::Null
            }
            KvRequest::Take { key } => map.remove(&key).unwrap_or(Value::Null),
            KvRequest::GetAll {} => Value::Object(map.clone()),
            KvRequest::Clear {} => {
                map.clear();
                Value::Null
            }
            KvRequest::Increment { key, by } => Value::from(increment(map, key, by)?),
            KvRequest::CompareAndSet { key, expected, new } => {
                let absent_if_null = |v: Value| (!v.is_null()).then_some(v);
                let set = compare_and_set(map, key, absent_if_null(expected), absent_if_null(new));
                Value::from(set.is_ok())
            }
        })
    }
}

fn increment(map: &mut Map<String, Value>, key: String, by: i64) -> Result<i64, KvError> {
    let current = match map.get(&key) {
        None => 0,
        Some(value) => match value.as_i64() {
            Some(n) => n,
            None => return Err(KvError::NotAnInteger { key }),
        },
    };
    let Some(sum) = current.checked_add(by) else {
        return Err(KvError::Overflow { key });
    };
    map.insert(key, sum.into());
    Ok(sum)
}

fn compare_and_set(
    map: &mut Map<String, Value>,
    key: String,
    expected: Option<Value>,
    new: Option<Value>,
) -> Result<(), Option<Value>> {
    let current = map.get(&key);
    if current != expected.as_ref() {
        return Err(current.cloned());
    }
    set(map, key, new);
    Ok(())
}

fn set(map: &mut Map<String, Value>, key: String, value: Option<Value>) {
    match value {
        Some(value) => map.insert(key, value),
        None => map.remove(&key),
    };
}

#[cfg(feature = "cluster")]
impl ractor::Message for KvMsg {}

impl Actor for KvSession {
    type Msg = KvMsg;
    type State = Map<String, Value>;
    type Arguments = Map<String, Value>;

    async fn pre_start(
        &self,
        _myself: ActorRef<KvMsg>,
        initial: Map<String, Value>,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(initial)
    }

    async fn handle(
        &self,
        _myself: ActorRef<KvMsg>,
        message: KvMsg,
        map: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        // A reply port whose caller gave up (timed out) is not an error of the session.
        match message {
            KvMsg::Ping(reply) => {
                let _ = reply.send(Pong);
            }
            KvMsg::Put { key, value } => {
                map.insert(key, value);
            }
            KvMsg::Get { key, reply } => {
                let _ = reply.send(map.get(&key).cloned());
            }
            KvMsg::Delete { key } => {
                map.remove(&key);
            }
            KvMsg::Take { key, reply } => {
                let _ = reply.send(map.remove(&key));
            }
            KvMsg::GetAll(reply) => {
                let _ = reply.send(map.clone());
            }
            KvMsg::Clear => map.clear(),
            KvMsg::Increment { key, by, reply } => {
                let _ = reply.send(increment(map, key, by));
            }
            KvMsg::Update { key, update, reply } => {
                let current = map.get(&key).cloned();
                // A panicking function leaves the value and the session as they were; the
                // dropped reply port fails the caller's `call`.
                if let Ok(new) = catch_unwind(AssertUnwindSafe(|| (update.0)(current))) {
                    set(map, key, new.clone());
                    let _ = reply.send(new);
                }
            }
            KvMsg::CompareAndSet {
                key,
                expected,
                new,
                reply,
            } => {
                let _ = reply.send(compare_and_set(map, key, expected, new));
            }
            KvMsg::Request { request, reply } => {
                let result = serde_json::from_value::<KvRequest>(request)
                    .map_err(|e| KvError::BadRequest(e.to_string()))
                    .and_then(|request| Self::apply(map, request));
                let _ = reply.send(result);
            }
        }
        Ok(())
    }
}

impl DurableSession for KvSession {
    const TYPE_TAG: &'static str = "kv";
    type Snapshot = Map<String, Value>;

    fn snapshot(map: &Map<String, Value>) -> impl Serialize {
        map
    }

    fn restore(&self, map: Map<String, Value>) -> Result<Map<String, Value>, BoxError> {
        Ok(map)
    }

    fn mutates(message: &KvMsg) -> bool {
        match message {
            KvMsg::Ping(_) | KvMsg::Get { .. } | KvMsg::GetAll(_) => false,
            KvMsg::Request { request, .. } => !matches!(
                request.get("op").and_then(Value::as_str),
                Some("ping" | "get" | "get_all")
            ),
            // A compare-and-set that finds another value changes nothing, but is written
            // all the same: telling it apart would mean running it twice.
            KvMsg::Put { .. }
            | KvMsg::Delete { .. }
            | KvMsg::Take { .. }
            | KvMsg::Clear
            | KvMsg::Increment { .. }
            | KvMsg::Update { .. }
            | KvMsg::CompareAndSet { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_messages_that_may_change_the_map_count_as_changes() {
        let (reply, _) = tokio::sync::oneshot::channel::<Option<Value>>();
        let reads = [
            KvMsg::Get {
                key: "a".into(),
                reply: reply.into(),
            },
            KvMsg::Request {
                request: json!({"op": "get_all"}),
                reply: tokio::sync::oneshot::channel().0.into(),
            },
        ];
        assert!(reads.iter().all(|msg| !KvSession::mutates(msg)));
        let writes = [
            KvMsg::put("a", 1),
            KvMsg::Clear,
            KvMsg::Request {
                request: json!({"op": "put", "key": "a", "value": 1}),
                reply: tokio::sync::oneshot::channel().0.into(),
            },
            KvMsg::Request {
                request: json!("not even an object"),
                reply: tokio::sync::oneshot::channel().0.into(),
            },
            KvMsg::Request {
                request: json!({"op": "increment", "key": "n", "by": 1}),
                reply: tokio::sync::oneshot::channel().0.into(),
            },
            KvMsg::increment("n", 1)(tokio::sync::oneshot::channel().0.into()),
            KvMsg::update("a", |v| v)(tokio::sync::oneshot::channel().0.into()),
            KvMsg::compare_and_set("a", None, Some(json!(1)))(
                tokio::sync::oneshot::channel().0.into(),
            ),
        ];
        assert!(writes.iter().all(KvSession::mutates));
    }

    #[test]
    fn field_less_commands_are_written_as_the_op_alone_and_read_back() {
        for (request, wire) in [
            (KvRequest::Ping {}, json!({"op": "ping"})),
            (KvRequest::GetAll {}, json!({"op": "get_all"})),
            (KvRequest::Clear {}, json!({"op": "clear"})),
        ] {
            assert_eq!(serde_json::to_value(&request).unwrap(), wire);
            assert_eq!(serde_json::from_value::<KvRequest>(wire).unwrap(), request);
        }
    }
}
