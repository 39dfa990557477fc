//! The default session: a key-value store of JSON values.

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
/// # Examples
///
/// ```
/// use ractor_session::KvMsg;
/// let msg = KvMsg::put("theme", "dark");
/// assert!(matches!(msg, KvMsg::Put { .. }));
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
}

/// Why a [`KvMsg::Request`] was refused.
///
/// # Examples
///
/// ```
/// let err = ractor_session::KvError::BadRequest("missing field `key`".into());
/// assert_eq!(err.to_string(), "bad key-value request: missing field `key`");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KvError {
    /// The command did not match [`KvRequest`].
    #[error("bad key-value request: {0}")]
    BadRequest(String),
}

impl KvSession {
    fn apply(map: &mut Map<String, Value>, request: KvRequest) -> Value {
        match request {
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
        }
    }
}

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
            KvMsg::Request { request, reply } => {
                let result = serde_json::from_value::<KvRequest>(request)
                    .map(|request| Self::apply(map, request))
                    .map_err(|e| KvError::BadRequest(e.to_string()));
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
            KvMsg::Put { .. } | KvMsg::Delete { .. } | KvMsg::Take { .. } | KvMsg::Clear => true,
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
