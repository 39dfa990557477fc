//! Serving the other nodes: the handlers that decode requests of each session type and
//! run them here, the other operations of an envelope, and remote watches.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::error::SessionError;
use crate::id::SessionId;
use crate::manager::SessionManager;
use crate::remote::RemoteSession;
use crate::routing::{Answer, Envelope, Failure, GatewayMsg, Op, Route};

/// Decodes a request for one session type, runs it here and encodes the reply.
pub(crate) type Handler = Arc<
    dyn Fn(SessionManager, SessionId, serde_json::Value, Duration) -> BoxFuture<'static, Answer>
        + Send
        + Sync,
>;

/// The handler for requests of `A`.
pub(crate) fn handler<A: RemoteSession>() -> Handler {
    Arc::new(|manager, id, request, timeout| {
        Box::pin(async move {
            let request: A::Request =
                serde_json::from_value(request).map_err(|error| Failure::Other {
                    reason: format!("request not decodable as `{}`: {error}", A::TYPE_TAG),
                })?;
            let reply = manager
                .request_here::<A>(&id, request, timeout)
                .await
                .map_err(|error| Failure::from_error(&error))?;
            serde_json::to_value(reply).map_err(|error| Failure::Other {
                reason: format!("reply not encodable: {error}"),
            })
        })
    })
}

/// Owner side: node `node` watches `id`; its end is sent back there.
pub(crate) async fn watch_for(
    route: Arc<Route>,
    manager: &SessionManager,
    id: &str,
    node: String,
) -> Result<(), Failure> {
    let id = SessionId::parse(id).map_err(|error| Failure::Other {
        reason: error.to_string(),
    })?;
    let watch = manager
        .watch(&id)
        .await
        .map_err(|error| Failure::from_error(&error))?;
    if route.watchers.add_remote(&id, &node) {
        tokio::spawn(async move {
            let reason = watch.await;
            for node in route.watchers.take_remote(&id) {
                if let Some(gateway) = route.gateway_of(&node) {
                    let _ = gateway.cast(GatewayMsg::Ended(
                        id.as_str().to_owned(),
                        reason.to_string(),
                    ));
                }
            }
        });
    }
    Ok(())
}

/// Handlers by session type tag.
pub(crate) type Handlers = HashMap<&'static str, Handler>;

/// The answer to an envelope that arrived from another node: decoded, run here by the
/// handler of its session type.
pub(crate) async fn serve(
    manager: SessionManager,
    handlers: Arc<Handlers>,
    bytes: Vec<u8>,
) -> Answer {
    let envelope: Envelope = serde_json::from_slice(&bytes).map_err(|error| Failure::Other {
        reason: format!("envelope not decodable: {error}"),
    })?;
    metrics::counter!(crate::metric_names::CLUSTER_SERVED, "op" => envelope.op.label())
        .increment(1);
    let failed = |error: SessionError| Failure::from_error(&error);
    let timeout = Duration::from_millis(envelope.timeout_ms);
    if let Op::TerminateUser { user } = &envelope.op {
        let user = crate::user::UserKey::parse(user).map_err(|error| Failure::Other {
            reason: error.to_string(),
        })?;
        let ended = manager.terminate_user_here(&user).await.map_err(failed)?;
        return Ok(serde_json::Value::from(ended));
    }
    let id = SessionId::parse(&envelope.id).map_err(|error| Failure::Other {
        reason: error.to_string(),
    })?;
    match envelope.op {
        Op::Request { tag, request } => {
            let Some(handler) = handlers.get(tag.as_str()) else {
                return Err(Failure::Other {
                    reason: format!(
                        "session type `{tag}` is not served on this node (`ClusterBuilder::serve`)"
                    ),
                });
            };
            handler(manager, id, request, timeout).await
        }
        Op::Terminate => {
            manager.terminate_here(id.as_str()).await.map_err(failed)?;
            Ok(serde_json::Value::Null)
        }
        Op::Rotate => {
            let new = manager.rotate_here(id.as_str()).await.map_err(failed)?;
            Ok(serde_json::Value::from(new.as_str()))
        }
        Op::User => {
            let user = manager.user_of_here(id.as_str()).await.map_err(failed)?;
            Ok(user.map_or(serde_json::Value::Null, |user| user.as_str().into()))
        }
        Op::BindUser { user } => {
            let user = crate::user::UserKey::parse(&user).map_err(|error| Failure::Other {
                reason: error.to_string(),
            })?;
            manager
                .bind_user_here(id.as_str(), &user)
                .await
                .map_err(failed)?;
            Ok(serde_json::Value::Null)
        }
        Op::TerminateUser { .. } => Ok(serde_json::Value::Null),
    }
}
